// `deja hibernate PID|RUN`: asks a live `deja run --snapshot-to FILE` (or
// `deja resume ... --snapshot-to FILE`) to write its snapshot at the
// guest's next safe point and exit, through the run's control endpoint
// (registry/control.h), and waits for the snapshot. A process that is not
// such a run is never signalled: it has no endpoint, and the command fails.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "deja/session.h"
#include "registry/control.h"
#include "registry/registry.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja hibernate: ";

struct HibernateArgs {
  std::string target;  // a pid, or a run id (or unique prefix, or "last")
  bool wait = false;   // kept for scripts: waiting is what it always does
  double wait_seconds = 60;
};

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

int RunHibernate(const HibernateArgs& args, const CliStreams& io) {
  if (!(args.wait_seconds > 0) || args.wait_seconds > 86400 * 365) {
    io.err << kPrefix << "--wait-timeout must be a positive number of seconds\n";
    return kExitUsage;
  }
  std::string home = registry::Registry::DefaultHome();
  int pid = 0;
  std::string run_id;
  if (AllDigits(args.target)) {
    if (args.target.size() > 9 || std::stol(args.target) <= 0) {
      io.err << kPrefix << "PID must be a positive process id, got " << args.target << "\n";
      return kExitUsage;
    }
    pid = static_cast<int>(std::stol(args.target));
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      io.err << kPrefix << "no process " << pid << "\n";
      return kExitFailed;
    }
  } else {
    auto registry = registry::Registry::Open(home);
    if (!registry.ok()) {
      io.err << kPrefix << "cannot open the registry " << home << ": "
             << registry.status().ToString() << "\n";
      return kExitIoError;
    }
    auto id = (*registry)->Resolve(args.target);
    if (!id.ok()) {
      io.err << kPrefix << id.status().message() << "\n";
      return kExitUsage;
    }
    auto row = (*registry)->Get(*id);
    if (!row.ok()) {
      io.err << kPrefix << row.status().message() << "\n";
      return kExitFailed;
    }
    if (row->status != "running") {
      io.err << kPrefix << "run " << *id << " is not running (" << row->status << ")\n";
      return kExitFailed;
    }
    pid = row->pid;
    run_id = *id;
  }
  auto client = registry::ControlClient::Connect(home, pid);
  if (!client.ok()) {
    io.err << kPrefix << (run_id.empty() ? "process " + std::to_string(pid) : "run " + run_id)
           << " is not a deja run that accepts hibernation (" << client.status().message()
           << "; start it with --snapshot-to FILE, with the same DEJA_HOME); nothing was sent\n";
    return kExitFailed;
  }
  auto asked = std::chrono::system_clock::now();
  auto reply = (*client)->Ask(run_id.empty() ? "hibernate" : "hibernate " + run_id,
                              std::chrono::seconds(5));
  if (!reply.ok()) {
    io.err << kPrefix << "process " << pid << ": " << reply.status().message() << "\n";
    return kExitFailed;
  }
  if (reply->rfind("ok ", 0) != 0) {
    io.err << kPrefix << "process " << pid << " " << *reply << "\n";
    return kExitFailed;
  }
  std::string path = reply->substr(3);
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(args.wait_seconds));
  if (!(*client)->WaitClosed(wait)) {
    io.err << kPrefix << "process " << pid << " accepted but has not suspended after "
           << args.wait_seconds << " s (a guest blocked in a host call stops when the call "
           << "returns); its snapshot will go to " << path << "\n";
    return kExitFailed;
  }
  // The run closes its endpoint once the snapshot is written, or when it
  // ends otherwise (the guest finished first, or the write failed).
  struct stat st;
  bool fresh = stat(path.c_str(), &st) == 0 &&
               std::chrono::system_clock::from_time_t(st.st_mtime) + std::chrono::seconds(1) >=
                   asked &&
               session::IsSnapshotFile(path);
  if (!fresh) {
    io.err << kPrefix << "process " << pid << " ended without writing its snapshot to " << path
           << " (the guest may have finished first; see its own messages)\n";
    return kExitFailed;
  }
  io.out << "snapshot written to " << path << " (continue with: deja resume " << path << ")\n";
  return kExitOk;
}

}  // namespace

Subcommand AddHibernateCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<HibernateArgs>();
  CLI::App* sub = app.add_subcommand(
      "hibernate", "Make a running `deja run --snapshot-to FILE` write its snapshot and exit");
  sub->add_option("TARGET", args->target, "process id of the deja run, or its run id")
      ->required();
  sub->add_flag("--wait", args->wait, "(the default) wait until the snapshot is written");
  sub->add_option("--wait-timeout", args->wait_seconds,
                  "give up waiting for the snapshot after SECONDS (60)")
      ->type_name("SECONDS");
  sub->footer(
      "Asks the run through its control endpoint ($DEJA_HOME/control/PID.sock),\n"
      "which only a deja run or resume started with --snapshot-to opens: any\n"
      "other process is left alone and the command fails (exit 1). The run\n"
      "writes its snapshot at the guest's next safe point (within about a\n"
      "millisecond of computation; a guest blocked in a host call stops when the\n"
      "call returns) and exits with 75; this command waits for that, prints\n"
      "where the snapshot went and exits 0.");
  return {sub, [args, io] { return RunHibernate(*args, io); }};
}

}  // namespace deja::cli
