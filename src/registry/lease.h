// Liveness of recorded runs without pids: a run holds an exclusive flock(2)
// on its own file, $DEJA_HOME/live/<id>.lock, from before its row exists
// until it has finished. The kernel drops the lock when the holder dies
// (however it dies), so "running" means "someone holds the lock" — right
// for many runs in one process (a flock belongs to an open file, not to a
// process) and immune to pid reuse. Format and rules: docs/REGISTRY.md.
#pragma once

#include <string>

#include "base/types.h"
#include "deja/status.h"

namespace deja::registry {

// The lock file of run `id` in `home`.
std::string LeasePath(const std::string& home, const std::string& id);

// Whether some open file (in any process) holds run `id`'s lease. A
// missing lock file means no.
bool LeaseHeld(const std::string& home, const std::string& id);

// Removes a lock file nobody holds (after its run was settled).
void RemoveStaleLease(const std::string& home, const std::string& id);

}  // namespace deja::registry
