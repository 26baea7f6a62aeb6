// Recording a `deja run` (the default): the module goes into the registry,
// a log is opened for the run, a Recorder is put between the guest and WASI,
// and when the run ends its outcome and final-state digest close the log and
// the registry row. docs/RECORDING.md.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "cli/commands.h"
#include "cli/run_session.h"
#include "deja/status.h"
#include "registry/registry.h"
#include "timemachine/log.h"
#include "timemachine/recorder.h"
#include "wasi/system.h"

namespace deja::cli {

class RunRecording {
 public:
  // Opens the registry at `home`, stores the module, creates the run's log
  // and row; a resumed run also stores `snapshot` (the file's bytes) and
  // links to it (RunInfo::resumed_from). Errors: kIoError naming what could not be written.
  static Result<std::unique_ptr<RunRecording>> Start(const std::string& home,
                                                     const RunPlan& plan,
                                                     std::span<const u8> wasm,
                                                     std::span<const u8> snapshot = {});
  ~RunRecording();

  const std::string& id() const { return info_.id; }
  // The system the run's Wasi must use, and the interceptor to install.
  std::shared_ptr<wasi::System> WrapSystem(std::shared_ptr<wasi::System> inner) {
    return recorder_->WrapSystem(std::move(inner));
  }
  tm::Recorder& recorder() { return *recorder_; }

  // Closes the log with `end` (the digest, call count and duration are
  // filled in here) and updates the registry. A failure is reported on
  // `err` but does not change the run's exit status.
  void Finish(tm::RunEnd end, const std::string& state_digest, const CliStreams& io);

  // --timeout while the guest is blocked in a host call ends the process
  // from another thread: this makes the log get its end there.
  void EndAtDeadline(RunSession& session, const CliStreams& io);

 private:
  RunRecording() = default;
  std::unique_ptr<registry::Registry> registry_;
  registry::RunLease lease_;  // held until the run is destroyed: "running" till then
  tm::RunInfo info_;
  std::unique_ptr<tm::LogWriter> writer_;
  std::unique_ptr<tm::Recorder> recorder_;
  bool finished_ = false;
};

// RunInfo for `plan`, without id, start time and module hash.
tm::RunInfo DescribePlan(const RunPlan& plan);

}  // namespace deja::cli
