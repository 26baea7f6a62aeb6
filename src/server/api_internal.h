// Shared by the route files (api.cc, api_functions.cc, api_invocations.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api.h"
#include "server/auth.h"
#include "server/json_error.h"

namespace deja::server::api {

struct Context {
  Store& store;
  const ApiOptions& options;
  const HttpRequest& request;
  std::vector<std::string> segments;  // the path split at '/', decoded
  std::vector<std::pair<std::string, std::string>> query;
  std::optional<Principal> principal;
  QuotaTracker* quotas = nullptr;
  PlatformMetrics* metrics = nullptr;
  IdempotencyGate* idempotency = nullptr;
  ModuleCache* modules = nullptr;
  AccessEntry* access = nullptr;  // an invocation adds its tenant, function, version, run
  std::string Query(std::string_view name) const;  // the last value, or empty
  bool HasQuery(std::string_view name) const;
};

int64_t NowSeconds();
HttpResponse StoreError(const Status& status);
HttpResponse Json(int status, const nlohmann::json& j);
// The principal's tenant for a tenant route, or a 403 response.
std::optional<HttpResponse> NeedTenant(const Context& c, std::string_view scope, int64_t* tenant_id);
// A name for a tenant or a function: 1-64 of [a-z0-9_-], starting alnum.
bool IsValidName(std::string_view name);
// A positive decimal integer, or none.
std::optional<int64_t> ParsePositive(std::string_view text);
std::string ModulePath(const std::string& home, const std::string& module_hash);

HttpResponse Tenants(Context& c);
HttpResponse Tokens(Context& c);
HttpResponse Functions(Context& c);
HttpResponse Invocations(Context& c);
HttpResponse InvokeFunction(Context& c);

}  // namespace deja::server::api
