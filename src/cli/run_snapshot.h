// Taking a snapshot of a `deja run` (docs/snapshots.md): what goes into the
// file besides the engine state, and SIGUSR1 as a request to hibernate.
#pragma once

#include <atomic>
#include <span>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/run_session.h"
#include "snapshot/snapshot.h"

namespace deja::cli {

// The run configuration a resume needs (no host paths: capabilities are
// re-granted by `deja resume`'s own flags).
snapshot::Metadata SnapshotMetadata(const RunPlan& plan, std::span<const u8> wasm);

// Saves the suspended store of `session` (and WASI's state) to `path`;
// prints where it went and returns kExitSuspended, or prints why not and
// returns kExitIoError / kExitInternal.
int WriteRunSnapshot(const RunSession& session, const Wasi& wasi, snapshot::Metadata meta,
                     std::span<const u8> wasm, const std::string& path, const char* prefix,
                     const CliStreams& io);

// While alive, SIGUSR1 asks `store` to suspend at its next safe point. The
// signal is blocked in every thread (construct before starting any) and
// taken by a sigwait thread: nothing runs in a signal handler.
// Blocks SIGUSR1 in the calling thread and every thread it starts later.
void BlockHibernateSignal();

class HibernateOnSignal {
 public:
  explicit HibernateOnSignal(Store& store);
  ~HibernateOnSignal();
  HibernateOnSignal(const HibernateOnSignal&) = delete;
  HibernateOnSignal& operator=(const HibernateOnSignal&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace deja::cli
