// The one seam between an HTTP request and a guest: how a request becomes the
// guest's environment and stdin, and how its stdout becomes a response. This
// is a minimal CGI (RFC 3875) mapping of the server's own; the full one
// (repeated headers, streaming, every variable) is server/cgi* and replaces
// these two functions when it lands.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"
#include "server/http_types.h"

namespace deja::server {

struct GuestRequest {
  std::vector<std::string> env;  // "NAME=VALUE"
  std::string stdin_data;
};

// script_name: "/TENANT/FUNCTION"; path_info: the rest of the path ("" or "/...").
GuestRequest MapRequest(const HttpRequest& request, std::string_view script_name,
                        std::string_view path_info, std::string_view query);

// Parses the guest's stdout as a CGI response (header lines, a blank line,
// the body). kInvalidArgument naming what is wrong: the server answers 502.
Result<HttpResponse> MapResponse(std::string_view output);

}  // namespace deja::server
