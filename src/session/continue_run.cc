#include "session/continue_run.h"

#include "registry/registry.h"
#include "session/spec.h"

namespace deja::session {
namespace {

// The guest names of "HOST::GUEST[:ro]" entries: the host side may move.
std::vector<std::string> GuestNames(const std::vector<std::string>& dirs) {
  std::vector<std::string> names;
  for (const std::string& d : dirs) {
    size_t sep = d.find("::");
    names.push_back(sep == std::string::npos ? d : d.substr(sep + 2));
  }
  return names;
}

std::string Joined(const std::vector<std::string>& list) {
  std::string s;
  for (const std::string& e : list) s += (s.empty() ? "" : " ") + e;
  return "[" + s + "]";
}

// The first field in which this run would not start as the recorded one did.
Status SameStart(const tm::RunInfo& recorded, const tm::RunInfo& now) {
  auto differ = [&](const std::string& what, const std::string& was, const std::string& is) {
    return Status::InvalidArgument(what + " differs from the killed run's (recorded " + was +
                                   ", now " + is + ")");
  };
  // argv[0] is the file as given, which may be spelled differently.
  std::vector<std::string> a(recorded.args.begin() + (recorded.args.empty() ? 0 : 1),
                             recorded.args.end());
  std::vector<std::string> b(now.args.begin() + (now.args.empty() ? 0 : 1), now.args.end());
  if (a != b) return differ("the argument list", Joined(a), Joined(b));
  if (recorded.env != now.env) return differ("the environment", Joined(recorded.env), Joined(now.env));
  if (recorded.invoke != now.invoke || recorded.invoke_args != now.invoke_args) {
    return differ("the call (--invoke)", recorded.invoke.value_or("_start"),
                  now.invoke.value_or("_start"));
  }
  if (GuestNames(recorded.dirs) != GuestNames(now.dirs)) {
    return differ("the granted directories' guest names", Joined(GuestNames(recorded.dirs)),
                  Joined(GuestNames(now.dirs)));
  }
  if (recorded.max_fds != now.max_fds) {
    return differ("--max-fds", std::to_string(recorded.max_fds), std::to_string(now.max_fds));
  }
  if (recorded.unknown_imports != now.unknown_imports) {
    return differ("the unknown-imports mode", std::to_string(recorded.unknown_imports),
                  std::to_string(now.unknown_imports));
  }
  return Status();
}

}  // namespace

Result<Prefix> OpenPrefix(const std::string& home, const RunSpec& spec, std::span<const u8> wasm,
                          std::span<const u8> snapshot) {
  DEJA_ASSIGN_OR_RETURN(auto registry, registry::Registry::Open(home));
  Prefix prefix;
  DEJA_ASSIGN_OR_RETURN(prefix.id, registry->Resolve(spec.continue_from));
  const std::string path = registry->LogPath(prefix.id);
  // Read once to the end: a finished or damaged log is refused before the
  // continuation is recorded.
  {
    DEJA_ASSIGN_OR_RETURN(auto scan, tm::LogReader::Open(path));
    DEJA_ASSIGN_OR_RETURN(prefix.records, scan->Skip());
    if (const std::optional<tm::RunEnd>& end = scan->end()) {
      return Status::Unsupported("run " + prefix.id + " ended (" + tm::RunEndKindName(end->kind) +
                                 ", status " + std::to_string(end->exit_status) +
                                 "): there is nothing to continue");
    }
    if (scan->damaged()) {
      return Status::Unsupported("the log of run " + prefix.id + " is damaged (" +
                                 scan->truncation_reason() + "): it cannot be continued");
    }
  }
  DEJA_ASSIGN_OR_RETURN(prefix.log, tm::LogReader::Open(path));
  const tm::RunInfo& info = prefix.log->info();
  std::string hash = registry::Registry::ModuleHash(wasm);
  if (info.module_hash != hash) {
    return Status::InvalidArgument("run " + prefix.id + " ran module " + info.module_hash + ", not " +
                                   spec.file + " (" + hash + ")");
  }
  std::string snap = snapshot.empty() ? std::string() : registry::Registry::ModuleHash(snapshot);
  if (info.resumed_from != snap) {
    return Status::InvalidArgument(
        "run " + prefix.id + " started from " +
        (info.resumed_from.empty() ? "the module" : "snapshot " + info.resumed_from) +
        ", this one from " + (snap.empty() ? "the module" : "snapshot " + snap));
  }
  if (Status s = SameStart(info, DescribeRun(spec)); !s.ok()) {
    return Status::InvalidArgument("run " + prefix.id + ": " + std::string(s.message()));
  }
  return prefix;
}

}  // namespace deja::session
