// Routing and authentication, tenants and tokens.
#include <charconv>
#include <cstdlib>
#include <chrono>

#include "server/api_internal.h"

namespace deja::server {

uint64_t BodyLimitFor(const ApiOptions& options, std::string_view target) {
  return target.substr(0, 4) == "/v1/" ? options.max_module_bytes : options.max_invoke_body;
}

namespace api {

std::string Context::Query(std::string_view name) const {
  std::string value;
  for (const auto& [k, v] : query) {
    if (k == name) value = v;
  }
  return value;
}

bool Context::HasQuery(std::string_view name) const {
  for (const auto& kv : query) {
    if (kv.first == name) return true;
  }
  return false;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpResponse StoreError(const Status& status) {
  return JsonError(500, "server state: " + std::string(status.message()));
}

HttpResponse Json(int status, const nlohmann::json& j) {
  return JsonBody(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::optional<HttpResponse> NeedTenant(const Context& c, std::string_view scope, int64_t* tenant_id) {
  if (!c.principal->tenant_id) {
    return JsonError(403, "this route acts on a tenant's functions: use a token of that tenant, not a "
                          "platform admin token", "Authorization");
  }
  if (!c.principal->Has(scope)) {
    return JsonError(403, "this token lacks the \"" + std::string(scope) + "\" scope", "Authorization");
  }
  *tenant_id = *c.principal->tenant_id;
  return std::nullopt;
}

std::optional<int64_t> ParsePositive(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char ch = name[i];
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '-' && ch != '_'))) return false;
  }
  return name != "v1" && name != "metrics" && name != "healthz";
}

std::string ModulePath(const std::string& home, const std::string& module_hash) {
  std::string_view hex = module_hash;
  if (hex.substr(0, 7) == "sha256:") hex.remove_prefix(7);
  return home + "/server/modules/" + std::string(hex) + ".wasm";
}

namespace {

nlohmann::json TokenJson(const TokenRow& t) {
  nlohmann::json j = {{"id", t.id}, {"scopes", t.scopes}, {"created_at", t.created_at}, {"label", t.label}};
  j["expires_at"] = t.expires_at ? nlohmann::json(*t.expires_at) : nlohmann::json(nullptr);
  j["revoked_at"] = t.revoked_at ? nlohmann::json(*t.revoked_at) : nlohmann::json(nullptr);
  if (t.tenant_id) j["tenant_id"] = *t.tenant_id;
  return j;
}

Result<nlohmann::json> ParseJsonBody(const Context& c) {
  if (c.request.body.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(c.request.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("the request body is not a JSON object");
  }
  return j;
}

}  // namespace

HttpResponse Tenants(Context& c) {
  if (!c.principal->Has(kScopeAdmin)) {
    return JsonError(403, "managing tenants needs an admin token", "Authorization");
  }
  const std::string& method = c.request.method;
  if (c.segments.size() == 2 && method == "GET") {
    Result<std::vector<Tenant>> list = c.store.ListTenants();
    if (!list.ok()) return StoreError(list.status());
    nlohmann::json out = nlohmann::json::array();
    for (const Tenant& t : *list) out.push_back({{"id", t.id}, {"name", t.name}, {"created_at", t.created_at}});
    return Json(200, {{"tenants", out}});
  }
  if (c.segments.size() == 2 && method == "POST") {
    Result<nlohmann::json> body = ParseJsonBody(c);
    if (!body.ok()) return JsonError(400, std::string(body.status().message()), "body");
    if (!body->contains("name") || !(*body)["name"].is_string()) {
      return JsonError(400, "\"name\" is required and must be a string", "name");
    }
    std::string name = (*body)["name"];
    if (!IsValidName(name)) {
      return JsonError(400, "a tenant name is 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter "
                            "or digit (and not v1, metrics or healthz)", "name");
    }
    Result<Tenant> tenant = c.store.CreateTenant(name);
    if (!tenant.ok()) {
      if (tenant.status().code() == Status::Code::kInvalidArgument) {
        return JsonError(409, std::string(tenant.status().message()), "name");
      }
      return StoreError(tenant.status());
    }
    Result<std::string> token = IssueToken(c.store, tenant->id, {kScopeDeploy, kScopeInvoke, kScopeRead},
                                           std::nullopt, "created with the tenant");
    if (!token.ok()) return StoreError(token.status());
    return Json(201, {{"id", tenant->id}, {"name", tenant->name}, {"token", *token}});
  }
  return JsonError(405, "method " + method + " not allowed on " + c.request.target);
}

HttpResponse Tokens(Context& c) {
  const std::string& method = c.request.method;
  const Principal& p = *c.principal;
  bool admin = p.Has(kScopeAdmin);
  if (!admin && !p.Has(kScopeDeploy)) {
    return JsonError(403, "managing tokens needs the \"deploy\" scope (or an admin token)", "Authorization");
  }
  // Which tenant's tokens: the caller's own; an admin names one with ?tenant= (none: platform tokens).
  std::optional<int64_t> tenant_id = p.tenant_id;
  if (admin && c.HasQuery("tenant")) {
    Result<std::optional<Tenant>> t = c.store.FindTenant(c.Query("tenant"));
    if (!t.ok()) return StoreError(t.status());
    if (!*t) return JsonError(404, "no tenant \"" + c.Query("tenant") + "\"", "tenant");
    tenant_id = (*t)->id;
  }
  if (c.segments.size() == 2 && method == "GET") {
    Result<std::vector<TokenRow>> list = c.store.ListTokens(tenant_id);
    if (!list.ok()) return StoreError(list.status());
    nlohmann::json out = nlohmann::json::array();
    for (const TokenRow& t : *list) out.push_back(TokenJson(t));
    return Json(200, {{"tokens", out}});
  }
  if (c.segments.size() == 2 && method == "POST") {
    Result<nlohmann::json> body = ParseJsonBody(c);
    if (!body.ok()) return JsonError(400, std::string(body.status().message()), "body");
    std::vector<std::string> scopes;
    if (!body->contains("scopes") || !(*body)["scopes"].is_array() || (*body)["scopes"].empty()) {
      return JsonError(400, "\"scopes\" is required: a non-empty array of admin, deploy, invoke, read", "scopes");
    }
    for (const nlohmann::json& s : (*body)["scopes"]) {
      if (!s.is_string() || !IsScope(s.get<std::string>())) {
        return JsonError(400, "unknown scope " + s.dump() + ": the scopes are admin, deploy, invoke, read",
                         "scopes");
      }
      std::string scope = s;
      if (scope == kScopeAdmin && (tenant_id || !admin)) {
        return JsonError(403, "the admin scope is for platform tokens, made with an admin token", "scopes");
      }
      if (!admin && !p.Has(scope)) {
        return JsonError(403, "a token cannot grant the \"" + scope + "\" scope it does not have", "scopes");
      }
      scopes.push_back(scope);
    }
    std::optional<int64_t> expires_at;
    if (body->contains("expires_in")) {
      const nlohmann::json& e = (*body)["expires_in"];
      if (!e.is_number_integer() || e.get<int64_t>() <= 0 || e.get<int64_t>() > int64_t{10} * 365 * 86400) {
        return JsonError(400, "\"expires_in\" is seconds: an integer from 1 to 10 years", "expires_in");
      }
      expires_at = NowSeconds() + e.get<int64_t>();
    }
    std::string label = body->value("label", std::string());
    if (label.size() > 200) return JsonError(400, "\"label\" is at most 200 bytes", "label");
    Result<std::string> token = IssueToken(c.store, tenant_id, scopes, expires_at, label);
    if (!token.ok()) return StoreError(token.status());
    nlohmann::json out = {{"token", *token}, {"scopes", scopes}};
    out["expires_at"] = expires_at ? nlohmann::json(*expires_at) : nlohmann::json(nullptr);
    return Json(201, out);
  }
  if (c.segments.size() == 3 && method == "DELETE") {
    int64_t id = ParsePositive(c.segments[2]).value_or(0);
    if (id <= 0) return JsonError(400, "a token id is a positive integer", "id");
    Result<bool> revoked = c.store.RevokeToken(tenant_id, id, NowSeconds());
    if (!revoked.ok()) return StoreError(revoked.status());
    if (!*revoked) return JsonError(404, "no token " + c.segments[2] + " here", "id");
    return Json(200, {{"revoked", id}});
  }
  return JsonError(405, "method " + method + " not allowed on " + c.request.target);
}

}  // namespace api

namespace {
template <typename T>
T* Must(Result<T*> r) {
  // The names below are constants that satisfy the rules: a failure is a bug.
  if (!r.ok()) std::abort();
  return *r;
}
constexpr double kSecondsBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,    10, 30};
}  // namespace

