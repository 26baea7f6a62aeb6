// Taking a snapshot of a `deja run` (docs/snapshots.md): what goes into the
// file besides the engine state, and SIGUSR1 as a request to hibernate.
#pragma once

#include <atomic>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/run_session.h"
#include "registry/control.h"
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

// What a resume is given besides the snapshot: the capabilities granted
// again (a snapshot carries none) and what to do next. `deja resume FILE`
// and `deja run FILE` (FILE a snapshot) both fill it in.
struct ResumeRequest {
  std::string file;
  std::vector<std::string> dirs;     // --dir specs
  std::vector<std::string> dirs_ro;  // --dir-ro specs
  std::vector<std::string> env;      // --env: added to (or replacing in) the saved environment
  std::vector<std::string> listen;
  std::vector<std::string> allow_connect;
  std::string snapshot_to;  // empty: no further snapshots
  std::optional<uint64_t> suspend_after_fuel;
  // Limits of the resumed run (a snapshot carries none): fuel counted from
  // the resume, wall time from the start of this process's run.
  std::optional<uint64_t> fuel;
  std::string timeout;  // empty: none
  bool no_record = false;
  // `deja run --invoke NAME FILE ARGS`: the export to call in a snapshot with
  // no call active (a pre-initialised reactor). Refused for one suspended
  // inside a call, which can only continue that call.
  std::optional<std::string> invoke;
  std::vector<std::string> invoke_args;
};

// Whether `path` starts with a snapshot file's magic (DEJASNAP). False also
// when it cannot be read: the caller's own open then says why.
bool IsSnapshotFile(const std::string& path);

// Continues the guest saved in `req.file` (docs/snapshots.md, "Resuming");
// messages start with `prefix`. Returns the exit code, as `deja run` does;
// 1 for a damaged, incompatible or mismatched snapshot, 2 for a request the
// snapshot does not allow, 3 when it cannot be read.
int ResumeSnapshot(const ResumeRequest& req, const char* prefix, const CliStreams& io);

// While alive, SIGUSR1 asks `store` to suspend at its next safe point. The
// signal is blocked in every thread (construct before starting any) and
// taken by a sigwait thread: nothing runs in a signal handler.
// Blocks SIGUSR1 in the calling thread and every thread it starts later.
void BlockHibernateSignal();

//
// Also opens the run's control endpoint ($DEJA_HOME/control/<pid>.sock,
// registry/control.h), through which `deja hibernate PID|RUN` asks the
// same thing (Store::RequestSuspend) after checking that the target is a
// live deja run that accepts hibernation; the asker learns `snapshot_to`
// and waits until this object is destroyed (the snapshot written, or the
// run over). `run_id` is the recording's id ("" for --no-record). If the
// endpoint cannot be opened, `io.err` says why and SIGUSR1 still works.
class HibernateOnSignal {
 public:
  HibernateOnSignal(Store& store, std::string run_id, const std::string& snapshot_to,
                    const char* prefix, const CliStreams& io);
  ~HibernateOnSignal();
  HibernateOnSignal(const HibernateOnSignal&) = delete;
  HibernateOnSignal& operator=(const HibernateOnSignal&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::unique_ptr<registry::ControlEndpoint> endpoint_;
};

}  // namespace deja::cli
