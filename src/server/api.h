// The routes of `deja serve` (docs/SERVER.md, docs/openapi.yaml): the JSON
// admin API under /v1 and function invocation at /TENANT/FUNCTION/...
// Handle runs on an engine thread (it may run a guest, compile a module or
// replay recordings), never on an I/O thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server/access_log.h"
#include "server/http_types.h"
#include "server/idempotency.h"
#include "server/metrics.h"
#include "server/module_cache.h"
#include "server/quota.h"
#include "server/store.h"

namespace deja::server {

struct ApiOptions {
  std::string home;                             // $DEJA_HOME: modules, recordings
  uint64_t max_module_bytes = uint64_t{32} << 20;  // an uploaded module
  uint64_t max_invoke_body = uint64_t{8} << 20;    // a request body given to a guest
  int check_default = 20;                       // invocations a version check replays
  int check_max = 200;
  QuotaLimits tenant_limits;                    // every tenant's (0: unlimited)
  // Compiled modules kept between invocations (module_cache.h); 0 entries:
  // every invocation compiles its module again.
  size_t module_cache_entries = 256;
  uint64_t module_cache_bytes = uint64_t{512} << 20;
  std::shared_ptr<AccessLog> access_log;        // null: no access log
};

// The platform's counters, exposed at GET /metrics (Prometheus text).
struct PlatformMetrics {
  explicit PlatformMetrics(MetricsRegistry& registry);
  Counter* requests;         // {route, status}: every request the routes answered
  Histogram* latency;        // {route}: seconds from a complete request to its answer
  Counter* invocations;      // {tenant, status}
  Histogram* invocation_seconds;  // {tenant}: wall time of the guest
  Counter* fuel;             // {tenant}
  Counter* quota_refusals;   // {tenant, limit}
  Gauge* in_flight;          // {tenant}
};

// The body limit the HTTP layer enforces before a request reaches Handle.
uint64_t BodyLimitFor(const ApiOptions& options, std::string_view target);

class Api {
 public:
  Api(Store& store, ApiOptions options);
  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse Route(const HttpRequest& request, AccessEntry& access);
  Store& store_;
  ApiOptions options_;
  MetricsRegistry registry_;
  PlatformMetrics metrics_;
  QuotaTracker quotas_;
  MemoryIdempotencyBackend idempotency_records_;
  IdempotencyGate idempotency_;
  ModuleCache modules_;
};

}  // namespace deja::server
