// The CGI mapping (server/cgi.h) in the server's own request and response
// types (server/http_types.h, gateway.h): what gateway.h's MapRequest and
// MapResponse become with the full mapping. A local redirect is answered as
// a 302 to that path until the server re-dispatches it itself.
#pragma once

#include <string_view>

#include "deja/status.h"
#include "server/cgi.h"
#include "server/gateway.h"
#include "server/http_types.h"

namespace deja::server {

// The guest's environment (RFC 3875 + WAGI extras), argv and stdin for a
// request to the function at `script_name` ("/acme/hello"). Fails with the
// message for a 400 (431 when kResourceExhausted).
struct CgiGuestInput {
  GuestRequest guest;             // env ("NAME=VALUE") and stdin
  std::vector<std::string> args;  // argv[1..] (WAGI: the query's parts)
};
Result<CgiGuestInput> CgiMapRequest(const HttpRequest& request, std::string_view script_name,
                                    const CgiOptions& options = {});

// The guest's whole stdout as a response; kMalformed with the message for
// the 502 body when it is not a CGI response.
Result<HttpResponse> CgiMapResponse(std::string_view output, const CgiParseLimits& limits = {});

}  // namespace deja::server
