// `deja resume FILE`: continues a guest from a snapshot (deja run
// --snapshot-to, deja snapshot --init) exactly where it stopped. A snapshot
// carries no host privileges: directories and sockets are granted again by
// this command's own flags. The run then ends as `deja run` would, with the
// same exit codes and messages.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/run_options.h"
#include "cli/run_record.h"
#include "cli/run_session.h"
#include "cli/run_snapshot.h"
#include "deja/deja.h"
#include "deja/wasi.h"
#include "registry/registry.h"
#include "snapshot/snapshot.h"
#include "wasi/system.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja resume: ";

struct ResumeArgs {
  std::string file;
  std::vector<std::string> dirs;
  std::vector<std::string> dirs_ro;
  std::vector<std::string> env;
  std::vector<std::string> listen;
  std::vector<std::string> allow_connect;
  std::string snapshot_to;
  uint64_t suspend_after_fuel = 0;
  CLI::Option* suspend_after_fuel_option = nullptr;
  bool no_record = false;
};

// The snapshot's own configuration plus the capabilities granted now.
Result<RunPlan> MakePlan(const ResumeArgs& args, const snapshot::Metadata& meta) {
  RunPlan plan;
  plan.module_file = meta.module_name;
  plan.limits.max_memory_pages = meta.max_memory_pages;
  plan.invoke = meta.invoke;
  plan.invoke_args = meta.invoke_args;
  if (meta.unknown_imports > static_cast<u8>(UnknownImports::kDefaultValues)) {
    return Status::InvalidArgument("the snapshot names an unknown import mode");
  }
  plan.unknown_imports = static_cast<UnknownImports>(meta.unknown_imports);
  plan.config.args = meta.args;
  // --env adds to (or replaces in) the environment the guest had.
  EnvFlags flags;
  flags.settings = args.env;
  Result<std::vector<std::string>> extra = BuildGuestEnv(flags, {});
  if (!extra.ok()) return extra.status().WithContext("--env");
  plan.config.env = meta.env;
  for (const std::string& setting : *extra) {
    std::string name = setting.substr(0, setting.find('='));
    std::erase_if(plan.config.env, [&](const std::string& e) {
      return e.substr(0, e.find('=')) == name;
    });
    plan.config.env.push_back(setting);
  }
  for (bool ro : {false, true}) {
    for (const std::string& spec : ro ? args.dirs_ro : args.dirs) {
      Result<WasiPreopen> preopen = ParseDirSpec(spec, ro);
      if (!preopen.ok()) return preopen.status().WithContext(ro ? "--dir-ro" : "--dir");
      plan.config.preopens.push_back(*preopen);
    }
  }
  plan.config.listen = args.listen;
  plan.config.allow_connect = args.allow_connect;
  plan.config.max_fds = meta.max_fds;
  return plan;
}

// The module the snapshot was taken of: inside it, or in the registry.
Result<std::vector<u8>> SnapshotModule(const snapshot::Snapshot& snap) {
  if (snap.module.empty()) {
    DEJA_ASSIGN_OR_RETURN(auto registry,
                          registry::Registry::Open(registry::Registry::DefaultHome()));
    return registry->GetModule(snap.meta.module_hash);
  }
  if (registry::Registry::ModuleHash(snap.module) != snap.meta.module_hash) {
    return Status::Corruption("the module inside the snapshot does not match its hash " +
                              snap.meta.module_hash);
  }
  return snap.module;
}

