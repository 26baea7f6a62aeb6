// The routes of `deja serve` (docs/SERVER.md, docs/openapi.yaml): the JSON
// admin API under /v1 and function invocation at /TENANT/FUNCTION/...
// Handle runs on an engine thread (it may run a guest, compile a module or
// replay recordings), never on an I/O thread.
#pragma once

#include <cstdint>
#include <string>

#include "server/http_types.h"
#include "server/store.h"

namespace deja::server {

struct ApiOptions {
  std::string home;                             // $DEJA_HOME: modules, recordings
  uint64_t max_module_bytes = uint64_t{32} << 20;  // an uploaded module
  uint64_t max_invoke_body = uint64_t{8} << 20;    // a request body given to a guest
  int check_default = 20;                       // invocations a version check replays
  int check_max = 200;
};

// The body limit the HTTP layer enforces before a request reaches Handle.
uint64_t BodyLimitFor(const ApiOptions& options, std::string_view target);

class Api {
 public:
  Api(Store& store, ApiOptions options) : store_(store), options_(std::move(options)) {}
  HttpResponse Handle(const HttpRequest& request);

 private:
  Store& store_;
  ApiOptions options_;
};

}  // namespace deja::server
