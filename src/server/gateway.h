// The one seam between an HTTP request and a guest: how a request becomes the
// guest's argv, environment and stdin, and how its stdout becomes a response.
// Both go through the CGI mapping of server/cgi.h (RFC 3875 and WAGI's
// extras; docs/SERVER.md, "CGI mapping").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"
#include "server/http_types.h"

namespace deja::server {

struct GuestRequest {
  std::vector<std::string> args;  // argv[1..] (WAGI: the query's parts)
  std::vector<std::string> env;   // "NAME=VALUE", the config's env under the request's
  std::string stdin_data;
};

// script_name: "/TENANT/FUNCTION". A request the mapping refuses (a bad
// escape in PATH_INFO, an environment over its cap) is kInvalidArgument
// naming the part: the server answers 400.
Result<GuestRequest> MapRequest(const HttpRequest& request, std::string_view script_name,
                                const std::vector<std::string>& config_env);

// Parses the guest's stdout as a CGI response. kInvalidArgument naming what
// is wrong: the server answers 502.
Result<HttpResponse> MapResponse(std::string_view output);

}  // namespace deja::server
