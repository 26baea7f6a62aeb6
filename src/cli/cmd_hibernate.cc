// `deja hibernate PID [--wait]`: asks a `deja run --snapshot-to FILE` to
// write its snapshot at the guest's next safe point and exit (SIGUSR1).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace deja::cli {
namespace {

struct HibernateArgs {
  int pid = 0;
  bool wait = false;
  double wait_seconds = 60;
};

int RunHibernate(const HibernateArgs& args, const CliStreams& io) {
  if (args.pid <= 0) {
    io.err << "deja hibernate: PID must be a positive process id\n";
    return kExitUsage;
  }
  if (kill(args.pid, 0) != 0) {
    io.err << "deja hibernate: no process " << args.pid << ": " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  // Only a deja run with --snapshot-to takes SIGUSR1; any other process
  // would be ended by it, which is what the documentation warns about.
  if (kill(args.pid, SIGUSR1) != 0) {
    io.err << "deja hibernate: cannot signal " << args.pid << ": " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  if (!args.wait) return kExitOk;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration<double>(args.wait_seconds);
  while (kill(args.pid, 0) == 0 || errno != ESRCH) {
    if (std::chrono::steady_clock::now() > deadline) {
      io.err << "deja hibernate: process " << args.pid << " still runs after "
             << args.wait_seconds << " s\n";
      return kExitFailed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return kExitOk;
}

}  // namespace

Subcommand AddHibernateCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<HibernateArgs>();
  CLI::App* sub = app.add_subcommand(
      "hibernate", "Make a running `deja run --snapshot-to FILE` write its snapshot and exit");
  sub->add_option("PID", args->pid, "process id of the deja run")->required();
  sub->add_flag("--wait", args->wait, "wait until the process has exited");
  sub->add_option("--wait-timeout", args->wait_seconds, "give up waiting after SECONDS (60)")
      ->type_name("SECONDS");
  sub->footer(
      "Sends SIGUSR1. The run writes its snapshot at the guest's next safe point\n"
      "(within about a millisecond of computation; a guest blocked in a host call\n"
      "stops when the call returns) and exits with 75. A process that was not\n"
      "started with --snapshot-to is ended by the signal.");
  return {sub, [args, io] { return RunHibernate(*args, io); }};
}

}  // namespace deja::cli
