// Invoking a function, and the invocations a tenant can look back at: the
// list, one invocation, its logs (the guest's stderr) and its host-call trace.
#include <sstream>

#include "registry/registry.h"
#include "server/api_internal.h"
#include "server/invoke.h"
#include "timemachine/log.h"
#include "timemachine/trace.h"

namespace deja::server::api {
namespace {

nlohmann::json InvocationJson(const Invocation& v) {
  return {{"id", v.id},           {"function", v.function},   {"version", v.version},
          {"run_id", v.run_id},   {"started_at_ms", v.started_at_ms}, {"method", v.method},
          {"path", v.path},       {"status", v.status},       {"outcome", v.outcome},
          {"wall_us", v.wall_us}, {"fuel", v.fuel},           {"peak_memory", v.peak_memory},
          {"host_calls", v.host_calls}, {"bytes_in", v.bytes_in}, {"bytes_out", v.bytes_out},
          {"error", v.error}};
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.Set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

HttpResponse Trace(const Context& c, const Invocation& v) {
  if (v.run_id.empty()) return JsonError(404, "invocation " + std::to_string(v.id) + " was not recorded");
  Result<std::unique_ptr<registry::Registry>> reg = registry::Registry::Open(c.options.home);
  if (!reg.ok()) return StoreError(reg.status());
  Result<std::unique_ptr<tm::LogReader>> log = tm::LogReader::Open((*reg)->LogPath(v.run_id));
  if (!log.ok()) return StoreError(log.status());
  std::ostringstream out;
  tm::TraceOptions options;
  options.json = c.Query("format") == "json";
  Status written = c.Query("kind") == "http" ? tm::WriteHttpTrace(**log, out, options)
                                             : tm::WriteTrace(**log, out, options);
  if (!written.ok()) return JsonError(500, "trace of run " + v.run_id + ": " + std::string(written.message()));
  return Text(200, out.str());
}

}  // namespace

HttpResponse Invocations(Context& c) {
  int64_t tenant_id = 0;
  if (std::optional<HttpResponse> denied = NeedTenant(c, kScopeRead, &tenant_id)) return *denied;
  if (c.request.method != "GET") return JsonError(405, "method " + c.request.method + " not allowed here");
  const auto& s = c.segments;
  bool by_function = s[1] == "functions";
  if (by_function || s.size() == 2) {
    int limit = 50;
    if (c.HasQuery("limit")) {
      std::optional<int64_t> n = ParsePositive(c.Query("limit"));
      if (!n || *n > 1000) return JsonError(400, "limit is from 1 to 1000", "limit");
      limit = static_cast<int>(*n);
    }
    int64_t version = 0;
    if (c.HasQuery("version")) {
      std::optional<int64_t> n = ParsePositive(c.Query("version"));
      if (!n) return JsonError(400, "version is a positive integer", "version");
      version = *n;
    }
    std::string function = by_function ? s[2] : c.Query("function");
    Result<std::vector<Invocation>> list = c.store.ListInvocations(tenant_id, function, version, limit);
    if (!list.ok()) return StoreError(list.status());
    nlohmann::json out = nlohmann::json::array();
    for (const Invocation& v : *list) out.push_back(InvocationJson(v));
    return Json(200, {{"invocations", out}});
  }
  std::optional<int64_t> id = ParsePositive(s[2]);
  if (!id) return JsonError(400, "an invocation id is a positive integer: \"" + s[2] + "\"", "id");
  Result<std::optional<Invocation>> found = c.store.GetInvocation(tenant_id, *id);
  if (!found.ok()) return StoreError(found.status());
  // Another tenant's invocation is answered exactly as a missing one.
  if (!*found) return JsonError(404, "no invocation " + s[2], "id");
  const Invocation& v = **found;
  if (s.size() == 3) {
    nlohmann::json j = InvocationJson(v);
    return Json(200, j);
  }
  if (s.size() == 4 && s[3] == "logs") return Text(200, v.logs);
  if (s.size() == 4 && s[3] == "trace") return Trace(c, v);
  return JsonError(404, "no route " + c.request.target + " (see docs/openapi.yaml)");
}

HttpResponse InvokeFunction(Context& c) {
  const auto& s = c.segments;
  if (s.size() < 2) return JsonError(404, "functions answer at /TENANT/FUNCTION/");
  Result<std::optional<Tenant>> tenant = c.store.FindTenant(s[0]);
  if (!tenant.ok()) return StoreError(tenant.status());
  const std::string unknown = "no function " + s[0] + "/" + s[1];
  // An unknown tenant and an unknown function read the same: no probing for tenant names.
  if (!*tenant) return JsonError(404, unknown);
  Result<std::optional<Function>> f = c.store.GetFunction((*tenant)->id, s[1]);
  if (!f.ok()) return StoreError(f.status());
  if (!*f) return JsonError(404, unknown);
  if (!(*f)->live_version) return JsonError(404, "function " + s[0] + "/" + s[1] + " has no live version");
  Result<std::optional<Version>> version = c.store.GetVersion((*tenant)->id, s[1], *(*f)->live_version);
  if (!version.ok()) return StoreError(version.status());
  if (!*version) return JsonError(500, "function " + s[0] + "/" + s[1] + ": its live version is missing");
  if (!(*version)->config.is_public) {
    std::string_view authorization = c.request.Header("Authorization");
    if (authorization.empty()) {
      return JsonError(401, "function " + s[0] + "/" + s[1] + " needs an invoke token", "Authorization");
    }
    Result<Principal> p = Authenticate(c.store, authorization, NowSeconds());
    if (!p.ok()) return JsonError(401, std::string(p.status().message()), "Authorization");
    if (p->tenant_id != (*tenant)->id || !p->Has(kScopeInvoke)) {
      return JsonError(403, "this token cannot invoke " + s[0] + "/" + s[1], "Authorization");
    }
  }
  if (c.request.body.size() > c.options.max_invoke_body) {
    return JsonError(413, "the request body is over the cap of " + std::to_string(c.options.max_invoke_body) +
                              " bytes", "body");
  }
  // Idempotency-Key: a retried request gets the first one's answer.
  std::optional<IdempotencyKey> idempotency_key;
  if (std::string_view key = c.request.Header("Idempotency-Key"); !key.empty()) {
    if (std::string why = ValidIdempotencyKey(key); !why.empty()) return JsonError(400, why, "Idempotency-Key");
    RequestFingerprint fingerprint;
    fingerprint.AddMethodAndTarget(c.request.method, c.request.target);
    fingerprint.AddBody(c.request.body);
    idempotency_key = IdempotencyKey{s[0], s[1], std::string(key)};
    IdempotencyBegin begin = c.idempotency->Begin(*idempotency_key, fingerprint.Final());
    switch (begin.outcome) {
      case IdempotencyOutcome::kRun: break;
      case IdempotencyOutcome::kReplay: {
        HttpResponse replayed;
        replayed.status = begin.stored.status;
        for (HttpHeader& h : begin.stored.headers) replayed.Set(std::move(h.name), std::move(h.value));
        replayed.body = std::move(begin.stored.body);
        replayed.Set("Idempotent-Replayed", "true");
        return replayed;
      }
      case IdempotencyOutcome::kMismatch: return JsonError(422, begin.message, "Idempotency-Key");
      case IdempotencyOutcome::kInProgress:
      case IdempotencyOutcome::kTooLarge: return JsonError(409, begin.message, "Idempotency-Key");
      case IdempotencyOutcome::kBusy: return JsonError(503, begin.message, "Idempotency-Key");
    }
  }
  // Quotas after authentication (a stranger cannot spend a tenant's quota
  // on a private function) and before any guest work.
  const std::string& tenant_name = (*tenant)->name;
  Admission admission = c.quotas->Admit(tenant_name);
  if (!admission.decision.allowed) {
    c.metrics->quota_refusals->Add({tenant_name, std::string(QuotaLimitName(admission.decision.limit))});
    if (idempotency_key) c.idempotency->Abandon(*idempotency_key);  // a refusal is not a result
    HttpResponse refused = JsonError(429, admission.decision.message, "quota");
    if (admission.decision.retry_after_seconds > 0) {
      refused.Set("Retry-After", std::to_string(admission.decision.retry_after_seconds));
    }
    return refused;
  }
  c.metrics->in_flight->Add({tenant_name}, 1);
  InvokeTarget t;
  t.tenant_id = (*tenant)->id;
  t.tenant = s[0];
  t.function = s[1];
  t.version = **version;
  t.module_path = ModulePath(c.options.home, t.version.module_hash);
  t.home = c.options.home;
  // A cache miss that fails to compile runs from the file, so the session
  // reports why as for any invocation.
  if (auto prepared = c.modules->Get(t.version.module_hash, t.module_path); prepared.ok()) {
    t.prepared = std::move(prepared).value();
  }
  InvokeOutcome out = InvokeVersion(t, c.request);
  c.access->tenant = t.tenant;
  c.access->function = t.function;
  c.access->version = t.version.number;
  c.access->run_id = out.invocation.run_id;
  c.access->traceparent = out.traceparent;
  admission.permit.Finish(out.invocation.fuel);
  c.metrics->in_flight->Add({tenant_name}, -1);
  c.metrics->invocations->Add({tenant_name, std::to_string(out.response.status)});
  c.metrics->invocation_seconds->Observe({tenant_name}, static_cast<double>(out.invocation.wall_us) / 1e6);
  c.metrics->fuel->Add({tenant_name}, static_cast<double>(out.invocation.fuel));
  Result<int64_t> id = c.store.AddInvocation(out.invocation);
  if (id.ok()) out.response.Set("X-Deja-Invocation", std::to_string(*id));
  if (idempotency_key) {
    StoredResponse stored{out.response.status, {}, out.response.body};
    for (const auto& [name, value] : out.response.headers) stored.headers.push_back({name, value});
    c.idempotency->Complete(*idempotency_key, std::move(stored));
  }
  return std::move(out.response);
}

}  // namespace deja::server::api