PlatformMetrics::PlatformMetrics(MetricsRegistry& r)
    : requests(Must(r.AddCounter("deja_http_requests_total", "Requests answered, by route and status",
                                 {"route", "status"}))),
      latency(Must(r.AddHistogram("deja_http_request_seconds", "Time from a complete request to its answer",
                                  {"route"}, {std::begin(kSecondsBounds), std::end(kSecondsBounds)}))),
      invocations(Must(r.AddCounter("deja_invocations_total", "Function invocations, by tenant and status",
                                    {"tenant", "status"}))),
      invocation_seconds(Must(r.AddHistogram("deja_invocation_seconds", "Wall time of invocations",
                                             {"tenant"}, {std::begin(kSecondsBounds), std::end(kSecondsBounds)}))),
      fuel(Must(r.AddCounter("deja_fuel_total", "Fuel burnt by invocations", {"tenant"}))),
      quota_refusals(Must(r.AddCounter("deja_quota_refusals_total", "Invocations refused by a quota",
                                       {"tenant", "limit"}))),
      in_flight(Must(r.AddGauge("deja_invocations_in_flight", "Invocations running", {"tenant"}))) {}

Api::Api(Store& store, ApiOptions options)
    : store_(store), options_(std::move(options)), metrics_(registry_), idempotency_(&idempotency_records_),
      modules_(options_.module_cache_entries, options_.module_cache_bytes) {
  quotas_.SetDefaultLimits(options_.tenant_limits);
}

