// A request and a response as the routes see them: plain data, no Beast,
// so the routes, the invocation path and their tests compile without Asio
// (one Beast translation unit costs ~700 MB of compiler memory).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deja::server {

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // path and query as sent ("/v1/functions?x=1")
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_addr;
  uint16_t remote_port = 0;
  std::string server_name;  // the local address the request came in on
  uint16_t server_port = 0;
  // The first header named `name` (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  void Set(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

// Percent-decoding of a query component ('+' is a space). False when a
// '%' is not followed by two hex digits.
bool PercentDecode(std::string_view in, std::string& out);

// The query's "name=value" pairs, decoded, in order. False on a bad escape.
bool ParseQuery(std::string_view query, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace deja::server
