#include "cli/cli.h"

#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace deja::cli {
namespace {

// CLI11's messages, in deja's form: "deja run: ..." naming the command (the
// docs promise every message starts so), or "deja: ..." before one is known.
void ReportParseError(CLI::App& app, std::span<const std::string> args, const CLI::ParseError& e,
                      std::ostream& err) {
  std::string command = args.size() > 1 ? args[1] : std::string();
  std::string names;
  bool known = false;
  for (const CLI::App* sub : app.get_subcommands({})) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
    known = known || sub->get_name() == command;
  }
  if (known) {
    err << "deja " << command << ": " << e.what() << " (see `deja " << command << " --help`)\n";
  } else if (command.empty()) {
    err << "deja: a command is required: one of " << names << " (see `deja --help`)\n";
  } else if (command[0] != '-') {
    err << "deja: unknown command \"" << command << "\": the commands are " << names
        << " (see `deja --help`)\n";
  } else {
    err << "deja: " << e.what() << " (see `deja --help`)\n";
  }
}

}  // namespace

int RunCli(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  CLI::App app("deja: a WebAssembly runtime", "deja");
  app.set_version_flag("--version", std::string("deja ") + DEJA_VERSION);
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  CliStreams io{out, err};
  std::vector<Subcommand> commands = {
      AddWastCommand(app, io),
      AddValidateCommand(app, io),
      AddInvokeCommand(app, io),
      AddRunCommand(app, io),
      AddReplayCommand(app, io),
      AddReplicateCommand(app, io),
      AddUpgradeCommand(app, io),
      AddResumeCommand(app, io),
      AddHibernateCommand(app, io),
      AddSnapshotCommand(app, io),
      AddStartCommand(app, io),
      AddWorkerCommand(app, io),
      AddPsCommand(app, io),
      AddWaitCommand(app, io),
      AddCancelCommand(app, io),
  };
  for (auto add : {AddRunsCommands, AddLogsCommands}) {
    for (Subcommand& command : add(app, io)) commands.push_back(std::move(command));
  }
  // CLI11 wants argv without the program name, last argument first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  if (!reversed.empty()) reversed.pop_back();
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    // --help and --version end parsing with exit code 0 and print to `out`.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e, out, err);
      return kExitOk;
    }
    ReportParseError(app, args, e, err);
    return kExitUsage;
  }
  for (const Subcommand& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace deja::cli
