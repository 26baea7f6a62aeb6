// `deja run [OPTIONS] MODULE [ARGS...]`: runs a WASI program (its _start) or
// calls an export of a WASI reactor (--invoke), granting only what the flags
// name and stopping it at the limits they set. Exit codes: kRunFooter below.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/wasm_features.h"
#include "cli/run_flags.h"
#include "cli/run_options.h"
#include "cli/session_io.h"
#include "deja/wasi.h"
#include "deja/session.h"

extern char** environ;

namespace deja::cli {
namespace {


std::vector<std::string> HostEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

// The preopens in command-line order, --dir and --dir-ro interleaved: guest
// descriptors 3, 4, ... follow the flags, as under wasmtime.
Status AddPreopens(const RunArgs& args, std::vector<WasiPreopen>* preopens) {
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
    preopens->push_back(*preopen);
  }
  return Status();
}

// Flags whose value a snapshot fixes: refused rather than silently ignored.
Status CheckSnapshotFlags(const RunArgs& args) {
  const std::pair<bool, const char*> fixed[] = {
      {args.max_memory_option->count() > 0, "--max-memory"},
      {args.max_fds_option->count() > 0, "--max-fds"},
      {args.max_table_elements_option->count() > 0, "--max-table-elements"},
      {args.env.inherit, "--inherit-env"},
      {args.trap_unknown, "--trap-unknown-imports"},
      {args.default_unknown, "--default-values-unknown-imports"},
  };
  for (const auto& [given, flag] : fixed) {
    if (!given) continue;
    return Status::InvalidArgument(
        std::string(flag) + " does not apply to a snapshot (" + args.module_file +
        "): its memory and descriptor limits and its imports are those it was taken with");
  }
  if (args.invoke_option->count() == 0 && !args.args.empty()) {
    return Status::InvalidArgument("arguments after a snapshot (" + args.module_file +
                                   "): the guest's argv comes from the snapshot (use --env to "
                                   "add variables)");
  }
  return Status();
}

}  // namespace

