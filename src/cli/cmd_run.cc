// `deja run [OPTIONS] MODULE [ARGS...]`: runs a WASI program (its _start) or
// calls an export of a WASI reactor (--invoke), granting only what the flags
// name and stopping it at the limits they set. Exit codes: kRunFooter below.
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/run_options.h"
#include "cli/run_record.h"
#include "cli/run_session.h"
#include "cli/run_snapshot.h"
#include "deja/deja.h"
#include "deja/wasi.h"
#include "registry/registry.h"
#include "text/wat.h"
#include "wasi/system.h"

extern char** environ;

namespace deja::cli {
namespace {

struct RunArgs {
  std::string module_file;
  std::vector<std::string> args;  // argv[1..], or --invoke's arguments
  std::vector<std::string> dirs;
  std::vector<std::string> dirs_ro;
  EnvFlags env;
  std::vector<std::string> listen;
  std::vector<std::string> allow_connect;
  std::string max_memory;
  std::string timeout;
  uint64_t fuel = 0;
  uint32_t max_fds = 1024;
  std::string invoke;
  bool trap_unknown = false;
  bool default_unknown = false;
  bool no_record = false;
  std::string snapshot_to;
  uint64_t suspend_after_fuel = 0;
  CLI::Option* suspend_after_fuel_option = nullptr;
  CLI::Option* fuel_option = nullptr;  // count() > 0: the flag was given
  CLI::Option* invoke_option = nullptr;
  CLI::Option* max_memory_option = nullptr;
  CLI::Option* timeout_option = nullptr;
  CLI::Option* max_fds_option = nullptr;
  CLI::Option* dir_option = nullptr;  // to interleave --dir and --dir-ro
  CLI::Option* dir_ro_option = nullptr;
  CLI::App* app = nullptr;
};

std::vector<std::string> HostEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

// The preopens in command-line order, --dir and --dir-ro interleaved: guest
// descriptors 3, 4, ... follow the flags, as under wasmtime.
Status AddPreopens(const RunArgs& args, WasiConfig* config) {
  size_t next_rw = 0;
  size_t next_ro = 0;
  for (const CLI::Option* option : args.app->parse_order()) {
    bool read_only = option == args.dir_ro_option;
    if (option != args.dir_option && !read_only) continue;
    const std::vector<std::string>& specs = read_only ? args.dirs_ro : args.dirs;
    size_t& next = read_only ? next_ro : next_rw;
    if (next >= specs.size()) continue;  // one entry per occurrence; never more
    Result<WasiPreopen> preopen = ParseDirSpec(specs[next++], read_only);
    if (!preopen.ok()) return preopen.status().WithContext(read_only ? "--dir-ro" : "--dir");
    config->preopens.push_back(*preopen);
  }
  return Status();
}

// Checks every flag before anything runs. Errors: kInvalidArgument naming the flag.
Result<RunPlan> MakePlan(const RunArgs& args) {
  RunPlan plan;
  plan.module_file = args.module_file;
  if (args.trap_unknown && args.default_unknown) {
    return Status::InvalidArgument(
        "--trap-unknown-imports and --default-values-unknown-imports exclude each other");
  }
  plan.unknown_imports = args.trap_unknown      ? UnknownImports::kTrap
                         : args.default_unknown ? UnknownImports::kDefaultValues
                                                : UnknownImports::kError;
  if (!args.max_memory.empty()) {
    Result<uint64_t> pages = MaxMemoryPages(args.max_memory);
    if (!pages.ok()) return pages.status().WithContext("--max-memory");
    plan.limits.max_memory_pages = *pages;
    plan.max_memory = args.max_memory;
  }
  if (!args.timeout.empty()) {
    Result<std::chrono::nanoseconds> timeout = ParseDuration(args.timeout);
    if (!timeout.ok()) return timeout.status().WithContext("--timeout");
    plan.timeout = *timeout;
    plan.timeout_text = args.timeout;
  }
  if (args.fuel_option->count() > 0) plan.fuel = args.fuel;
  if (args.suspend_after_fuel_option->count() > 0) {
    if (args.snapshot_to.empty()) {
      return Status::InvalidArgument("--suspend-after-fuel needs --snapshot-to FILE");
    }
    if (plan.fuel) return Status::InvalidArgument("--suspend-after-fuel and --fuel exclude each other");
  }
  if (args.invoke_option->count() > 0) {
    plan.invoke = args.invoke;
    plan.invoke_args = args.args;
  }
  WasiConfig& config = plan.config;
  config.args.push_back(args.module_file);
  if (!plan.invoke) config.args.insert(config.args.end(), args.args.begin(), args.args.end());
  Result<std::vector<std::string>> env = BuildGuestEnv(args.env, HostEnvironment());
  if (!env.ok()) return env.status().WithContext("--env");
  config.env = std::move(env).value();
  if (Status s = AddPreopens(args, &config); !s.ok()) return s;
  config.listen = args.listen;
  config.allow_connect = args.allow_connect;
  config.max_fds = args.max_fds;
  return plan;
}

// Reads and compiles the module (its binary goes to `wasm`); on failure
// prints why and sets the exit code.
std::optional<Module> LoadModule(const std::string& file, const CliStreams& io,
                                 std::vector<u8>* wasm, int* exit_code) {
  Result<std::vector<u8>> bytes = text::LoadModuleFile(file);
  if (!bytes.ok()) {
    io.err << "deja run: " << file << ": " << bytes.status().ToString() << "\n";
    *exit_code = bytes.status().code() == Status::Code::kIoError ? kExitIoError : kExitFailed;
    return std::nullopt;
  }
  *wasm = std::move(bytes).value();
  Result<Module> module = Module::Compile(*wasm);
  if (!module.ok()) {
    io.err << "deja run: " << file << ": " << module.status().ToString() << "\n";
    *exit_code = kExitFailed;
    return std::nullopt;
  }
  return std::move(module).value();
}

// `deja run SNAPSHOT`: starts from the snapshot as `deja resume` does. Flags
// whose value the snapshot fixes (memory and descriptor limits, environment source, import mode,
// argv) are refused rather than silently ignored.
int RunFromSnapshot(const RunArgs& args, const CliStreams& io) {
  const std::pair<bool, const char*> fixed[] = {
      {args.max_memory_option->count() > 0, "--max-memory"},
      {args.max_fds_option->count() > 0, "--max-fds"},
      {args.env.inherit, "--inherit-env"},
      {args.trap_unknown, "--trap-unknown-imports"},
      {args.default_unknown, "--default-values-unknown-imports"},
  };
  for (const auto& [given, flag] : fixed) {
    if (!given) continue;
    io.err << "deja run: " << flag << " does not apply to a snapshot (" << args.module_file
           << "): its memory and descriptor limits and its imports are those it was taken with\n";
    return kExitUsage;
  }
  ResumeRequest req;
  if (args.invoke_option->count() > 0) {
    req.invoke = args.invoke;
    req.invoke_args = args.args;
  } else if (!args.args.empty()) {
    io.err << "deja run: arguments after a snapshot (" << args.module_file
           << "): the guest's argv comes from the snapshot (use --env to add variables)\n";
    return kExitUsage;
  }
  if (args.suspend_after_fuel_option->count() > 0) {
    if (args.snapshot_to.empty()) {
      io.err << "deja run: --suspend-after-fuel needs --snapshot-to FILE\n";
      return kExitUsage;
    }
    req.suspend_after_fuel = args.suspend_after_fuel;
  }
  if (args.fuel_option->count() > 0) req.fuel = args.fuel;
  req.timeout = args.timeout;
  req.file = args.module_file;
  req.dirs = args.dirs;
  req.dirs_ro = args.dirs_ro;
  req.env = args.env.settings;
  req.listen = args.listen;
  req.allow_connect = args.allow_connect;
  req.snapshot_to = args.snapshot_to;
  req.no_record = args.no_record;
  return ResumeSnapshot(req, "deja run: ", io);
}

int RunRun(const RunArgs& args, const CliStreams& io) {
  // Told by its magic, not its name: any file deja snapshot or --snapshot-to wrote.
  if (IsSnapshotFile(args.module_file)) return RunFromSnapshot(args, io);
  Result<RunPlan> plan = MakePlan(args);
  if (!plan.ok()) {
    io.err << "deja run: " << plan.status().message() << "\n";
    return kExitUsage;
  }
  bool snapshots = !args.snapshot_to.empty();
  // Before any thread starts, so that only the sigwait thread takes SIGUSR1.
  if (snapshots) BlockHibernateSignal();
  int exit_code = kExitOk;
  std::vector<u8> wasm;
  std::optional<Module> module = LoadModule(args.module_file, io, &wasm, &exit_code);
  if (!module) return exit_code;
  std::unique_ptr<RunRecording> recording;
  std::shared_ptr<wasi::System> system = wasi::MakePosixSystem();
  if (!args.no_record) {
    std::string home = registry::Registry::DefaultHome();
    Result<std::unique_ptr<RunRecording>> started = RunRecording::Start(home, *plan, wasm);
    if (!started.ok()) {
      io.err << "deja run: cannot record this run in " << home << ": "
             << started.status().ToString()
             << " (set DEJA_HOME to a writable directory, or run with --no-record)\n";
      return kExitIoError;
    }
    recording = std::move(started).value();
    // Before the guest starts, so that a killed run can be found too.
    io.err << "deja run: recording " << recording->id() << "\n";
    io.err.flush();
    system = recording->WrapSystem(std::move(system));
  }
  RunSession session(*plan, io);
  WasiOptions wasi_options;
  wasi_options.system = system;
  if (recording) wasi_options.interceptor = &recording->recorder();
  Result<std::unique_ptr<Wasi>> wasi = Wasi::Create(plan->config, wasi_options);
  if (!wasi.ok()) {
    io.err << "deja run: cannot set up WASI: " << wasi.status().ToString() << "\n";
    // Bad flag values (and a --max-fds too small for the preopens) are usage
    // errors; a directory or address the host refuses is an I/O error.
    Status::Code code = wasi.status().code();
    bool usage = code == Status::Code::kInvalidArgument || code == Status::Code::kResourceExhausted;
    int status = usage ? kExitUsage : kExitIoError;
    if (recording) {
      tm::RunEnd end;
      end.kind = tm::RunEnd::Kind::kFailed;
      end.exit_status = status;
      end.message = "cannot set up WASI: " + wasi.status().ToString();
      recording->Finish(std::move(end), session.store().StateDigest(), io);
    }
    return status;
  }
  if (recording) recording->EndAtDeadline(session, io);
  std::optional<HibernateOnSignal> hibernate;
  if (snapshots) {
    hibernate.emplace(session.mutable_store(), recording ? recording->id() : std::string(),
                      args.snapshot_to, "deja run: ", io);
    if (args.suspend_after_fuel_option->count() > 0) {
      session.SuspendAfterFuel(args.suspend_after_fuel);
    }
    snapshot::Metadata meta = SnapshotMetadata(*plan, wasm);
    if (recording) meta.run_id = recording->id();
    Wasi& guest_wasi = **wasi;
    session.set_suspend_handler([&session, &guest_wasi, &args, &io, &wasm, meta] {
      return WriteRunSnapshot(session, guest_wasi, meta, wasm, args.snapshot_to, "deja run: ",
                              io);
    });
  }
  int code = session.Run(**wasi, *module);
  hibernate.reset();
  if (recording) recording->Finish(session.end(), session.store().StateDigest(), io);
  return code;
}

constexpr const char* kRunFooter =
    "Runs MODULE (.wasm or .wat) under WASI preview 1. Nothing is granted unless\n"
    "a flag says so: no files, no environment, no sockets; stdin, stdout and\n"
    "stderr are passed through. ARGS become argv[1..] (argv[0] is MODULE as\n"
    "given); with --invoke they are the export's arguments instead, read by its\n"
    "parameter types as in `deja invoke`, and its results are printed one per\n"
    "line. Everything after MODULE belongs to the guest, flags included.\n"
    "\n"
    "MODULE may also be a snapshot (deja snapshot --init, --snapshot-to; told\n"
    "by its DEJASNAP magic, not its name): the run starts from it exactly as\n"
    "`deja resume` does, with argv, environment and limits from the snapshot.\n"
    "Then only --dir, --dir-ro, --env, --listen, --allow-connect,\n"
    "--snapshot-to, --suspend-after-fuel and --no-record apply, and --invoke\n"
    "NAME (with ARGS) only when nothing was running at the snapshot (a\n"
    "pre-initialised reactor); other flags are usage errors (2).\n"
    "\n"
    "Every run is recorded (unless --no-record) in the registry at $DEJA_HOME\n"
    "(default: $XDG_DATA_HOME/deja or ~/.local/share/deja): the first line on\n"
    "stderr names the run, and `deja replay ID` re-executes it exactly; see\n"
    "`deja ls`, `deja trace`, `deja logs`.\n"
    "\n"
    "Exit status:\n"
    "  N    the guest's own status: proc_exit(N) (modulo 256), 0 when _start\n"
    "       (or the --invoke'd export) returns\n"
    "  1    the module is malformed or invalid, an import is unknown, or it\n"
    "       cannot be instantiated\n"
    "  2    usage error: bad flags (e.g. --max-fds below the preopens), no\n"
    "       _start (and no --invoke), unknown export\n"
    "  3    the module cannot be read, a --dir cannot be opened, a --listen\n"
    "       address cannot be bound, or the recording cannot be written\n"
    "  124  a limit stopped the guest: --fuel ran out, --timeout expired, or\n"
    "       the memory it starts with exceeds --max-memory; stderr says which\n"
    "  134  the guest trapped; the trap and its WebAssembly backtrace are\n"
    "       printed to stderr\n"
    "  75   the guest was suspended and its snapshot written (--snapshot-to):\n"
    "       continue it with `deja resume FILE`\n"
    "  70   internal error in deja\n"
    "Codes 1-3 are reported before the guest runs, with a \"deja run:\" message.";

}  // namespace

Subcommand AddRunCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Run a WASI program in a deny-by-default sandbox");
  sub->positionals_at_end();  // after MODULE, everything goes to the guest
  sub->add_option("MODULE", args->module_file,
                  "module file (.wasm or .wat), or a snapshot file\n(as deja resume)")
      ->required();
  sub->add_option("ARGS", args->args, "the guest's arguments (or --invoke's)");
  args->app = sub;
  args->dir_option = sub->add_option("--dir", args->dirs,
                                     "grant the host directory HOST (read and write) to the\n"
                                     "guest as GUEST (default: the same name); repeatable")
                         ->type_name("HOST[::GUEST]")
                         ->allow_extra_args(false);
  args->dir_ro_option =
      sub->add_option("--dir-ro", args->dirs_ro, "as --dir, but read-only; repeatable")
          ->type_name("HOST[::GUEST]")
          ->allow_extra_args(false);
  sub->add_option("--env", args->env.settings,
                  "set a guest environment variable, or copy NAME\n"
                  "from the host environment; repeatable")
      ->type_name("NAME[=VALUE]")
      ->allow_extra_args(false);
  sub->add_flag("--inherit-env", args->env.inherit,
                "give the guest the whole host environment (--env wins)");
  sub->add_option("--listen", args->listen,
                  "pre-open a listening TCP socket for the guest (with a\n"
                  "'*', only let the guest bind there itself); repeatable")
      ->type_name("HOST:PORT")
      ->allow_extra_args(false);
  sub->add_option("--allow-connect", args->allow_connect,
                  "allow outbound connections matching the pattern\n"
                  "('*' matches any run of characters); repeatable")
      ->type_name("HOST:PORT")
      ->allow_extra_args(false);
  args->max_memory_option = sub->add_option("--max-memory", args->max_memory,
                  "cap each memory (e.g. 64MiB, 1GiB, 65536); memory.grow\n"
                  "past it fails, as malloc then does")
      ->type_name("SIZE");
  args->fuel_option = sub->add_option("--fuel", args->fuel,
                                      "stop the guest after about N instructions; reports the\n"
                                      "fuel consumed on stderr at exit")
                          ->type_name("N");
  args->timeout_option = sub->add_option("--timeout", args->timeout,
                  "stop the guest after DURATION of wall-clock time\n(e.g. 500ms, 10s, 1m)")
      ->type_name("DURATION");
  args->max_fds_option =
      sub->add_option("--max-fds", args->max_fds, "cap on the guest's open descriptors (1024)")
          ->type_name("N");
  args->invoke_option = sub->add_option("--invoke", args->invoke,
                                        "call export NAME (after _initialize, if exported)\n"
                                        "instead of _start")
                            ->type_name("NAME");
  sub->add_flag("--trap-unknown-imports", args->trap_unknown,
                "stand in for unknown function imports with functions\n"
                "that trap when called");
  sub->add_flag("--default-values-unknown-imports", args->default_unknown,
                "stand in for unknown function imports with functions\n"
                "that return zeros");
  sub->add_option("--snapshot-to", args->snapshot_to,
                  "enable snapshots: on SIGUSR1 (deja hibernate PID), a\n"
                  "\"deja\" \"snapshot\" call of the guest or\n"
                  "--suspend-after-fuel, write the suspended guest to FILE\n"
                  "and exit with 75 (docs/snapshots.md)")
      ->type_name("FILE");
  args->suspend_after_fuel_option =
      sub->add_option("--suspend-after-fuel", args->suspend_after_fuel,
                      "suspend deterministically after N units of fuel and\n"
                      "write the snapshot (needs --snapshot-to)")
          ->type_name("N");
  sub->add_flag("--no-record", args->no_record,
                "do not record the run (by default every run is recorded\n"
                "in $DEJA_HOME for `deja replay`; see `deja ls`)");
  sub->footer(kRunFooter);
  return {sub, [args, io] { return RunRun(*args, io); }};
}

}  // namespace deja::cli
