// Upgrade by replay: a guest sleeping in a snapshot (suspended at its
// "deja" "snapshot" call) is moved to a new module only if the new module,
// replayed through the guest's whole recorded history (every segment: the
// run from the module, then each run resumed from the previous one's
// snapshot), makes exactly the recorded host calls. Then the new module's
// own state at the park point becomes a snapshot that continues on the new
// code. Otherwise nothing is written and the divergence is reported.
// docs/DURABLE.md, "Upgrade by replay".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "deja/session.h"

namespace deja::session {

struct UpgradeSpec {
  std::string snapshot_file;  // the sleeping guest (written by a recorded run)
  std::string module_file;    // the new module
  std::string output;         // where the upgraded snapshot goes
  std::string home;           // the registry holding the history; empty: default
};

struct UpgradeResult {
  int exit_status = kStatusInternal;   // 0 upgraded, kStatusDiverged, or a start error's
  std::vector<std::string> segments;   // run ids of the history, oldest first
  std::optional<ReplayDivergence> divergence;
  std::string divergent_run;           // the segment it happened in
  std::vector<std::string> messages;
};

UpgradeResult Upgrade(const UpgradeSpec& spec, const SessionIo& io);

}  // namespace deja::session
