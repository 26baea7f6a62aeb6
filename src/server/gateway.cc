#include "server/gateway.h"

#include <strings.h>

#include <cctype>

namespace deja::server {

GuestRequest MapRequest(const HttpRequest& request, std::string_view script_name,
                        std::string_view path_info, std::string_view query) {
  GuestRequest g;
  auto add = [&](std::string name, std::string_view value) {
    g.env.push_back(std::move(name) + "=" + std::string(value));
  };
  add("GATEWAY_INTERFACE", "CGI/1.1");
  add("SERVER_PROTOCOL", "HTTP/1.1");
  add("SERVER_SOFTWARE", "deja");
  add("REQUEST_METHOD", request.method);
  add("SCRIPT_NAME", script_name);
  add("PATH_INFO", path_info);
  add("QUERY_STRING", query);
  add("SERVER_NAME", request.server_name);
  add("SERVER_PORT", std::to_string(request.server_port));
  add("REMOTE_ADDR", request.remote_addr);
  add("CONTENT_LENGTH", std::to_string(request.body.size()));
  add("CONTENT_TYPE", request.Header("Content-Type"));
  for (const auto& [name, value] : request.headers) {
    if (strcasecmp(name.c_str(), "Content-Type") == 0 || strcasecmp(name.c_str(), "Content-Length") == 0 ||
        strcasecmp(name.c_str(), "Authorization") == 0) {
      continue;  // the first two have their own variables; credentials are not the guest's
    }
    std::string var = "HTTP_";
    for (char c : name) var.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    add(std::move(var), value);
  }
  g.stdin_data = request.body;
  return g;
}

Result<HttpResponse> MapResponse(std::string_view output) {
  HttpResponse response;
  bool has_content_type = false, has_status = false, has_location = false;
  size_t pos = 0;
  while (true) {
    size_t eol = output.find('\n', pos);
    if (eol == std::string_view::npos) {
      return Status::InvalidArgument(pos == 0 && output.empty()
                                         ? "the function wrote nothing (a CGI response starts with headers)"
                                         : "the function's output has no blank line ending its headers");
    }
    std::string_view line = output.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status::InvalidArgument("the function's output has a header line without a name and ':': \"" +
                                     std::string(line.substr(0, 80)) + "\"");
    }
    std::string name(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        return Status::InvalidArgument("the function's output has an invalid header name \"" + name + "\"");
      }
    }
    if (strcasecmp(name.c_str(), "Status") == 0) {
      int code = 0;
      if (value.size() < 3 || !std::isdigit(static_cast<unsigned char>(value[0])) ||
          !std::isdigit(static_cast<unsigned char>(value[1])) || !std::isdigit(static_cast<unsigned char>(value[2])) ||
          (code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0')) < 100 || code > 599) {
        return Status::InvalidArgument("the function's Status header is not a 3-digit code: \"" +
                                       std::string(value.substr(0, 40)) + "\"");
      }
      response.status = code;
      has_status = true;
      continue;
    }
    if (strcasecmp(name.c_str(), "Content-Type") == 0) has_content_type = true;
    if (strcasecmp(name.c_str(), "Location") == 0) has_location = true;
    response.Set(std::move(name), std::string(value));
  }
  if (!has_content_type && !has_location && !has_status) {
    return Status::InvalidArgument(
        "the function's output names none of Content-Type, Location or Status (RFC 3875 6.2)");
  }
  if (has_location && !has_status) response.status = 302;
  response.body = std::string(output.substr(pos));
  return response;
}

}  // namespace deja::server
