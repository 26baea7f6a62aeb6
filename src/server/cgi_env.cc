// Request -> CGI/1.1 meta-variables (RFC 3875 section 4.1) plus the extras
// WAGI modules read. The rules and why: docs/SERVER.md, "CGI mapping".
#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_map>

#include "server/cgi.h"
#include "server/cgi_text.h"

namespace deja::server {
namespace {

// Header fields the guest never sees. Credentials first: the invoke token of
// a private function, and whatever a proxy adds for itself (RFC 3875 4.1.18
// lets a server leave out Authorization and Proxy-Authorization). Content-Type
// and Content-Length have their own variables.
bool Withheld(std::string_view lower) {
  return lower == "authorization" || lower.starts_with("proxy-") || lower == "content-type" ||
         lower == "content-length";
}

// "x-request-id" -> "HTTP_X_REQUEST_ID".
std::string MetaName(std::string_view header) {
  std::string out = "HTTP_";
  for (char c : header) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool ValueUsable(std::string_view v) {
  return v.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> CgiEnvironment(const CgiRequest& request,
                                                                         const CgiOptions& options) {
  if (request.method.empty() || !IsToken(request.method)) {
    return Status::InvalidArgument("request method '" + Printable(request.method) +
                                   "' is not an HTTP token");
  }
  std::string_view target = request.target;
  if (target.empty() || target[0] != '/') {
    return Status::InvalidArgument("request target '" + Printable(target) +
                                   "' is not a path starting with '/'");
  }
  if (!ValueUsable(target)) {
    return Status::InvalidArgument("request target contains a NUL, CR or LF byte");
  }
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  std::string_view script = request.script_name;
  while (!script.empty() && script.back() == '/') script.remove_suffix(1);
  if (!path.starts_with(script) || (path.size() > script.size() && path[script.size()] != '/')) {
    return Status::InvalidArgument("request path '" + Printable(path) +
                                   "' does not start with the function's path '" +
                                   Printable(script) + "'");
  }
  std::string_view raw_path_info = path.substr(script.size());
  Result<std::string> path_info = CgiPercentDecode(raw_path_info);
  if (!path_info.ok()) return path_info.status().WithContext("PATH_INFO");

  // A variable set twice keeps its first place and its last value. The
  // index keeps that linear in the number of headers a client sends.
  std::vector<std::pair<std::string, std::string>> env;
  std::unordered_map<std::string, size_t> index;
  auto set = [&env, &index](std::string name, std::string value) {
    auto [it, fresh] = index.emplace(name, env.size());
    if (fresh) {
      env.emplace_back(std::move(name), std::move(value));
    } else {
      env[it->second].second = std::move(value);
    }
  };
  // The function's configured variables first, so the request's own
  // variables below replace any of the same name.
  for (const auto& [n, v] : options.config_env) set(n, v);

  set("GATEWAY_INTERFACE", "CGI/1.1");
  set("SERVER_SOFTWARE", options.server_software);
  set("SERVER_NAME", request.server_name);
  set("SERVER_PORT", std::to_string(request.server_port));
  set("SERVER_PROTOCOL", request.server_protocol);
  set("REQUEST_METHOD", request.method);
  set("SCRIPT_NAME", std::string(script));
  set("PATH_INFO", *path_info);
  // No document root: PATH_TRANSLATED is PATH_INFO, as in WAGI.
  set("PATH_TRANSLATED", *path_info);
  set("QUERY_STRING", std::string(query));
  set("REMOTE_ADDR", request.remote_addr);
  set("REMOTE_HOST", request.remote_addr);  // no reverse lookups (RFC 3875 4.1.9 allows the address)
  set("REMOTE_PORT", std::to_string(request.remote_port));
  // WAGI sets "0" without a body; modules written for it read it unguarded.
  if (request.content_length) set("CONTENT_LENGTH", std::to_string(*request.content_length));
  if (request.https) set("HTTPS", "on");

  // WAGI's extras.
  std::string scheme = request.https ? "https" : "http";
  std::string host = request.server_name;
  for (const HttpHeader& h : request.headers) {
    if (EqualsIgnoreCase(h.name, "host") && ValueUsable(h.value)) {
      host = std::string(TrimOws(h.value));
      break;
    }
  }
  if (host == request.server_name) host += ":" + std::to_string(request.server_port);
  set("X_FULL_URL", scheme + "://" + host + std::string(target));
  set("X_RAW_PATH_INFO", std::string(raw_path_info));
  set("X_MATCHED_ROUTE", options.matched_route.empty() ? std::string(script) + "/..."
                                                       : options.matched_route);

  // Header fields: duplicates joined in arrival order ("; " for Cookie, as
  // HTTP/2 joins cookie crumbs; ", " otherwise, RFC 9110 5.3).
  std::vector<std::pair<std::string, std::string>> http;
  std::unordered_map<std::string, size_t> http_index;
  bool have_type = false;
  for (const HttpHeader& h : request.headers) {
    // '_' is a token character, but X_Real_IP would arrive as HTTP_X_REAL_IP
    // just like X-Real-IP set by a trusted proxy: dropped, as nginx does.
    if (h.name.empty() || !IsToken(h.name) || h.name.find('_') != std::string::npos) continue;
    if (!ValueUsable(h.value)) continue;
    std::string lower = Lower(h.name);
    std::string_view value = TrimOws(h.value);
    if (lower == "content-type") {
      if (!have_type) set("CONTENT_TYPE", std::string(value));
      have_type = true;
      continue;
    }
    if (Withheld(lower)) continue;
    std::string name = MetaName(h.name);
    auto [it, fresh] = http_index.emplace(name, http.size());
    if (fresh) {
      http.emplace_back(std::move(name), std::string(value));
    } else {
      std::string& joined = http[it->second].second;
      joined += lower == "cookie" ? "; " : ", ";
      joined += value;
    }
  }
  for (auto& [n, v] : http) set(std::move(n), std::move(v));

  size_t bytes = 0;
  for (const auto& [n, v] : env) bytes += n.size() + v.size() + 2;  // '=' and the NUL
  if (bytes > options.max_env_bytes) {
    return Status::ResourceExhausted("the request's CGI environment is " + std::to_string(bytes) +
                                     " bytes, over the limit of " +
                                     std::to_string(options.max_env_bytes));
  }
  return env;
}

std::vector<std::string> CgiArguments(const CgiRequest& request) {
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::vector<std::string> args{std::string(target.substr(0, q))};
  if (q == std::string_view::npos) return args;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string part(query.substr(0, amp));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    for (char& c : part) {
      if (c == '+') c = ' ';
    }
    Result<std::string> decoded = CgiPercentDecode(part);
    args.push_back(decoded.ok() ? *decoded : part);
  }
  return args;
}

std::vector<std::string> CgiEnvStrings(const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [n, v] : env) out.push_back(n + "=" + v);
  return out;
}

}  // namespace deja::server
