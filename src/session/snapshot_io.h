// Taking a snapshot of a session (docs/snapshots.md): what goes into the
// file besides the engine state, where it goes when the requested path
// fails, and SIGUSR1 as a request to hibernate (a process-wide seam for the
// CLI; a per-store request API replaces it for many sessions per process).
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "registry/control.h"
#include "session/guest_run.h"
#include "snapshot/snapshot.h"

namespace deja::session {

// Whether a snapshot can be written to `path`: its directory exists and is
// writable, and `path` is not a directory. Checked before a run starts, so a
// guest is never suspended into a file that cannot be written.
// Errors: kInvalidArgument / kIoError naming the path and why.
Status CheckSnapshotTarget(const std::string& path);

// Where a snapshot that could not be written to its path is kept instead:
// <home>/snapshots/recovered/<name>.snap.
std::string RecoveryPath(const std::string& home, const std::string& name);

// Saves the suspended store of `run` (and WASI's state) to `path`; says where
// it went and returns kStatusSuspended. If `path` cannot be written, the
// state is written to RecoveryPath(recovery_home, ...) instead (when
// recovery_home is not empty), the message says where, and the status is
// kStatusIoError. `result.snapshot_path` names the file written, if any.
int WriteSnapshot(const GuestRun& run, const Wasi& wasi, snapshot::Metadata meta,
                  std::span<const u8> wasm, const std::string& path,
                  const std::string& recovery_home, RunResult& result, Messages& messages);

// While alive, SIGUSR1 asks `store` to suspend at its next safe point. The
// signal is blocked in every thread (BlockHibernateSignal before starting
// any) and taken by a sigwait thread: nothing runs in a signal handler.
// Also opens the process's control endpoint ($DEJA_HOME/control/<pid>.sock,
// registry/control.h), through which `deja hibernate PID|RUN` asks the same
// thing (Store::RequestSuspend) after checking that the target is a live
// deja run that accepts hibernation; the asker learns `snapshot_to` and
// waits until this object is destroyed (the snapshot written, or the run
// over). `run_id` is the recording's id ("" when not recorded). Both are
// per process: the CLI's (RunSpec::hibernate_on_sigusr1); an embedder with
// many sessions calls Store::RequestSuspend itself.
class HibernateOnSignal {
 public:
  HibernateOnSignal(Store& store, std::string run_id, const std::string& snapshot_to,
                    const std::string& home, Messages& messages);
  ~HibernateOnSignal();
  HibernateOnSignal(const HibernateOnSignal&) = delete;
  HibernateOnSignal& operator=(const HibernateOnSignal&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::unique_ptr<registry::ControlEndpoint> endpoint_;
};

}  // namespace deja::session