int RunResume(const ResumeArgs& args, const CliStreams& io) {
  Result<std::vector<u8>> bytes = snapshot::ReadFile(args.file);
  if (!bytes.ok()) {
    io.err << kPrefix << bytes.status().ToString() << "\n";
    return kExitIoError;
  }
  Result<snapshot::Snapshot> snap = snapshot::Decode(*bytes);
  if (!snap.ok()) {
    io.err << kPrefix << snap.status().WithContext(args.file).ToString() << "\n";
    return kExitFailed;
  }
  Result<RunPlan> plan = MakePlan(args, snap->meta);
  if (!plan.ok()) {
    io.err << kPrefix << plan.status().message() << "\n";
    return kExitUsage;
  }
  bool snapshots = !args.snapshot_to.empty();
  if (snapshots) BlockHibernateSignal();
  Result<std::vector<u8>> wasm = SnapshotModule(*snap);
  if (!wasm.ok()) {
    io.err << kPrefix << args.file << ": " << wasm.status().ToString() << "\n";
    return kExitFailed;
  }
  Result<Module> module = Module::Compile(*wasm);
  if (!module.ok()) {
    io.err << kPrefix << args.file << ": " << module.status().ToString() << "\n";
    return kExitFailed;
  }
  std::unique_ptr<RunRecording> recording;
  std::shared_ptr<wasi::System> system = wasi::MakePosixSystem();
  if (!args.no_record) {
    std::string home = registry::Registry::DefaultHome();
    Result<std::unique_ptr<RunRecording>> started = RunRecording::Start(home, *plan, *wasm, *bytes);
    if (!started.ok()) {
      io.err << kPrefix << "cannot record this run in " << home << ": "
             << started.status().ToString()
             << " (set DEJA_HOME to a writable directory, or resume with --no-record)\n";
      return kExitIoError;
    }
    recording = std::move(started).value();
    io.err << kPrefix << "recording " << recording->id() << "\n";
    io.err.flush();
    system = recording->WrapSystem(std::move(system));
  }
  RunSession session(*plan, io, kPrefix);
  Result<std::unique_ptr<Wasi>> wasi = Wasi::Create(plan->config, system);
  if (!wasi.ok()) {
    io.err << kPrefix << "cannot set up WASI: " << wasi.status().ToString() << "\n";
    Status::Code code = wasi.status().code();
    bool usage = code == Status::Code::kInvalidArgument || code == Status::Code::kResourceExhausted;
    return usage ? kExitUsage : kExitIoError;
  }
  if (!snap->wasi_state.empty()) {
    // Descriptors reopen beneath the directories granted now, by guest path.
    if (Status s = (*wasi)->RestoreState(snap->wasi_state); !s.ok()) {
      io.err << kPrefix << "cannot restore the guest's WASI state: " << s.ToString() << "\n";
      return kExitFailed;
    }
  }
  if (recording) (*wasi)->ctx().interceptor = &recording->recorder();
  std::optional<HibernateOnSignal> hibernate;
  if (snapshots) {
    hibernate.emplace(session.mutable_store());
    if (args.suspend_after_fuel_option->count() > 0) {
      session.SuspendAfterFuel(args.suspend_after_fuel);
    }
    snapshot::Metadata meta = snap->meta;
    if (recording) meta.run_id = recording->id();
    Wasi& guest_wasi = **wasi;
    session.set_suspend_handler([&session, &guest_wasi, &args, &io, &wasm, meta] {
      return WriteRunSnapshot(session, guest_wasi, meta, *wasm, args.snapshot_to, kPrefix, io);
    });
  }
  int code = session.Resume(**wasi, *module, *snap);
  hibernate.reset();
  if (recording) recording->Finish(session.end(), session.store().StateDigest(), io);
  return code;
}

constexpr const char* kResumeFooter =
    "Continues the guest saved in FILE (by `deja run --snapshot-to` or `deja\n"
    "snapshot --init`) where it stopped; its output continues as if it had never\n"
    "stopped. Arguments, environment and limits come from the snapshot; host\n"
    "directories and sockets do not: grant them again with --dir, --listen, ...\n"
    "Exit status: as `deja run` (see `deja run --help`); 1 also when FILE is not\n"
    "a valid snapshot or was written by an incompatible deja, 3 when it cannot\n"
    "be read, 75 when the resumed guest was suspended again (--snapshot-to).";

}  // namespace

Subcommand AddResumeCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<ResumeArgs>();
  CLI::App* sub = app.add_subcommand("resume", "Continue a guest from a snapshot file");
  sub->add_option("FILE", args->file, "snapshot file")->required();
  sub->add_option("--dir", args->dirs, "grant a host directory again (as deja run)")
      ->type_name("HOST[::GUEST]")
      ->allow_extra_args(false);
  sub->add_option("--dir-ro", args->dirs_ro, "as --dir, but read-only")
      ->type_name("HOST[::GUEST]")
      ->allow_extra_args(false);
  sub->add_option("--env", args->env, "set (or override) a guest environment variable")
      ->type_name("NAME[=VALUE]")
      ->allow_extra_args(false);
  sub->add_option("--listen", args->listen, "pre-open a listening TCP socket (as deja run)")
      ->type_name("HOST:PORT")
      ->allow_extra_args(false);
  sub->add_option("--allow-connect", args->allow_connect, "allow outbound connections")
      ->type_name("HOST:PORT")
      ->allow_extra_args(false);
  sub->add_option("--snapshot-to", args->snapshot_to,
                  "allow the resumed guest to be snapshotted again (as deja run)")
      ->type_name("FILE");
  args->suspend_after_fuel_option =
      sub->add_option("--suspend-after-fuel", args->suspend_after_fuel,
                      "suspend again after N more units of fuel (needs --snapshot-to)")
          ->type_name("N");
  sub->add_flag("--no-record", args->no_record, "do not record the resumed run");
  sub->footer(kResumeFooter);
  return {sub, [args, io] { return RunResume(*args, io); }};
}

}  // namespace deja::cli
