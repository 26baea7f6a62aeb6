// W3C Trace Context (https://www.w3.org/TR/trace-context/): the
// `traceparent` request header a function invocation accepts, passes to the
// guest (HTTP_TRACEPARENT), echoes and logs. An invalid one is dropped, as
// the recommendation asks of a receiver, rather than refused.
#pragma once

#include <string_view>

#include "server/http_types.h"

namespace deja::server {

// "VERSION-TRACEID-PARENTID-FLAGS": 2, 32, 16 and 2 lowercase hex digits;
// version ff, an all-zero trace id or parent id are invalid; version 00 has
// nothing after the flags, a later version may have "-..." after them.
bool ValidTraceparent(std::string_view value);

// The request's traceparent when it has exactly one and it is valid, else
// empty (none, several, or invalid).
std::string_view AcceptedTraceparent(const HttpRequest& request);

}  // namespace deja::server
