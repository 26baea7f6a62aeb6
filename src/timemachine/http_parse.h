// An incremental HTTP/1.x parser for one direction of a recorded byte
// stream: bytes arrive in pieces as the guest read or wrote them, messages
// come out with their start line, headers, body size and timing. Bodies are
// counted, not kept. Anything that is not HTTP stops the parser (failed()).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/types.h"

namespace deja::tm::internal {

struct HttpMessage {
  bool request = true;
  bool cgi = false;            // a CGI response: header lines without a status line
  std::string method, target;  // requests
  int status = 0;              // responses (a CGI response's "Status:", else 200)
  std::string reason;
  std::string version;  // "HTTP/1.1"; empty for CGI
  std::vector<std::pair<std::string, std::string>> headers;
  u64 body_bytes = 0;
  bool chunked = false;
  bool complete = false;  // false when the stream ended inside the message
  u64 start_ns = 0;       // when its first byte moved
  u64 end_ns = 0;         // when its last byte moved

  // The first header of that name (ASCII case-insensitive), or "".
  std::string_view Header(std::string_view name) const;
};

class HttpStreamParser {
 public:
  // `requests`: the stream carries requests, else responses. `allow_cgi`:
  // a response may be CGI header lines (a stdout stream).
  explicit HttpStreamParser(bool requests, bool allow_cgi = false)
      : requests_(requests), allow_cgi_(allow_cgi) {}

  // For a response stream: whether the n-th final response answers a HEAD
  // request (it then has no body whatever its headers say).
  void set_head_query(std::function<bool(size_t)> query) { head_query_ = std::move(query); }

  // Bytes that moved during a call from t_start to t_end.
  void Feed(std::span<const u8> bytes, u64 t_start, u64 t_end);
  // The stream ended: a body that runs until close is complete (at its last
  // byte); a message cut short is kept, marked incomplete.
  void Close();
  // Bytes of the stream are missing (not in the record): parsing stops.
  void Fail() { failed_ = true; }

  bool failed() const { return failed_; }
  bool closed() const { return closed_; }
  u64 bytes_seen() const { return bytes_seen_; }
  const std::vector<HttpMessage>& messages() const { return messages_; }

 private:
  enum class State : u8 {
    kStart,
    kHeaders,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kUntilClose,
    kUpgraded,
  };
  // Appends to line_ up to a '\n'; true when a whole line is there.
  bool TakeLine(std::span<const u8>& bytes);
  void OnLine(std::string_view line);
  bool StartLine(std::string_view line);
  bool HeaderLine(std::string_view line);
  void HeadersDone();
  void Complete();

  bool requests_;
  bool allow_cgi_;
  std::function<bool(size_t)> head_query_;
  State state_ = State::kStart;
  bool failed_ = false;
  bool closed_ = false;
  bool in_message_ = false;
  std::string line_;
  u64 remaining_ = 0;            // of a fixed body or chunk
  size_t finals_ = 0;            // final (non-1xx) responses so far
  u64 t_start_ = 0, t_end_ = 0;  // of the current Feed
  u64 last_t_ = 0;
  u64 bytes_seen_ = 0;
  HttpMessage cur_;
  std::vector<HttpMessage> messages_;
};

}  // namespace deja::tm::internal
