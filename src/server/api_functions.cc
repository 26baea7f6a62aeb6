// Functions and their versions: upload, list, promote, roll back, check.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <span>

#include "deja/module.h"
#include "deja/session.h"
#include "server/api_internal.h"

namespace deja::server::api {
namespace {

nlohmann::json VersionJson(const Version& v, std::optional<int64_t> live) {
  const VersionConfig& c = v.config;
  nlohmann::json config = {{"env", c.env},         {"timeout_ms", c.timeout_ms},
                           {"allow_hosts", c.allow_hosts}, {"record", c.record},
                           {"public", c.is_public}, {"allow_unknown_imports", c.allow_unknown_imports}};
  config["fuel"] = c.fuel ? nlohmann::json(*c.fuel) : nlohmann::json(nullptr);
  config["max_memory"] = c.max_memory ? nlohmann::json(*c.max_memory) : nlohmann::json(nullptr);
  return {{"version", v.number}, {"module", v.module_hash}, {"module_size", v.module_size},
          {"created_at", v.created_at}, {"live", live && *live == v.number}, {"config", config}};
}

nlohmann::json FunctionJson(const Function& f) {
  return {{"name", f.name},
          {"live_version", f.live_version ? nlohmann::json(*f.live_version) : nlohmann::json(nullptr)},
          {"created_at", f.created_at}};
}

std::optional<bool> ParseBool(const std::string& text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

// The version's config from the upload's query string; a 400 naming the field otherwise.
std::optional<HttpResponse> ParseConfig(const Context& c, VersionConfig& config, bool& live) {
  for (const auto& [key, value] : c.query) {
    if (key == "env") {
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0 || value.size() > 4096) {
        return JsonError(400, "env is NAME=VALUE (at most 4096 bytes): \"" + value.substr(0, 64) + "\"", "env");
      }
      if (config.env.size() >= 256) return JsonError(400, "at most 256 env entries", "env");
      config.env.push_back(value);
    } else if (key == "fuel") {
      std::optional<int64_t> n = ParsePositive(value);
      if (!n) return JsonError(400, "fuel is a positive integer: \"" + value + "\"", "fuel");
      config.fuel = static_cast<uint64_t>(*n);
    } else if (key == "max_memory") {
      std::optional<int64_t> n = ParsePositive(value);
      if (!n || *n > (int64_t{4} << 30)) {
        return JsonError(400, "max_memory is bytes, from 1 to 4 GiB: \"" + value + "\"", "max_memory");
      }
      config.max_memory = static_cast<uint64_t>(*n);
    } else if (key == "timeout_ms") {
      std::optional<int64_t> n = ParsePositive(value);
      if (!n || *n > 15 * 60 * 1000) {
        return JsonError(400, "timeout_ms is milliseconds, from 1 to 900000: \"" + value + "\"", "timeout_ms");
      }
      config.timeout_ms = static_cast<uint64_t>(*n);
    } else if (key == "allow_host") {
      if (value.empty() || value.find(':') == std::string::npos || value.size() > 300) {
        return JsonError(400, "allow_host is HOST:PORT ('*' matches any run): \"" + value.substr(0, 64) + "\"",
                         "allow_host");
      }
      config.allow_hosts.push_back(value);
    } else if (key == "record" || key == "public" || key == "allow_unknown_imports" || key == "live") {
      std::optional<bool> b = ParseBool(value);
      if (!b) return JsonError(400, key + " is true or false: \"" + value.substr(0, 64) + "\"", key);
      if (key == "record") config.record = *b;
      if (key == "public") config.is_public = *b;
      if (key == "allow_unknown_imports") config.allow_unknown_imports = *b;
      if (key == "live") live = *b;
    } else {
      return JsonError(400, "unknown parameter \"" + key.substr(0, 64) +
                                "\": env, fuel, max_memory, timeout_ms, allow_host, record, public, "
                                "allow_unknown_imports, live", key.substr(0, 64));
    }
  }
  return std::nullopt;
}

// Writes the module once under its hash (a temporary file renamed, so a
// reader never sees half a module).
Status SaveModule(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IoError("cannot create " + std::filesystem::path(path).parent_path().string() + ": " + ec.message());
  if (std::filesystem::exists(path, ec)) return {};
  std::string tmp = path + ".tmp" + std::to_string(::getpid()) + "." + std::to_string(reinterpret_cast<uintptr_t>(&bytes));
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::IoError("cannot write " + tmp);
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fflush(f) == 0) && ok && ::fsync(fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::IoError("cannot write " + path);
  }
  return {};
}

HttpResponse Upload(Context& c, int64_t tenant_id, const std::string& name) {
  VersionConfig config;
  bool live = false;
  if (std::optional<HttpResponse> bad = ParseConfig(c, config, live)) return *bad;
  const std::string& body = c.request.body;
  if (body.empty()) return JsonError(400, "the request body is the module (.wasm) and is empty", "body");
  if (body.size() > c.options.max_module_bytes) {
    return JsonError(413, "the module is " + std::to_string(body.size()) + " bytes, over the cap of " +
                              std::to_string(c.options.max_module_bytes), "body");
  }
  Result<Module> module = Module::Compile(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  if (!module.ok()) {
    return JsonError(422, "the module is not valid: " + std::string(module.status().message()), "body");
  }
  for (const ImportDesc& import : module->imports()) {
    bool wasi = import.module == "wasi_snapshot_preview1" && import.kind == ExternKind::kFunc;
    if (!wasi && !config.allow_unknown_imports) {
      return JsonError(422, "the module imports " + import.module + "." + import.name +
                                ": only WASI preview 1 functions are allowed (allow_unknown_imports=true "
                                "makes other imports trap when called)", "body");
    }
  }
  Version version;
  version.module_hash = "sha256:" + Sha256Hex(body);
  version.module_size = body.size();
  version.config = std::move(config);
  if (Status saved = SaveModule(ModulePath(c.options.home, version.module_hash), body); !saved.ok()) {
    return StoreError(saved);
  }
  Result<Version> stored = c.store.AddVersion(tenant_id, name, std::move(version), live);
  if (!stored.ok()) return StoreError(stored.status());
  return Json(201, VersionJson(*stored, live ? std::optional<int64_t>(stored->number) : std::nullopt));
}

// Which version a promote/rollback body names; none given: `fallback`.
std::optional<HttpResponse> BodyVersion(const Context& c, std::optional<int64_t>& version) {
  if (c.request.body.empty()) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(c.request.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return JsonError(400, "the request body is not a JSON object", "body");
  if (!j.contains("version")) return std::nullopt;
  if (!j["version"].is_number_integer() || j["version"].get<int64_t>() <= 0) {
    return JsonError(400, "\"version\" is a positive integer", "version");
  }
  version = j["version"].get<int64_t>();
  return std::nullopt;
}

HttpResponse Check(Context& c, int64_t tenant_id, const Function& f, const Version& candidate) {
  if (!f.live_version) return JsonError(409, "function \"" + f.name + "\" has no live version to check against");
  int limit = c.options.check_default;
  if (c.HasQuery("limit")) {
    std::optional<int64_t> n = ParsePositive(c.Query("limit"));
    if (!n || *n > c.options.check_max) {
      return JsonError(400, "limit is from 1 to " + std::to_string(c.options.check_max), "limit");
    }
    limit = static_cast<int>(*n);
  }
  // The live version's recorded invocations, newest first (more than
  // `limit` are read as some were not recorded).
  Result<std::vector<Invocation>> recent = c.store.ListInvocations(tenant_id, f.name, *f.live_version, limit * 4);
  if (!recent.ok()) return StoreError(recent.status());
  std::string module = ModulePath(c.options.home, candidate.module_hash);
  nlohmann::json results = nlohmann::json::array();
  int checked = 0, diverged = 0, failed = 0;
  for (const Invocation& v : *recent) {
    if (v.run_id.empty()) continue;
    if (checked == limit) break;
    ++checked;
    session::ReplaySpec spec;
    spec.id = v.run_id;
    spec.home = c.options.home;
    spec.module_file = module;
    spec.output = [](int, std::span<const uint8_t>) {};  // the outputs are compared, not shown
    session::ReplayResult replay = session::Replay(spec, session::SessionIo{});
    std::string verdict;
    switch (replay.verdict) {
      case session::ReplayVerdict::kMatched: verdict = "matched"; break;
      case session::ReplayVerdict::kDiverged: verdict = "diverged"; ++diverged; break;
      default: verdict = "failed"; ++failed; break;
    }
    std::string where;
    for (const std::string& m : replay.run.messages) where += (where.empty() ? "" : "\n") + m;
    nlohmann::json r = {{"invocation", v.id}, {"run_id", v.run_id}, {"verdict", verdict}};
    if (verdict != "matched") r["detail"] = where;
    if (replay.divergence) {
      const session::ReplayDivergence& d = *replay.divergence;
      r["divergence"] = {{"call_index", d.index},           {"reason", d.reason},
                         {"recorded_call", d.recorded_call}, {"replayed_call", d.replayed_call},
                         {"replayed_backtrace", d.replayed_backtrace},
                         {"recorded_backtrace", d.recorded_backtrace}};
    }
    results.push_back(r);
  }
  return Json(200, {{"function", f.name}, {"live_version", *f.live_version}, {"version", candidate.number},
                    {"checked", checked}, {"diverged", diverged}, {"failed", failed}, {"results", results}});
}

}  // namespace

HttpResponse Functions(Context& c) {
  const std::string& method = c.request.method;
  int64_t tenant_id = 0;
  const auto& s = c.segments;
  bool writes = method != "GET";
  if (std::optional<HttpResponse> denied = NeedTenant(c, writes ? kScopeDeploy : kScopeRead, &tenant_id)) {
    return *denied;
  }
  if (s.size() == 2) {
    if (method != "GET") return JsonError(405, "method " + method + " not allowed on /v1/functions");
    Result<std::vector<Function>> list = c.store.ListFunctions(tenant_id);
    if (!list.ok()) return StoreError(list.status());
    nlohmann::json out = nlohmann::json::array();
    for (const Function& f : *list) out.push_back(FunctionJson(f));
    return Json(200, {{"functions", out}});
  }
  const std::string& name = s[2];
  if (!IsValidName(name)) {
    return JsonError(400, "a function name is 1-64 characters of a-z, 0-9, '-' and '_', starting with a "
                          "letter or digit", "name");
  }
  if (s.size() == 4 && s[3] == "versions" && method == "POST") return Upload(c, tenant_id, name);

  Result<std::optional<Function>> found = c.store.GetFunction(tenant_id, name);
  if (!found.ok()) return StoreError(found.status());
  if (!*found) return JsonError(404, "no function \"" + name + "\"", "name");
  const Function& f = **found;

  if (s.size() == 3 && method == "GET") {
    Result<std::vector<Version>> versions = c.store.ListVersions(tenant_id, name);
    if (!versions.ok()) return StoreError(versions.status());
    nlohmann::json j = FunctionJson(f);
    j["versions"] = nlohmann::json::array();
    for (const Version& v : *versions) j["versions"].push_back(VersionJson(v, f.live_version));
    return Json(200, j);
  }
  if (s.size() == 4 && s[3] == "versions" && method == "GET") {
    Result<std::vector<Version>> versions = c.store.ListVersions(tenant_id, name);
    if (!versions.ok()) return StoreError(versions.status());
    nlohmann::json out = nlohmann::json::array();
    for (const Version& v : *versions) out.push_back(VersionJson(v, f.live_version));
    return Json(200, {{"versions", out}});
  }
  if (s.size() == 4 && (s[3] == "promote" || s[3] == "rollback") && method == "POST") {
    std::optional<int64_t> number;
    if (std::optional<HttpResponse> bad = BodyVersion(c, number)) return *bad;
    if (!number && s[3] == "promote") return JsonError(400, "\"version\" is required", "version");
    if (!number) {
      // Roll back to the newest version older than the live one.
      if (!f.live_version || *f.live_version <= 1) {
        return JsonError(409, "function \"" + name + "\" has no version before the live one", "version");
      }
      number = *f.live_version - 1;
    }
    if (s[3] == "rollback" && f.live_version && *number >= *f.live_version) {
      return JsonError(400, "a rollback goes to a version older than the live one (" +
                                std::to_string(*f.live_version) + ")", "version");
    }
    Status set = c.store.SetLive(tenant_id, name, *number);
    if (set.code() == Status::Code::kNotFound) return JsonError(404, std::string(set.message()), "version");
    if (!set.ok()) return StoreError(set);
    return Json(200, {{"name", name}, {"live_version", *number},
                      {"previous", f.live_version ? nlohmann::json(*f.live_version) : nlohmann::json(nullptr)}});
  }
  if (s.size() >= 5 && s[3] == "versions") {
    std::optional<int64_t> number = ParsePositive(s[4]);
    if (!number) return JsonError(400, "a version is a positive integer: \"" + s[4] + "\"", "version");
    Result<std::optional<Version>> v = c.store.GetVersion(tenant_id, name, *number);
    if (!v.ok()) return StoreError(v.status());
    if (!*v) return JsonError(404, "function \"" + name + "\" has no version " + s[4], "version");
    if (s.size() == 5 && method == "GET") return Json(200, VersionJson(**v, f.live_version));
    if (s.size() == 6 && s[5] == "check" && method == "POST") return Check(c, tenant_id, f, **v);
  }
  if (s.size() == 4 && s[3] == "invocations" && method == "GET") return Invocations(c);
  return JsonError(404, "no route " + c.request.method + " " + c.request.target + " (see docs/openapi.yaml)");
}

}  // namespace deja::server::api
