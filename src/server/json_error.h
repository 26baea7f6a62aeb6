// The API's error bodies: {"error": "...", "field": "..."} (field optional),
// so a client can show which input was wrong and why.
#pragma once

#include <string>

#include "server/http_types.h"

namespace deja::server {

HttpResponse JsonError(int status, const std::string& message, const std::string& field = "");
HttpResponse JsonBody(int status, const std::string& json);

}  // namespace deja::server
