// A small blocking HTTP/1.1 client (Boost.Beast) for the `deja tenant` and
// `deja fn` commands: one request per connection to a `deja serve`.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deja/status.h"

namespace deja::server {

struct ClientRequest {
  std::string server;  // "http://HOST:PORT" (a trailing path is a prefix)
  std::string method = "GET";
  std::string target;  // "/v1/functions"
  std::string token;   // sent as "Authorization: Bearer ..." when not empty
  std::string body;
  std::string content_type;
  std::chrono::milliseconds timeout{60'000};
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(std::string_view name) const;
};

// kInvalidArgument for a bad URL; kIoError naming the server when it cannot
// be reached or the exchange fails.
Result<ClientResponse> HttpCall(const ClientRequest& request);

// The server and token of a client command: the flags, else DEJA_SERVER and
// DEJA_TOKEN, else (server only) http://127.0.0.1:8080.
struct ClientEndpoint {
  std::string server;
  std::string token;
};
ClientEndpoint ResolveEndpoint(const std::string& server_flag, const std::string& token_flag);

// "422: the module is not valid: ... (field body)" from an error response.
std::string DescribeError(const ClientResponse& response);

// Percent-encodes a query value or a path segment.
std::string UrlEncode(std::string_view text);

}  // namespace deja::server
