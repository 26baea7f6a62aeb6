#include "server/json_error.h"

#include <nlohmann/json.hpp>

namespace deja::server {

HttpResponse JsonBody(int status, const std::string& json) {
  HttpResponse r;
  r.status = status;
  r.Set("Content-Type", "application/json");
  r.body = json;
  r.body += "\n";
  return r;
}

HttpResponse JsonError(int status, const std::string& message, const std::string& field) {
  nlohmann::json j = {{"error", message}};
  if (!field.empty()) j["field"] = field;
  // Replace invalid UTF-8 (a guest's or a client's bytes in a message) rather than fail.
  return JsonBody(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace deja::server
