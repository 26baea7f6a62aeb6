// Recording a session (the default): the module goes into the registry, a
// log is opened for the run, a Recorder is put between the guest and WASI,
// and when the run ends its outcome and final-state digest close the log and
// the registry row. docs/RECORDING.md.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "deja/status.h"
#include "registry/registry.h"
#include "session/guest_run.h"
#include "deja/session.h"
#include "timemachine/log.h"
#include "timemachine/recorder.h"
#include "wasi/system.h"

namespace deja::session {

class RunRecording {
 public:
  // Opens the registry at `home`, stores the module, creates the run's log
  // and row; a resumed run also stores `snapshot` (the file's bytes) and
  // links to it (RunInfo::resumed_from). Errors: kIoError naming what could
  // not be written. A continuation (spec.continue_from, the full id) says
  // how many calls it copies from the killed run (RunInfo::continued_calls).
  static Result<std::unique_ptr<RunRecording>> Start(const std::string& home, const RunSpec& spec,
                                                     std::span<const u8> wasm,
                                                     std::span<const u8> snapshot = {},
                                                     u64 continued_calls = 0);
  ~RunRecording();

  const std::string& id() const { return info_.id; }
  const std::string& home() const { return home_; }
  // The system the run's Wasi must use, and the interceptor to install.
  std::shared_ptr<wasi::System> WrapSystem(std::shared_ptr<wasi::System> inner) {
    return recorder_->WrapSystem(std::move(inner));
  }
  tm::Recorder& recorder() { return *recorder_; }

  // Closes the log with the run's end (from `result`; the digest, call count
  // and duration are filled in here, and host_calls/duration into `result`)
  // and updates the registry. A failure is a message; it does not change
  // the run's exit status.
  void Finish(RunResult& result, const std::string& state_digest, Messages& messages);

  // A deadline that ends the process while the guest is blocked in a host
  // call (RunSpec::exit_process_at_deadline) gives the log its end there.
  void EndAtDeadline(GuestRun& run, Messages& messages);

 private:
  RunRecording() = default;
  void Close(tm::RunEnd end, Messages& messages);
  std::string home_;
  std::unique_ptr<registry::Registry> registry_;
  registry::RunLease lease_;  // held until the run is destroyed: "running" till then
  tm::RunInfo info_;
  std::unique_ptr<tm::LogWriter> writer_;
  std::unique_ptr<tm::Recorder> recorder_;
  bool finished_ = false;
};

// The recorded end of a run (one place maps a RunResult to a log's RunEnd).
tm::RunEnd RecordedEnd(const RunResult& result);

}  // namespace deja::session
