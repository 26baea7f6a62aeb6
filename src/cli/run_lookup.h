// Finding a recorded run for the commands that read the registry (replay,
// ls, describe, logs, trace, export, rm): opens $DEJA_HOME's registry and
// resolves an id, a unique prefix or "last", printing why not on failure.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "registry/registry.h"
#include "timemachine/log.h"

namespace deja::cli {

struct FoundRun {
  std::unique_ptr<registry::Registry> registry;
  registry::RunRow row;
};

// Opens the registry; on failure prints "<prefix>..." and sets *exit_code.
std::unique_ptr<registry::Registry> OpenRegistry(const std::string& prefix, const CliStreams& io,
                                                 int* exit_code);
// Opens the registry and finds `id` (exit code 3 when there is no such run,
// 2 when the prefix is ambiguous).
std::optional<FoundRun> FindRun(const std::string& prefix, const std::string& id,
                                const CliStreams& io, int* exit_code);
// Opens the run's log.
std::unique_ptr<tm::LogReader> OpenLog(const std::string& prefix, const FoundRun& run,
                                       const CliStreams& io, int* exit_code);

}  // namespace deja::cli
