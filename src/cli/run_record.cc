#include "cli/run_record.h"

#include <unistd.h>

#include <chrono>

namespace deja::cli {

tm::RunInfo DescribePlan(const RunPlan& plan) {
  tm::RunInfo info;
  info.deja_version = DEJA_VERSION;
  info.module_name = plan.module_file;
  info.args = plan.config.args;
  info.env = plan.config.env;
  for (const WasiPreopen& p : plan.config.preopens) {
    info.dirs.push_back(p.host_path + "::" + p.guest_path + (p.read_only ? ":ro" : ""));
  }
  info.listen = plan.config.listen;
  info.allow_connect = plan.config.allow_connect;
  info.invoke = plan.invoke;
  info.invoke_args = plan.invoke_args;
  info.max_memory_pages = plan.limits.max_memory_pages;
  info.fuel = plan.fuel;
  info.timeout = plan.timeout_text;
  info.max_fds = plan.config.max_fds;
  info.unknown_imports = static_cast<u8>(plan.unknown_imports);
  info.call_names = tm::WasiCallNames();
  return info;
}

Result<std::unique_ptr<RunRecording>> RunRecording::Start(const std::string& home,
                                                          const RunPlan& plan,
                                                          std::span<const u8> wasm,
                                                          std::span<const u8> snapshot) {
  std::unique_ptr<RunRecording> rec(new RunRecording());
  DEJA_ASSIGN_OR_RETURN(rec->registry_, registry::Registry::Open(home));
  rec->info_ = DescribePlan(plan);
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
                        tm::LogWriter::Create(rec->registry_->LogPath(rec->info_.id), rec->info_));
  rec->recorder_ = std::make_unique<tm::Recorder>(*rec->writer_);
  return rec;
}

RunRecording::~RunRecording() = default;

void RunRecording::Finish(tm::RunEnd end, const std::string& state_digest, const CliStreams& io) {
  if (finished_) return;
  finished_ = true;
  end.state_digest = state_digest;
  end.host_calls = recorder_->calls();
  end.duration_ns = static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - recorder_->start())
                                         .count());
  Status written = writer_->Finish(end);
  if (!written.ok()) {
    io.err << "deja run: recording " << info_.id << " is incomplete: " << written.ToString()
           << "\n";
  }
  Status indexed = registry_->FinishRun(info_.id, end, writer_->bytes_written());
  if (!indexed.ok()) {
    io.err << "deja run: cannot update the registry for " << info_.id << ": "
           << indexed.ToString() << "\n";
  }
  lease_.Release();  // after the row has its end: never seen as killed
  // The registry does not grow without bound (docs/REGISTRY.md, "Retention").
  Result<registry::RetentionReport> kept = registry_->ApplyRetention();
  if (!kept.ok()) io.err << "deja run: retention: " << kept.status().ToString() << "\n";
}

void RunRecording::EndAtDeadline(RunSession& session, const CliStreams& io) {
  session.set_deadline_handler([this, &io](int status, const std::string& message) {
    tm::RunEnd end;
    end.kind = tm::RunEnd::Kind::kInterruptedInHostCall;
    end.exit_status = status;
    end.message = message.substr(0, message.find('\n'));
    Finish(std::move(end), "", io);
  });
}

}  // namespace deja::cli
