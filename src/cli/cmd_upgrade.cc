// `deja upgrade SNAPSHOT NEW.wasm -o OUT`: moves a sleeping guest to a new
// module if, replayed through its whole recorded history, the new module
// makes exactly the same host calls (docs/DURABLE.md, "Upgrade by replay").
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/session_io.h"
#include "session/upgrade.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja upgrade: ";

struct UpgradeArgs {
  std::string snapshot;
  std::string module;
  std::string output;
};

int RunUpgrade(const UpgradeArgs& args, const CliStreams& io) {
  session::UpgradeSpec spec;
  spec.snapshot_file = args.snapshot;
  spec.module_file = args.module;
  spec.output = args.output;
  session::UpgradeResult result = session::Upgrade(spec, PrintingIo(kPrefix, io));
  return result.exit_status;
}

constexpr const char* kUpgradeFooter =
    "SNAPSHOT is a guest sleeping at its \"deja\" \"snapshot\" call, written by a\n"
    "recorded run (deja run --snapshot-to). Its whole history (the run from the\n"
    "module, then every run resumed from the previous snapshot) is replayed\n"
    "against NEW.wasm. If every host call matches, NEW's own state at the park\n"
    "point is written to OUT (continue with: deja run OUT); else nothing is\n"
    "written, the guest stays on its module, and stderr names the segment, the\n"
    "host call, the recorded and the new call, and both backtraces.\n"
    "\n"
    "Exit status:\n"
    "  0    upgraded: OUT continues on NEW.wasm\n"
    "  2    usage error; the snapshot was not taken at the guest's own call, or\n"
    "       not by a recorded run\n"
    "  3    a file, the registry or a log of the history cannot be read\n"
    "  65   NEW.wasm behaves differently: not upgraded";

}  // namespace

Subcommand AddUpgradeCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<UpgradeArgs>();
  CLI::App* sub = app.add_subcommand(
      "upgrade", "Move a sleeping guest to a new module if it replays its history the same");
  sub->add_option("SNAPSHOT", args->snapshot, "the sleeping guest")->required();
  sub->add_option("NEW", args->module, "the new module (.wasm or .wat)")->required();
  sub->add_option("-o,--output", args->output, "where the upgraded snapshot goes")
      ->type_name("FILE")
      ->required();
  sub->footer(kUpgradeFooter);
  return {sub, [args, io] { return RunUpgrade(*args, io); }};
}

}  // namespace deja::cli
