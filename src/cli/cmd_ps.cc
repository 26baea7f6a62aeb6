// `deja ps`: one line per durable instance: id, state, wake time, module,
// segments, fuel and host calls (docs/DURABLE.md).
#include <ctime>
#include <iomanip>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/durable_lookup.h"
#include "cli/exit_codes.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja ps: ";

std::string WakeText(const durable::Instance& i) {
  if (i.state == durable::State::kWaiting) {
    return i.wait.signal.empty() ? "children" : "signal:" + i.wait.signal;
  }
  if (i.state != durable::State::kSleeping || !i.wait.until_ns) return "-";
  time_t secs = static_cast<time_t>(*i.wait.until_ns / 1'000'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
  return buf;
}

int RunPs(const CliStreams& io) {
  int exit_code = kExitOk;
  std::unique_ptr<durable::InstanceStore> store = OpenInstanceStore(kPrefix, io, &exit_code);
  if (store == nullptr) return exit_code;
  Result<std::vector<durable::Instance>> all = store->List();
  if (!all.ok()) {
    io.err << kPrefix << all.status().ToString() << "\n";
    return kExitIoError;
  }
  io.out << std::left << std::setw(15) << "ID" << std::setw(10) << "STATE" << std::setw(21)
         << "WAKE" << std::setw(24) << "MODULE" << std::right << std::setw(5) << "SEGS"
         << std::setw(14) << "FUEL" << std::setw(8) << "CALLS" << "\n";
  for (const durable::Instance& i : *all) {
    std::string state = durable::StateName(i.state);
    if (durable::IsFinal(i.state) && i.exit_status) {
      state += "(" + std::to_string(*i.exit_status) + ")";
    }
    io.out << std::left << std::setw(15) << i.id << std::setw(10) << state << " "
           << std::setw(20) << WakeText(i) << " " << std::setw(23) << i.name.substr(0, 23)
           << std::right << std::setw(5) << i.segment_count << std::setw(14) << i.fuel
           << std::setw(8) << i.host_calls << "\n";
  }
  return kExitOk;
}

}  // namespace

Subcommand AddPsCommand(CLI::App& app, const CliStreams& io) {
  CLI::App* sub = app.add_subcommand("ps", "List durable instances and their states");
  sub->footer(
      "One line per durable instance of $DEJA_HOME: id, state (pending, running,\n"
      "sleeping, waiting, done, failed, cancelled; with the exit status once\n"
      "ended), when a sleeping one wakes (UTC), module, segments (recorded runs),\n"
      "fuel and host calls over its whole life.\n"
      "Exit status: 0; 3 the store cannot be read.");
  return {sub, [io] { return RunPs(io); }};
}

}  // namespace deja::cli
