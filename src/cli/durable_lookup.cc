#include "cli/durable_lookup.h"

#include "cli/exit_codes.h"
#include "registry/registry.h"

namespace deja::cli {

bool IsInstanceId(const std::string& id) { return id.rfind("i-", 0) == 0; }

std::unique_ptr<durable::InstanceStore> OpenInstanceStore(const std::string& prefix,
                                                          const CliStreams& io, int* exit_code) {
  Result<std::unique_ptr<durable::InstanceStore>> store =
      durable::OpenSqliteStore(registry::Registry::DefaultHome());
  if (!store.ok()) {
    io.err << prefix << store.status().ToString() << "\n";
    *exit_code = kExitIoError;
    return nullptr;
  }
  return std::move(store).value();
}

std::optional<durable::Instance> FindInstance(const std::string& prefix, const std::string& id,
                                              const CliStreams& io, int* exit_code) {
  std::unique_ptr<durable::InstanceStore> store = OpenInstanceStore(prefix, io, exit_code);
  if (store == nullptr) return std::nullopt;
  Result<durable::Instance> found = store->Get(id);
  if (!found.ok()) {
    io.err << prefix << found.status().message() << " (see `deja ps`)\n";
    *exit_code = found.status().code() == Status::Code::kInvalidArgument ? kExitUsage
                                                                          : kExitIoError;
    return std::nullopt;
  }
  return std::move(found).value();
}

std::vector<std::string> SegmentRuns(const durable::Instance& instance) {
  std::vector<std::string> runs;
  for (const durable::Segment& s : instance.segments) {
    // A killed segment's work is redone by the next one (from the same
    // snapshot), so its partial recording is not part of the history.
    if (!s.run_id.empty() && s.end != "killed") runs.push_back(s.run_id);
  }
  return runs;
}

}  // namespace deja::cli
