// `deja cancel ID`: cancels a durable instance: at once when it is pending
// or parked, by its worker within a moment when it is running.
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/durable_lookup.h"
#include "cli/exit_codes.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja cancel: ";

int RunCancel(const std::string& id, const CliStreams& io) {
  int exit_code = kExitOk;
  std::unique_ptr<durable::InstanceStore> store = OpenInstanceStore(kPrefix, io, &exit_code);
  if (store == nullptr) return exit_code;
  Result<durable::Instance> inst = store->Get(id);
  if (!inst.ok()) {
    io.err << kPrefix << inst.status().message() << " (see `deja ps`)\n";
    return inst.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitIoError;
  }
  Result<bool> done = store->Cancel(inst->id);
  if (!done.ok()) {
    io.err << kPrefix << done.status().ToString() << "\n";
    return kExitIoError;
  }
  if (!*done) {
    io.err << kPrefix << inst->id << " has already ended ("
           << durable::StateName(inst->state) << ")\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

Subcommand AddCancelCommand(CLI::App& app, const CliStreams& io) {
  auto id = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("cancel", "Cancel a durable instance");
  sub->add_option("ID", *id, "instance id (or unique prefix)")->required();
  sub->footer(
      "A pending, sleeping or waiting instance is cancelled at once; a running\n"
      "one is stopped by its worker at its next safe point. `deja wait` then\n"
      "exits with 130. Exit status: 0 cancelled; 1 it had already ended; 2 an\n"
      "ambiguous id; 3 an unknown one.");
  return {sub, [id, io] { return RunCancel(*id, io); }};
}

}  // namespace deja::cli
