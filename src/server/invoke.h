// One invocation of a function version: the request mapped CGI-style
// (gateway.h), session::Run on the calling (engine) thread, the outcome
// mapped to a response with the X-Deja-* figures, and the row to store.
#pragma once

#include <string>
#include <string_view>

#include "deja/session.h"
#include "server/http_types.h"
#include "server/store.h"

namespace deja::server {

struct InvokeTarget {
  int64_t tenant_id = 0;
  std::string tenant;
  std::string function;
  Version version;
  std::string module_path;  // the version's module file
  std::string home;         // recordings go to this registry
  // The module compiled before (ModuleCache); null: compiled from module_path.
  std::shared_ptr<const session::PreparedModule> prepared;
};

struct InvokeOutcome {
  HttpResponse response;
  Invocation invocation;  // id not set yet
  std::string traceparent;  // the request's, when valid (trace_context.h): echoed, logged
};

// Caps what a guest can write before it is cut off: 16 MiB of stdout.
inline constexpr uint64_t kMaxGuestOutput = uint64_t{16} << 20;
inline constexpr size_t kMaxStoredLogs = 64 * 1024;

InvokeOutcome InvokeVersion(const InvokeTarget& target, const HttpRequest& request);

// The X-Deja-* headers of an invocation (also used by the routes).
void AddFigureHeaders(const Invocation& invocation, HttpResponse& response);

}  // namespace deja::server