Result<session::RunSpec> MakeRunSpec(const RunArgs& args, bool snapshot) {
  session::RunSpec spec;
  spec.source = snapshot ? session::Source::kSnapshot : session::Source::kModule;
  spec.file = args.module_file;
  if (snapshot) DEJA_TRY(CheckSnapshotFlags(args));
  if (args.trap_unknown && args.default_unknown) {
    return Status::InvalidArgument(
        "--trap-unknown-imports and --default-values-unknown-imports exclude each other");
  }
  spec.unknown_imports = args.trap_unknown      ? session::UnknownImports::kTrap
                         : args.default_unknown ? session::UnknownImports::kDefaultValues
                                                : session::UnknownImports::kError;
  DEJA_ASSIGN_OR_RETURN(spec.features, ParseWasmFeatures(args.wasm_features));
  if (!args.max_memory.empty()) {
    Result<uint64_t> pages = MaxMemoryPages(args.max_memory);
    if (!pages.ok()) return pages.status().WithContext("--max-memory");
    spec.limits.max_memory_pages = *pages;
    spec.max_memory_text = args.max_memory;
  }
  if (!args.timeout.empty()) {
    Result<std::chrono::nanoseconds> timeout = ParseDuration(args.timeout);
    if (!timeout.ok()) return timeout.status().WithContext("--timeout");
    spec.timeout = *timeout;
    spec.timeout_text = args.timeout;
  }
  if (args.fuel_option->count() > 0) {
    Result<uint64_t> fuel = ParseCount(args.fuel);
    if (!fuel.ok()) return fuel.status().WithContext("--fuel");
    spec.fuel = *fuel;
  }
  if (args.max_fds_option->count() > 0) {
    Result<uint64_t> max_fds = ParseCount(args.max_fds, UINT32_MAX);
    if (!max_fds.ok()) return max_fds.status().WithContext("--max-fds");
    spec.max_fds = static_cast<uint32_t>(*max_fds);
  }
  if (args.max_table_elements_option->count() > 0) {
    Result<uint64_t> n = ParseCount(args.max_table_elements, UINT32_MAX);
    if (!n.ok()) return n.status().WithContext("--max-table-elements");
    spec.limits.max_table_elements = *n;
    // One table may use the whole budget; the total keeps its default unless smaller.
    spec.limits.max_total_table_elements =
        std::max<uint64_t>(spec.limits.max_total_table_elements, *n);
  }
  if (!args.max_log_size.empty()) {
    Result<uint64_t> bytes = ParseSize(args.max_log_size);
    if (!bytes.ok()) return bytes.status().WithContext("--max-log-size");
    if (*bytes < (uint64_t{64} << 10)) {
      return Status::InvalidArgument("--max-log-size: " + args.max_log_size +
                                     " is below the smallest log (64KiB)");
    }
    spec.max_log_bytes = *bytes;
  }
  if (args.suspend_after_fuel_option != nullptr && args.suspend_after_fuel_option->count() > 0) {
    Result<uint64_t> fuel = ParseCount(args.suspend_after_fuel);
    if (!fuel.ok()) return fuel.status().WithContext("--suspend-after-fuel");
    spec.suspend_after_fuel = *fuel;
  }
  if (args.invoke_option->count() > 0) {
    spec.invoke = args.invoke;
    spec.invoke_args = args.args;
  } else {
    spec.args = args.args;
  }
  if (snapshot) {
    // Added to (or replacing in) the snapshot's environment.
    Result<std::vector<std::string>> env = BuildGuestEnv({false, args.env.settings}, {});
    if (!env.ok()) return env.status().WithContext("--env");
    spec.env = std::move(env).value();
  } else {
    Result<std::vector<std::string>> env = BuildGuestEnv(args.env, HostEnvironment());
    if (!env.ok()) return env.status().WithContext("--env");
    spec.env = std::move(env).value();
  }
  if (Status s = AddPreopens(args, &spec.preopens); !s.ok()) return s;
  spec.listen = args.listen;
  spec.allow_connect = args.allow_connect;
  spec.record = !args.no_record;
  spec.continue_from = args.continue_from;
  spec.snapshot_to = args.snapshot_to;
  spec.hibernate_on_sigusr1 = !args.snapshot_to.empty();
  spec.exit_process_at_deadline = true;
  spec.message_prefix = "deja run: ";
  return spec;
}

namespace {

int RunRun(const RunArgs& args, const CliStreams& io) {
  // Told by its magic, not its name: any file deja snapshot or --snapshot-to wrote.
  bool snapshot = session::IsSnapshotFile(args.module_file);
  Result<session::RunSpec> spec = MakeRunSpec(args, snapshot);
  if (!spec.ok()) {
    io.err << "deja run: " << spec.status().message() << "\n";
    return kExitUsage;
  }
  // Before any thread starts, so that only the sigwait thread takes SIGUSR1.
  if (spec->hibernate_on_sigusr1) session::BlockHibernateSignal();
  return session::Run(*spec, PrintingIo("deja run: ", io)).exit_status;
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
  AddRunFlags(sub, args.get());
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
  sub->add_option("--continue-from", args->continue_from,
                  "continue the killed run RUN (same module, arguments and\n"
                  "directory names): its recorded calls are replayed, then\n"
                  "the guest goes on live (docs/RECORDING.md)")
      ->type_name("RUN");
  sub->footer(kRunFooter);
  return {sub, [args, io] { return RunRun(*args, io); }};
}

void AddRunFlags(CLI::App* sub, RunArgs* args) {
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
  args->max_table_elements_option =
      sub->add_option("--max-table-elements", args->max_table_elements,
                      "cap on each table's elements (1000000); a module\n"
                      "declaring more is refused, table.grow past it fails")
          ->type_name("N");
  AddWasmFeaturesOption(sub, &args->wasm_features);
  sub->add_option("--max-log-size", args->max_log_size,
                  "cap on the run's recording (2GiB): past it recording\n"
                  "stops, the run goes on and is marked unreplayable")
      ->type_name("SIZE");
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
}

}  // namespace deja::cli