HttpResponse Api::Handle(const HttpRequest& request) {
  auto start = std::chrono::steady_clock::now();
  AccessEntry access;
  HttpResponse response = Route(request, access);
  // The route label is the kind of route, never the raw path (which a client
  // could make unbounded).
  std::string_view path = request.target;
  std::string route = path.substr(0, 4) == "/v1/" || path == "/v1" ? "api"
                      : path.substr(0, 8) == "/metrics" || path.substr(0, 8) == "/healthz" ? std::string(path.substr(1, 7))
                                                                                          : "invoke";
  metrics_.requests->Add({route, std::to_string(response.status)});
  auto elapsed = std::chrono::steady_clock::now() - start;
  metrics_.latency->Observe({route}, std::chrono::duration<double>(elapsed).count());
  if (options_.access_log) {
    access.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    access.method = request.method.substr(0, 32);
    access.path = request.target.substr(0, std::min<size_t>(request.target.find('?'), 1024));
    access.status = response.status;
    access.duration_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    access.bytes_in = request.body.size();
    access.bytes_out = response.body.size();
    options_.access_log->Write(access);
  }
  return response;
}

HttpResponse Api::Route(const HttpRequest& request, AccessEntry& access) {
  std::string_view target = request.target;
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  api::Context c{store_, options_, request, {}, {}, std::nullopt, &quotas_, &metrics_, &idempotency_, &modules_, &access};
  if (path.empty() || path[0] != '/') return JsonError(400, "the request target must start with '/'");
  for (size_t pos = 1; pos <= path.size();) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string segment;
    if (!PercentDecode(path.substr(pos, slash - pos), segment)) {
      return JsonError(400, "the path has a bad %-escape");
    }
    c.segments.push_back(std::move(segment));
    pos = slash + 1;
  }
  while (!c.segments.empty() && c.segments.back().empty()) c.segments.pop_back();
  if (!ParseQuery(query, c.query)) return JsonError(400, "the query string has a bad %-escape");

  if (c.segments.empty()) return JsonError(404, "nothing here: functions answer at /TENANT/FUNCTION/");
  if (c.segments.size() == 1 && c.segments[0] == "healthz") return api::Json(200, {{"ok", true}});
  if (c.segments.size() == 1 && c.segments[0] == "metrics" && request.method == "GET") {
    HttpResponse r;
    r.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = registry_.Serialize();
    return r;
  }
  if (c.segments[0] != "v1") return api::InvokeFunction(c);

  std::string_view authorization = request.Header("Authorization");
  if (authorization.empty()) {
    return JsonError(401, "this route needs a token: Authorization: Bearer TOKEN", "Authorization");
  }
  Result<Principal> principal = Authenticate(store_, authorization, api::NowSeconds());
  if (!principal.ok()) {
    if (principal.status().code() == Status::Code::kNotFound) {
      return JsonError(401, std::string(principal.status().message()), "Authorization");
    }
    return api::StoreError(principal.status());
  }
  c.principal = std::move(*principal);
  std::string resource = c.segments.size() > 1 ? c.segments[1] : "";
  if (resource == "whoami" && c.segments.size() == 2) {
    nlohmann::json j = {{"token_id", c.principal->token_id}, {"scopes", c.principal->scopes}};
    if (c.principal->tenant_id) {
      Result<std::optional<Tenant>> t = store_.GetTenant(*c.principal->tenant_id);
      if (!t.ok()) return api::StoreError(t.status());
      if (*t) j["tenant"] = (*t)->name;
    }
    return api::Json(200, j);
  }
  if (resource == "tenants") return api::Tenants(c);
  if (resource == "tokens") return api::Tokens(c);
  if (resource == "functions") return api::Functions(c);
  if (resource == "invocations") return api::Invocations(c);
  return JsonError(404, "no route " + std::string(path) + " (see docs/openapi.yaml)");
}

}  // namespace deja::server
