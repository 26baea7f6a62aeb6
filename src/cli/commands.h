// The subcommands of the deja CLI, one cmd_<name>.cc each. An Add*Command
// function declares the subcommand and its flags on `app` and returns how to
// run it once the whole command line has parsed.
#pragma once

#include <functional>
#include <ostream>
#include <vector>

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
Subcommand AddReplayCommand(CLI::App& app, const CliStreams& io);
Subcommand AddReplicateCommand(CLI::App& app, const CliStreams& io);  // cmd_replicate.cc
Subcommand AddUpgradeCommand(CLI::App& app, const CliStreams& io);    // cmd_upgrade.cc
Subcommand AddResumeCommand(CLI::App& app, const CliStreams& io);     // cmd_resume.cc
Subcommand AddHibernateCommand(CLI::App& app, const CliStreams& io);  // cmd_hibernate.cc
Subcommand AddSnapshotCommand(CLI::App& app, const CliStreams& io);   // cmd_snapshot.cc
// Durable instances (docs/DURABLE.md): cmd_start.cc, cmd_worker.cc, cmd_ps.cc,
// cmd_wait.cc, cmd_cancel.cc.
Subcommand AddStartCommand(CLI::App& app, const CliStreams& io);
Subcommand AddWorkerCommand(CLI::App& app, const CliStreams& io);
Subcommand AddPsCommand(CLI::App& app, const CliStreams& io);
Subcommand AddWaitCommand(CLI::App& app, const CliStreams& io);
Subcommand AddCancelCommand(CLI::App& app, const CliStreams& io);
// ls, describe, rm, gc (cmd_runs.cc)
std::vector<Subcommand> AddRunsCommands(CLI::App& app, const CliStreams& io);
// logs, trace (and trace http), export, import (cmd_logs.cc)
std::vector<Subcommand> AddLogsCommands(CLI::App& app, const CliStreams& io);

}  // namespace deja::cli
