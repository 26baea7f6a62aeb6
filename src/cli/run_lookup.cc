#include "cli/run_lookup.h"

#include "cli/exit_codes.h"

namespace deja::cli {

std::unique_ptr<registry::Registry> OpenRegistry(const std::string& prefix, const CliStreams& io,
                                                 int* exit_code) {
  std::string home = registry::Registry::DefaultHome();
  Result<std::unique_ptr<registry::Registry>> reg = registry::Registry::Open(home);
  if (!reg.ok()) {
    io.err << prefix << "cannot open the registry at " << home << ": " << reg.status().ToString()
           << "\n";
    *exit_code = kExitIoError;
    return nullptr;
  }
  return std::move(reg).value();
}

std::optional<FoundRun> FindRun(const std::string& prefix, const std::string& id,
                                const CliStreams& io, int* exit_code) {
  FoundRun run;
  run.registry = OpenRegistry(prefix, io, exit_code);
  if (run.registry == nullptr) return std::nullopt;
  Result<std::string> full = run.registry->Resolve(id);
  if (!full.ok()) {
    io.err << prefix << full.status().message() << " (registry: " << run.registry->home()
           << "; see `deja ls`)\n";
    *exit_code = full.status().code() == Status::Code::kNotFound ? kExitIoError : kExitUsage;
    return std::nullopt;
  }
  Result<registry::RunRow> row = run.registry->Get(*full);
  if (!row.ok()) {
    io.err << prefix << row.status().ToString() << "\n";
    *exit_code = kExitIoError;
    return std::nullopt;
  }
  run.row = std::move(row).value();
  return run;
}

std::unique_ptr<tm::LogReader> OpenLog(const std::string& prefix, const FoundRun& run,
                                       const CliStreams& io, int* exit_code) {
  std::string path = run.registry->LogPath(run.row.id);
  Result<std::unique_ptr<tm::LogReader>> log = tm::LogReader::Open(path);
  if (!log.ok()) {
    io.err << prefix << "cannot read the log of run " << run.row.id << " (" << path
           << "): " << log.status().ToString() << "\n";
    *exit_code = kExitIoError;
    return nullptr;
  }
  return std::move(log).value();
}

}  // namespace deja::cli
