// `deja wait ID`: blocks until a durable instance ends and exits with its
// exit status (130 when cancelled).
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/durable_lookup.h"
#include "cli/exit_codes.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja wait: ";

struct WaitArgs {
  std::string id;
  std::string timeout;
};

int RunWait(const WaitArgs& args, const CliStreams& io) {
  std::optional<std::chrono::nanoseconds> timeout;
  if (!args.timeout.empty()) {
    Result<std::chrono::nanoseconds> t = ParseDuration(args.timeout);
    if (!t.ok()) {
      io.err << kPrefix << t.status().WithContext("--timeout").message() << "\n";
      return kExitUsage;
    }
    timeout = *t;
  }
  int exit_code = kExitOk;
  std::unique_ptr<durable::InstanceStore> store = OpenInstanceStore(kPrefix, io, &exit_code);
  if (store == nullptr) return exit_code;
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    Result<durable::Instance> inst = store->Get(args.id);
    if (!inst.ok()) {
      io.err << kPrefix << inst.status().message() << " (see `deja ps`)\n";
      return inst.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitIoError;
    }
    if (durable::IsFinal(inst->state)) {
      if (!inst->error.empty() && inst->state == durable::State::kFailed) {
        io.err << kPrefix << inst->id << " failed: " << inst->error << "\n";
      }
      return inst->exit_status.value_or(kExitFailed);
    }
    if (timeout && std::chrono::steady_clock::now() - start >= *timeout) {
      io.err << kPrefix << inst->id << " is still " << durable::StateName(inst->state)
             << " after --timeout " << args.timeout << "\n";
      return session::kStatusGuestLimit;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

Subcommand AddWaitCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<WaitArgs>();
  CLI::App* sub = app.add_subcommand("wait", "Wait for a durable instance to end");
  sub->add_option("ID", args->id, "instance id (or unique prefix)")->required();
  sub->add_option("--timeout", args->timeout, "give up after DURATION (exit 124)")
      ->type_name("DURATION");
  sub->footer(
      "Blocks until the instance ends (a worker must be running it) and exits\n"
      "with its exit status: the guest's own, 130 when cancelled, 124 after\n"
      "--timeout; 2 for an ambiguous id, 3 for an unknown one.");
  return {sub, [args, io] { return RunWait(*args, io); }};
}

}  // namespace deja::cli
