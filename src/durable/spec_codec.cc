#include "durable/spec_codec.h"

#include <nlohmann/json.hpp>

namespace deja::durable {

using nlohmann::json;

std::string EncodeSpec(const session::RunSpec& spec) {
  json j;
  j["version"] = 1;
  j["args"] = spec.args;
  j["env"] = spec.env;
  json pre = json::array();
  for (const WasiPreopen& p : spec.preopens) {
    pre.push_back({{"host", p.host_path}, {"guest", p.guest_path}, {"ro", p.read_only}});
  }
  j["preopens"] = pre;
  j["listen"] = spec.listen;
  j["allow_connect"] = spec.allow_connect;
  j["max_fds"] = spec.max_fds;
  j["max_memory_pages"] = spec.limits.max_memory_pages;
  j["max_memory_text"] = spec.max_memory_text;
  j["max_table_elements"] = spec.limits.max_table_elements;
  j["max_total_table_elements"] = spec.limits.max_total_table_elements;
  j["unknown_imports"] = static_cast<int>(spec.unknown_imports);
  j["max_log_bytes"] = spec.max_log_bytes;
  if (spec.invoke) {
    j["invoke"] = *spec.invoke;
    j["invoke_args"] = spec.invoke_args;
  }
  return j.dump();
}

namespace {

template <typename T>
bool Get(const json& j, const char* key, T* out) {
  if (!j.contains(key)) return true;
  const json& v = j[key];
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return false;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!v.is_array()) return false;
    for (const json& e : v) {
      if (!e.is_string()) return false;
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) return false;
  } else {
    if (!v.is_number_unsigned()) return false;
  }
  *out = v.get<T>();
  return true;
}

}  // namespace

Result<session::RunSpec> DecodeSpec(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("version") || j["version"] != 1) {
    return Status::InvalidArgument("instance spec: not a version 1 JSON object");
  }
  session::RunSpec spec;
  uint64_t unknown = 0;
  bool ok = Get(j, "args", &spec.args) && Get(j, "env", &spec.env) &&
            Get(j, "listen", &spec.listen) && Get(j, "allow_connect", &spec.allow_connect) &&
            Get(j, "max_fds", &spec.max_fds) &&
            Get(j, "max_memory_pages", &spec.limits.max_memory_pages) &&
            Get(j, "max_memory_text", &spec.max_memory_text) &&
            Get(j, "max_table_elements", &spec.limits.max_table_elements) &&
            Get(j, "max_total_table_elements", &spec.limits.max_total_table_elements) &&
            Get(j, "unknown_imports", &unknown) && Get(j, "max_log_bytes", &spec.max_log_bytes);
  if (!ok || unknown > static_cast<uint64_t>(session::UnknownImports::kDefaultValues)) {
    return Status::InvalidArgument("instance spec: a field has the wrong type");
  }
  spec.unknown_imports = static_cast<session::UnknownImports>(unknown);
  if (j.contains("invoke")) {
    std::string invoke;
    if (!Get(j, "invoke", &invoke) || !Get(j, "invoke_args", &spec.invoke_args)) {
      return Status::InvalidArgument("instance spec: bad invoke");
    }
    spec.invoke = invoke;
  }
  if (j.contains("preopens")) {
    if (!j["preopens"].is_array()) return Status::InvalidArgument("instance spec: bad preopens");
    for (const json& p : j["preopens"]) {
      WasiPreopen pre;
      if (!p.is_object() || !Get(p, "host", &pre.host_path) || !Get(p, "guest", &pre.guest_path) ||
          !Get(p, "ro", &pre.read_only)) {
        return Status::InvalidArgument("instance spec: bad preopen");
      }
      spec.preopens.push_back(std::move(pre));
    }
  }
  return spec;
}

session::RunSpec SegmentSpec(const session::RunSpec& start, const std::string& module,
                             const std::string& snapshot) {
  session::RunSpec spec = start;
  if (snapshot.empty()) {
    spec.source = session::Source::kModule;
    spec.file = module;
    return spec;
  }
  const session::RunSpec defaults;
  spec.source = session::Source::kSnapshot;
  spec.file = snapshot;
  spec.args.clear();
  spec.env.clear();  // the snapshot's environment is the guest's
  spec.limits = defaults.limits;
  spec.max_memory_text.clear();
  spec.max_fds = defaults.max_fds;
  spec.unknown_imports = defaults.unknown_imports;
  spec.invoke.reset();
  spec.invoke_args.clear();
  return spec;
}

}  // namespace deja::durable
