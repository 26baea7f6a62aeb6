// `deja resume FILE`: continues a guest from a snapshot (deja run
// --snapshot-to, deja snapshot --init) exactly where it stopped. A snapshot
// carries no host privileges: directories and sockets are granted again by
// this command's own flags. The run then ends as `deja run` would, with the
// same exit codes and messages.
// The work is ResumeSnapshot's (run_snapshot.cc), shared with `deja run FILE`.
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/run_snapshot.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja resume: ";

struct ResumeArgs {
  ResumeRequest req;
  uint64_t suspend_after_fuel = 0;
  CLI::Option* suspend_after_fuel_option = nullptr;
  uint64_t fuel = 0;
  CLI::Option* fuel_option = nullptr;
};

int RunResume(ResumeArgs args, const CliStreams& io) {
  if (args.suspend_after_fuel_option->count() > 0) {
    args.req.suspend_after_fuel = args.suspend_after_fuel;
  }
  if (args.fuel_option->count() > 0) args.req.fuel = args.fuel;
  return ResumeSnapshot(args.req, kPrefix, io);
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
  sub->add_option("FILE", args->req.file, "snapshot file")->required();
  sub->add_option("--dir", args->req.dirs, "grant a host directory again (as deja run)")
      ->type_name("HOST[::GUEST]")
      ->allow_extra_args(false);
  sub->add_option("--dir-ro", args->req.dirs_ro, "as --dir, but read-only")
      ->type_name("HOST[::GUEST]")
      ->allow_extra_args(false);
  sub->add_option("--env", args->req.env, "set (or override) a guest environment variable")
      ->type_name("NAME[=VALUE]")
      ->allow_extra_args(false);
  sub->add_option("--listen", args->req.listen, "pre-open a listening TCP socket (as deja run)")
      ->type_name("HOST:PORT")
      ->allow_extra_args(false);
  sub->add_option("--allow-connect", args->req.allow_connect, "allow outbound connections")
      ->type_name("HOST:PORT")
      ->allow_extra_args(false);
  sub->add_option("--snapshot-to", args->req.snapshot_to,
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
  sub->add_option("--timeout", args->req.timeout,
                  "stop the resumed guest after this much wall time (e.g. 500ms, 2s;\n"
                  "exit 124)")
      ->type_name("DURATION");
  sub->add_flag("--no-record", args->req.no_record, "do not record the resumed run");
  sub->footer(kResumeFooter);
  return {sub, [args, io] { return RunResume(*args, io); }};
}

}  // namespace deja::cli
