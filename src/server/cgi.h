// CGI/1.1 (RFC 3875) for HTTP functions: an HTTP request becomes the guest's
// environment (meta-variables) and stdin, and the guest's stdout is parsed
// back into an HTTP response. Plain structs, no HTTP library types, so the
// server (src/server, Beast) and unit tests use the same code. The mapping
// rules are in docs/SERVER.md, "CGI mapping".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deja/status.h"

namespace deja::server {

// One header field as received or as the guest wrote it. Lists of these keep
// order and duplicates (two Set-Cookie stay two).
struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

// What the CGI mapping needs from a request. `target` is the request-target
// as received ("/acme/hello/a%20b?x=1"); `script_name` is its prefix that
// names the function ("/acme/hello"), the rest of the path is PATH_INFO.
struct CgiRequest {
  std::string method;
  std::string target;
  std::string script_name;
  std::vector<HttpHeader> headers;
  // Body length when known (Content-Length, or the server buffered it);
  // nullopt for a body of unknown length (chunked upload).
  std::optional<uint64_t> content_length;
  std::string server_name;               // Host without port, else the listen address
  uint16_t server_port = 0;
  std::string server_protocol = "HTTP/1.1";
  std::string remote_addr;
  uint16_t remote_port = 0;
  bool https = false;
};

// Extras beyond RFC 3875, for modules written for WAGI (docs/SERVER.md).
struct CgiOptions {
  std::string server_software = "deja";
  // X_MATCHED_ROUTE: the route pattern that matched ("/acme/hello/...").
  std::string matched_route;
  // Variables the function's config sets (FOO=bar); request-derived ones
  // win over these, so a config cannot fake REMOTE_ADDR.
  std::vector<std::pair<std::string, std::string>> config_env;
  // Caps on what a client can push into the guest's environment.
  size_t max_env_bytes = 256 * 1024;
};

// The guest's environment for `request`, as NAME=VALUE pairs in a stable
// order. Fails (InvalidArgument, the message names the part) when the
// target does not start with script_name, when PATH_INFO decodes to a NUL
// or invalid escape, or when the environment exceeds max_env_bytes: the
// server answers 400 (431 for the size) with that message.
Result<std::vector<std::pair<std::string, std::string>>> CgiEnvironment(
    const CgiRequest& request, const CgiOptions& options = {});

// The guest's argv as WAGI gives it: argv[0] is the request path, then one
// argument per '&'-separated part of the query, percent-decoded with '+' as
// a space (a part that does not decode is passed as written).
std::vector<std::string> CgiArguments(const CgiRequest& request);

// The same as "NAME=VALUE" strings (session::RunSpec::env's form).
std::vector<std::string> CgiEnvStrings(
    const std::vector<std::pair<std::string, std::string>>& env);

// How the guest's output is to be answered (RFC 3875 section 6.2).
enum class CgiResponseKind {
  kDocument,                  // Content-Type (and/or Status), then the body
  kLocalRedirect,             // Location: /path alone: the server fetches that path itself
  kClientRedirect,            // Location: scheme://... without a body: 302
  kClientRedirectWithDocument,  // Location + Status 3xx + Content-Type + body
};

// The header part of a parsed CGI response. `headers` excludes the CGI
// fields (Status, Content-Length) and hop-by-hop fields (Connection,
// Transfer-Encoding, ...): the server frames the body itself. Location and
// Content-Type stay in `headers` for document/client-redirect kinds.
struct CgiResponse {
  CgiResponseKind kind = CgiResponseKind::kDocument;
  int status = 200;
  std::string reason;  // the guest's reason phrase, or empty (use the standard one)
  std::vector<HttpHeader> headers;
  std::string location;  // the Location value, for the redirect kinds
  std::optional<uint64_t> content_length;  // when the guest declared one
};

struct CgiParseLimits {
  size_t max_header_bytes = 64 * 1024;  // the whole header block, blank line included
  size_t max_header_count = 100;
};

// Parses a guest's stdout as it arrives. Feed() any split of the output;
// once the blank line after the headers has been seen, headers_done() turns
// true, response() is final, and Feed returns the body bytes of each chunk
// (never buffering them). On invalid output Feed/Finish return an error whose
// message is meant for the 502 body ("line 3: header without colon"); after
// an error the parser stays failed.
class CgiResponseParser {
 public:
  explicit CgiResponseParser(CgiParseLimits limits = {});

  // Body bytes contained in `chunk` (empty while still in the headers): a
  // view into `chunk` itself, never a copy.
  Result<std::string_view> Feed(std::string_view chunk);
  // End of output. Fails if the header block never ended, or if the body
  // length differs from a declared Content-Length.
  Status Finish();

  bool headers_done() const { return state_ == State::kBody; }
  const CgiResponse& response() const { return response_; }
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State { kHeaders, kBody, kFailed };
  Status Fail(std::string message);
  Status ParseLine(std::string_view line);
  Status EndHeaders();

  CgiParseLimits limits_;
  State state_ = State::kHeaders;
  std::string buffer_;     // header bytes so far (freed once they end)
  size_t line_start_ = 0;  // first byte of the line not yet parsed
  size_t line_no_ = 0;     // lines parsed so far
  size_t header_count_ = 0;
  bool seen_status_ = false, seen_type_ = false, seen_location_ = false;
  CgiResponse response_;
  uint64_t body_bytes_ = 0;
  Status error_;
};

// A convenience for small outputs: parse `output` whole. The body is copied.
struct CgiParsedOutput {
  CgiResponse response;
  std::string body;
};
Result<CgiParsedOutput> ParseCgiOutput(std::string_view output, CgiParseLimits limits = {});

}  // namespace deja::server
