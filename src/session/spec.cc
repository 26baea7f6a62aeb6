#include "session/spec.h"

#include <algorithm>

#include "registry/registry.h"

namespace deja::session {

WasiConfig GuestConfig(const RunSpec& spec) {
  WasiConfig config;
  config.args.push_back(spec.file);
  config.args.insert(config.args.end(), spec.args.begin(), spec.args.end());
  config.env = spec.env;
  config.preopens = spec.preopens;
  config.listen = spec.listen;
  config.allow_connect = spec.allow_connect;
  config.max_fds = spec.max_fds;
  config.stdin_fd = spec.stdin_fd;
  config.stdout_fd = spec.stdout_fd;
  config.stderr_fd = spec.stderr_fd;
  config.stdin_stream = spec.stdin_stream;
  config.stdout_stream = spec.stdout_stream;
  config.stderr_stream = spec.stderr_stream;
  return config;
}

tm::RunInfo DescribeRun(const RunSpec& spec) {
  tm::RunInfo info;
  info.deja_version = DEJA_VERSION;
  info.module_name = spec.file;
  info.args = GuestConfig(spec).args;
  info.env = spec.env;
  for (const WasiPreopen& p : spec.preopens) {
    info.dirs.push_back(p.host_path + "::" + p.guest_path + (p.read_only ? ":ro" : ""));
  }
  info.listen = spec.listen;
  info.allow_connect = spec.allow_connect;
  info.invoke = spec.invoke;
  info.invoke_args = spec.invoke_args;
  info.max_memory_pages = spec.limits.max_memory_pages;
  info.fuel = spec.fuel;
  info.timeout = spec.timeout_text;
  info.max_fds = spec.max_fds;
  info.unknown_imports = static_cast<u8>(spec.unknown_imports);
  info.call_names = tm::WasiCallNames();
  info.continued_from = spec.continue_from;
  return info;
}

snapshot::Metadata SnapshotMetadata(const RunSpec& spec, std::span<const u8> wasm) {
  snapshot::Metadata m;
  m.deja_version = DEJA_VERSION;
  m.module_hash = registry::Registry::ModuleHash(wasm);
  m.module_name = spec.file;
  m.args = GuestConfig(spec).args;
  m.env = spec.env;
  m.max_memory_pages = spec.limits.max_memory_pages;
  m.max_fds = spec.max_fds;
  m.invoke = spec.invoke;
  m.invoke_args = spec.invoke_args;
  m.unknown_imports = static_cast<u8>(spec.unknown_imports);
  return m;
}

Result<RunSpec> ResumeSpec(const RunSpec& spec, const snapshot::Metadata& meta) {
  const RunSpec defaults;
  if (spec.limits.max_memory_pages != defaults.limits.max_memory_pages ||
      spec.max_fds != defaults.max_fds || spec.unknown_imports != defaults.unknown_imports) {
    return Status::InvalidArgument(
        "the memory and descriptor limits and the import mode of a snapshot are those it was "
        "taken with");
  }
  if (!spec.args.empty() && !spec.invoke) {
    return Status::InvalidArgument(
        "arguments after a snapshot: the guest's argv comes from the snapshot");
  }
  if (spec.fuel && spec.suspend_after_fuel) {
    return Status::InvalidArgument("--suspend-after-fuel and --fuel exclude each other");
  }
  if (meta.unknown_imports > static_cast<u8>(UnknownImports::kDefaultValues)) {
    return Status::InvalidArgument("the snapshot names an unknown import mode");
  }
  RunSpec out = spec;
  out.source = Source::kModule;  // what is left to run is the snapshot's module
  out.file = meta.module_name;
  out.args.clear();
  if (meta.args.size() > 1) out.args.assign(meta.args.begin() + 1, meta.args.end());
  out.limits.max_memory_pages = meta.max_memory_pages;
  out.max_memory_text.clear();
  out.max_fds = meta.max_fds;
  out.unknown_imports = static_cast<UnknownImports>(meta.unknown_imports);
  out.invoke = meta.invoke;
  out.invoke_args = meta.invoke_args;
  if (spec.invoke) {
    if (meta.suspend_point != "none") {
      return Status::InvalidArgument(
          "--invoke: the snapshot is suspended inside a call (" + meta.suspend_point +
          "), which is all it can continue; --invoke applies only to a pre-initialised "
          "snapshot (deja snapshot --init)");
    }
    out.invoke = spec.invoke;
    out.invoke_args = spec.invoke_args;
  }
  // spec.env adds to (or replaces in) the environment the guest had.
  out.env = meta.env;
  for (const std::string& setting : spec.env) {
    std::string name = setting.substr(0, setting.find('='));
    std::erase_if(out.env, [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    out.env.push_back(setting);
  }
  return out;
}

RunSpec SpecFromRecording(const tm::RunInfo& info, const std::string& module_file) {
  RunSpec spec;
  spec.file = module_file.empty() ? info.module_name : module_file;
  spec.limits.max_memory_pages = info.max_memory_pages;
  if (info.max_memory_pages != StoreLimits{}.max_memory_pages) {
    spec.max_memory_text = std::to_string(info.max_memory_pages) + " pages";
  }
  spec.fuel = info.fuel;
  spec.timeout_text = info.timeout;
  spec.invoke = info.invoke;
  spec.invoke_args = info.invoke_args;
  spec.unknown_imports = static_cast<UnknownImports>(info.unknown_imports);
  spec.record = false;
  spec.stdin_fd = spec.stdout_fd = spec.stderr_fd = -1;
  return spec;
}

}  // namespace deja::session
