#include "server/client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace deja::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

struct Url {
  std::string host;
  std::string port;
  std::string prefix;
};

Result<Url> ParseUrl(const std::string& server) {
  std::string_view s = server;
  if (s.substr(0, 7) != "http://") {
    return Status::InvalidArgument("server URL \"" + server + "\": only http://HOST:PORT is supported");
  }
  s.remove_prefix(7);
  size_t slash = s.find('/');
  std::string_view authority = s.substr(0, slash);
  Url url;
  url.prefix = slash == std::string_view::npos ? "" : std::string(s.substr(slash));
  while (!url.prefix.empty() && url.prefix.back() == '/') url.prefix.pop_back();
  size_t colon = authority.rfind(':');
  if (authority.empty() || (colon != std::string_view::npos && colon + 1 == authority.size())) {
    return Status::InvalidArgument("server URL \"" + server + "\" has no host");
  }
  if (colon == std::string_view::npos || authority.back() == ']') {
    url.host = std::string(authority);
    url.port = "80";
  } else {
    url.host = std::string(authority.substr(0, colon));
    url.port = std::string(authority.substr(colon + 1));
  }
  if (url.host.size() >= 2 && url.host.front() == '[') url.host = url.host.substr(1, url.host.size() - 2);
  return url;
}

}  // namespace

std::string ClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

ClientEndpoint ResolveEndpoint(const std::string& server_flag, const std::string& token_flag) {
  ClientEndpoint e{server_flag, token_flag};
  if (e.server.empty()) {
    const char* env = std::getenv("DEJA_SERVER");
    e.server = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8080";
  }
  if (e.token.empty()) {
    const char* env = std::getenv("DEJA_TOKEN");
    if (env != nullptr) e.token = env;
  }
  return e;
}

std::string DescribeError(const ClientResponse& response) {
  std::string out = std::to_string(response.status);
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    out += ": " + j["error"].get<std::string>();
    if (j.contains("field") && j["field"].is_string()) out += " (field " + j["field"].get<std::string>() + ")";
  } else if (!response.body.empty()) {
    out += ": " + response.body.substr(0, 500);
    while (!out.empty() && out.back() == '\n') out.pop_back();
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<ClientResponse> HttpCall(const ClientRequest& request) {
  DEJA_ASSIGN_OR_RETURN(Url url, ParseUrl(request.server));
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  tcp::socket stream(ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return Status::IoError("server " + request.server + ": cannot resolve " + url.host + ": " + ec.message());
  asio::connect(stream, endpoints, ec);
  if (ec) return Status::IoError("server " + request.server + ": cannot connect: " + ec.message());
  // Blocking reads and writes with a deadline each (a server that stops
  // answering fails the command instead of hanging it).
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(request.timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((request.timeout.count() % 1000) * 1000);
  ::setsockopt(stream.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(stream.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  http::request<http::string_body> req{http::string_to_verb(request.method), url.prefix + request.target, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  req.set(http::field::user_agent, "deja");
  if (!request.token.empty()) req.set(http::field::authorization, "Bearer " + request.token);
  if (!request.content_type.empty()) req.set(http::field::content_type, request.content_type);
  req.body() = request.body;
  req.keep_alive(false);
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return Status::IoError("server " + request.server + ": sending the request: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(uint64_t{1} << 30);
  http::read(stream, buffer, parser, ec);
  if (ec) return Status::IoError("server " + request.server + ": reading the response: " + ec.message());
  ClientResponse out;
  const auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = res.body();
  stream.shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

}  // namespace deja::server
