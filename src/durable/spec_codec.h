// The start spec of an instance as the store keeps it (Instance::spec_json):
// what `deja start` was given that every segment needs again — argv,
// environment, granted directories and sockets, limits, the import mode.
// Capabilities are re-granted to each segment from here, as a snapshot
// carries none (docs/snapshots.md).
#pragma once

#include <string>

#include "deja/session.h"
#include "deja/status.h"

namespace deja::durable {

std::string EncodeSpec(const session::RunSpec& spec);
// Errors: kInvalidArgument naming what is wrong.
Result<session::RunSpec> DecodeSpec(const std::string& json);

// The spec of segment N: from the module (no snapshot yet) or from
// `snapshot`, whose argv, memory and descriptor limits and import mode are
// the snapshot's (session::Run refuses them otherwise).
session::RunSpec SegmentSpec(const session::RunSpec& start, const std::string& module,
                             const std::string& snapshot);

}  // namespace deja::durable
