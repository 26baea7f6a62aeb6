// Finding durable instances for the commands that take an instance id
// (start, ps, wait, cancel, and logs/trace/replay, which also take a run
// id): instance ids start with "i-", run ids never do.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "durable/instance_store.h"

namespace deja::cli {

bool IsInstanceId(const std::string& id);

// Opens $DEJA_HOME's instance store; on failure prints "<prefix>..." and
// sets *exit_code (3).
std::unique_ptr<durable::InstanceStore> OpenInstanceStore(const std::string& prefix,
                                                          const CliStreams& io, int* exit_code);
// Opens the store and finds `id` (exit code 3 when there is none, 2 when the
// prefix is ambiguous).
std::optional<durable::Instance> FindInstance(const std::string& prefix, const std::string& id,
                                              const CliStreams& io, int* exit_code);
// The recorded runs of an instance's segments, in order. A killed segment
// is left out: the segment after it started again from the same snapshot.
std::vector<std::string> SegmentRuns(const durable::Instance& instance);

}  // namespace deja::cli
