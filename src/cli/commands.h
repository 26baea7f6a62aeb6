// The subcommands of the deja CLI, one cmd_<name>.cc each. An Add*Command
// function declares the subcommand and its flags on `app` and returns how to
// run it once the whole command line has parsed.
#pragma once

#include <functional>
#include <ostream>

#include "CLI/CLI.hpp"

namespace deja::cli {

struct CliStreams {
  std::ostream& out;
  std::ostream& err;
};

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns an exit code (exit_codes.h)
};

Subcommand AddWastCommand(CLI::App& app, const CliStreams& io);
Subcommand AddValidateCommand(CLI::App& app, const CliStreams& io);
Subcommand AddInvokeCommand(CLI::App& app, const CliStreams& io);
Subcommand AddRunCommand(CLI::App& app, const CliStreams& io);

}  // namespace deja::cli
