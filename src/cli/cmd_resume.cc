// `deja resume FILE`: continues a guest from a snapshot (deja run
// --snapshot-to, deja snapshot --init) exactly where it stopped. A snapshot
// carries no host privileges: directories and sockets are granted again by
// this command's own flags. The run then ends as `deja run` would, with the
// same exit codes and messages.
// The work is the session layer's (session::Run), as for `deja run FILE`.
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/run_options.h"
#include "cli/session_io.h"
#include "deja/session.h"

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
  std::string timeout;
  bool no_record = false;
  std::string suspend_after_fuel;
  CLI::Option* suspend_after_fuel_option = nullptr;
  std::string fuel;
  CLI::Option* fuel_option = nullptr;
};

Result<session::RunSpec> MakeSpec(const ResumeArgs& args) {
  session::RunSpec spec;
  spec.source = session::Source::kSnapshot;
  spec.file = args.file;
  for (bool ro : {false, true}) {
    for (const std::string& text : ro ? args.dirs_ro : args.dirs) {
      Result<WasiPreopen> preopen = ParseDirSpec(text, ro);
      if (!preopen.ok()) return preopen.status().WithContext(ro ? "--dir-ro" : "--dir");
      spec.preopens.push_back(*preopen);
    }
  }
  // Added to (or replacing in) the snapshot's environment.
  Result<std::vector<std::string>> env = BuildGuestEnv({false, args.env}, {});
  if (!env.ok()) return env.status().WithContext("--env");
  spec.env = std::move(env).value();
  spec.listen = args.listen;
  spec.allow_connect = args.allow_connect;
  if (args.fuel_option->count() > 0) {
    Result<uint64_t> fuel = ParseCount(args.fuel);
    if (!fuel.ok()) return fuel.status().WithContext("--fuel");
    spec.fuel = *fuel;
  }
  if (args.suspend_after_fuel_option->count() > 0) {
    Result<uint64_t> fuel = ParseCount(args.suspend_after_fuel);
    if (!fuel.ok()) return fuel.status().WithContext("--suspend-after-fuel");
    spec.suspend_after_fuel = *fuel;
  }
  if (!args.timeout.empty()) {
    Result<std::chrono::nanoseconds> timeout = ParseDuration(args.timeout);
    if (!timeout.ok()) return timeout.status().WithContext("--timeout");
    spec.timeout = *timeout;
    spec.timeout_text = args.timeout;
  }
  spec.record = !args.no_record;
  spec.snapshot_to = args.snapshot_to;
  spec.hibernate_on_sigusr1 = !args.snapshot_to.empty();
  spec.exit_process_at_deadline = true;
  spec.message_prefix = kPrefix;
  return spec;
}

int RunResume(const ResumeArgs& args, const CliStreams& io) {
  Result<session::RunSpec> spec = MakeSpec(args);
  if (!spec.ok()) {
    io.err << kPrefix << spec.status().message() << "\n";
    return kExitUsage;
  }
  if (spec->hibernate_on_sigusr1) session::BlockHibernateSignal();
  return session::Run(*spec, PrintingIo(kPrefix, io)).exit_status;
}

constexpr const char* kResumeFooter =
    "Continues the guest saved in FILE (by `deja run --snapshot-to` or `deja\n"
    "snapshot --init`) where it stopped; its output continues as if it had never\n"
    "stopped. Arguments, environment and the memory and descriptor limits come\n"
    "from the snapshot; host directories and sockets do not: grant them again\n"
    "with --dir, --listen, ... Fuel and time limits are this run's own.\n"
    "`deja run FILE` (with these flags) does the same.\n"
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
  args->fuel_option =
      sub->add_option("--fuel", args->fuel,
                      "stop the resumed guest after N units of fuel, counted from the\n"
                      "resume (a snapshot carries no limit; exit 124)")
          ->type_name("N");
  sub->add_option("--timeout", args->timeout,
                  "stop the resumed guest after this much wall time (e.g. 500ms, 2s;\n"
                  "exit 124)")
      ->type_name("DURATION");
  sub->add_flag("--no-record", args->no_record, "do not record the resumed run");
  sub->footer(kResumeFooter);
  return {sub, [args, io] { return RunResume(*args, io); }};
}

}  // namespace deja::cli
