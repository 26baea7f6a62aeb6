#include "cli/cli.h"

#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace deja::cli {

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
      AddResumeCommand(app, io),
      AddHibernateCommand(app, io),
      AddSnapshotCommand(app, io),
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
    int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  for (const Subcommand& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace deja::cli
