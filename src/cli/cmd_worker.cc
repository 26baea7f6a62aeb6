// `deja worker [--threads N] [--sleep-threshold D] [--checkpoint-every D]
// [--until-idle]`: runs durable instances (docs/DURABLE.md) until SIGTERM or
// SIGINT, then drains: running guests are snapshotted and parked, none is
// lost. Several workers may share one $DEJA_HOME.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/run_options.h"
#include "durable/worker.h"
#include "registry/registry.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja worker: ";

struct WorkerArgs {
  std::string threads = "4";
  std::string sleep_threshold = "1s";
  std::string checkpoint_every;
  bool until_idle = false;
};

int RunWorkerCommand(const WorkerArgs& args, const CliStreams& io) {
  durable::WorkerOptions options;
  options.home = registry::Registry::DefaultHome();
  Result<uint64_t> threads = ParseCount(args.threads, 256);
  if (!threads.ok() || *threads == 0) {
    io.err << kPrefix << "--threads: " << args.threads << " is not a count from 1 to 256\n";
    return kExitUsage;
  }
  options.threads = static_cast<unsigned>(*threads);
  Result<std::chrono::nanoseconds> threshold = ParseDuration(args.sleep_threshold);
  if (!threshold.ok()) {
    io.err << kPrefix << threshold.status().WithContext("--sleep-threshold").message() << "\n";
    return kExitUsage;
  }
  options.sleep_threshold = *threshold;
  if (!args.checkpoint_every.empty()) {
    Result<std::chrono::nanoseconds> every = ParseDuration(args.checkpoint_every);
    if (!every.ok()) {
      io.err << kPrefix << every.status().WithContext("--checkpoint-every").message() << "\n";
      return kExitUsage;
    }
    options.checkpoint_every = *every;
  }
  options.until_idle = args.until_idle;
  options.log = [&io](std::string_view line) {
    io.err << kPrefix << line << "\n";
    io.err.flush();
  };
  // SIGTERM and SIGINT are taken by one thread (blocked in all others), so
  // a signal asks for a drain instead of killing guests mid-call.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};
  std::thread signals([&] {
    timespec tick{0, 100'000'000};
    while (!finished) {
      int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        stop = true;
        io.err << kPrefix << "signal " << sig << ": draining\n";
      }
    }
  });
  Status s = durable::RunWorker(options, stop);
  finished = true;
  signals.join();
  if (!s.ok()) {
    io.err << kPrefix << s.ToString() << "\n";
    return kExitIoError;
  }
  return kExitOk;
}

}  // namespace

Subcommand AddWorkerCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* sub = app.add_subcommand("worker", "Run durable instances until SIGTERM/SIGINT");
  sub->add_option("--threads", args->threads, "instances run at once (4)")->type_name("N");
  sub->add_option("--sleep-threshold", args->sleep_threshold,
                  "a guest sleeping at least this long is snapshotted\n"
                  "and woken when due (1s)")
      ->type_name("DURATION");
  sub->add_option("--checkpoint-every", args->checkpoint_every,
                  "also snapshot a guest that has run this long (bounds\n"
                  "what a crash re-executes)")
      ->type_name("DURATION");
  sub->add_flag("--until-idle", args->until_idle,
                "exit once nothing is pending, running or sleeping");
  sub->footer(
      "Runs the durable instances of $DEJA_HOME (deja start) on a pool of threads\n"
      "until SIGTERM or SIGINT, then drains: each running guest is snapshotted and\n"
      "left pending for the next worker. A worker killed outright (SIGKILL) loses\n"
      "nothing either: its instances are claimed again by the next worker and\n"
      "resume from their last snapshot (docs/DURABLE.md, crash matrix).\n"
      "\n"
      "Exit status: 0 stopped; 2 bad flags; 3 the store cannot be opened.");
  return {sub, [args, io] { return RunWorkerCommand(*args, io); }};
}

}  // namespace deja::cli
