#include "session/recording.h"

#include <unistd.h>

#include <chrono>

#include "session/spec.h"

namespace deja::session {

tm::RunEnd RecordedEnd(const RunResult& result) {
  using Kind = tm::RunEnd::Kind;
  tm::RunEnd end;
  switch (result.outcome) {
    case RunOutcome::kReturned: end.kind = Kind::kReturned; break;
    case RunOutcome::kExited: end.kind = Kind::kExited; break;
    case RunOutcome::kTrapped: end.kind = Kind::kTrapped; break;
    case RunOutcome::kOutOfFuel: end.kind = Kind::kOutOfFuel; break;
    case RunOutcome::kTimedOut: end.kind = Kind::kInterrupted; break;
    case RunOutcome::kSuspended: end.kind = Kind::kSuspended; break;
    case RunOutcome::kNotStarted: end.kind = Kind::kFailed; break;
  }
  end.exit_status = result.exit_status;
  end.guest_exit_code = result.guest_exit_code.value_or(0);
  if (result.outcome == RunOutcome::kSuspended) {
    end.message = result.snapshot_path ? "suspended to " + *result.snapshot_path
                                       : "suspended; the snapshot was not written";
  } else if (!result.trap.empty()) {
    end.message = result.trap;
  } else if (result.outcome == RunOutcome::kNotStarted && !result.messages.empty()) {
    end.message = result.messages.back();
  }
  end.results = result.results;
  end.fuel_consumed = result.fuel_consumed;
  return end;
}

namespace {

tm::LogWriter::Options LogOptions(const RunSpec& spec) {
  tm::LogWriter::Options options;
  options.max_bytes = spec.max_log_bytes;
  return options;
}

}  // namespace

Result<std::unique_ptr<RunRecording>> RunRecording::Start(const std::string& home,
                                                          const RunSpec& spec,
                                                          std::span<const u8> wasm,
                                                          std::span<const u8> snapshot,
                                                          u64 continued_calls) {
  std::unique_ptr<RunRecording> rec(new RunRecording());
  rec->home_ = home;
  DEJA_ASSIGN_OR_RETURN(rec->registry_, registry::Registry::Open(home));
  rec->info_ = DescribeRun(spec);
  rec->info_.continued_calls = continued_calls;
  DEJA_ASSIGN_OR_RETURN(rec->info_.module_hash, rec->registry_->PutModule(wasm));
  if (!snapshot.empty()) {
    DEJA_ASSIGN_OR_RETURN(rec->info_.resumed_from, rec->registry_->PutSnapshot(snapshot));
  }
  rec->info_.id = rec->registry_->NewRunId();
  rec->info_.start_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  // The row (and its lease) first: a duplicate id is refused there, before
  // the log file of the run that has it could be overwritten.
  DEJA_ASSIGN_OR_RETURN(rec->lease_,
                        rec->registry_->BeginRun(rec->info_, static_cast<int>(getpid())));
  DEJA_ASSIGN_OR_RETURN(rec->writer_,
                        tm::LogWriter::Create(rec->registry_->LogPath(rec->info_.id), rec->info_,
                                              LogOptions(spec)));
  rec->recorder_ = std::make_unique<tm::Recorder>(*rec->writer_);
  // A durable worker's segment may be killed at any moment and continued
  // from its log: effects reach the log at once (found by
  // scripts/durable-chaos: a file append made in the last 20 ms before a
  // SIGKILL was made again).
  rec->recorder_->set_flush_effects(spec.durable != nullptr || spec.park_sleep != nullptr);
  return rec;
}

RunRecording::~RunRecording() = default;

void RunRecording::Finish(RunResult& result, const std::string& state_digest, Messages& messages) {
  result.host_calls = recorder_->calls();
  tm::RunEnd end = RecordedEnd(result);
  end.state_digest = state_digest;
  Close(std::move(end), messages);
}

void RunRecording::Close(tm::RunEnd end, Messages& messages) {
  if (finished_) return;
  finished_ = true;
  end.host_calls = recorder_->calls();
  end.duration_ns = static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - recorder_->start())
                                         .count());
  Status written = writer_->Finish(end);
  if (!written.ok()) {
    messages.Say("recording " + info_.id + " is incomplete: " + written.ToString());
  }
  Status indexed = registry_->FinishRun(info_.id, end, writer_->bytes_written());
  if (!indexed.ok()) {
    messages.Say("cannot update the registry for " + info_.id + ": " + indexed.ToString());
  }
  lease_.Release();  // after the row has its end: never seen as killed
  // The registry does not grow without bound (docs/REGISTRY.md, "Retention").
  Result<registry::RetentionReport> kept = registry_->ApplyRetention();
  if (!kept.ok()) messages.Say("retention: " + kept.status().ToString());
}

void RunRecording::EndAtDeadline(GuestRun& run, Messages& messages) {
  run.set_deadline_handler([this, &messages](int status, const std::string& message) {
    tm::RunEnd end;
    end.kind = tm::RunEnd::Kind::kInterruptedInHostCall;
    end.exit_status = status;
    end.message = message;
    Close(std::move(end), messages);
  });
}

}  // namespace deja::session
