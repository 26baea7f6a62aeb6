// Replay: a session whose WASI calls are answered from a recording. The run
// is rebuilt as recorded (limits, the call, the snapshot it resumed from);
// where the recorded run stopped at a fuel count (a timeout, a suspension)
// the replay stops at the same count; then the outcome, exit status, results
// and final-state digest are compared with the recording's end.
#include <unistd.h>

#include <memory>
#include <optional>

#include "registry/registry.h"
#include "session/guest_run.h"
#include "deja/session.h"
#include "session/spec.h"
#include "snapshot/snapshot.h"
#include "text/wat.h"
#include "timemachine/log.h"
#include "timemachine/replayer.h"
#include "wasi/ctx.h"

namespace deja::session {
namespace {

std::string Backtrace(const Trap& trap) {
  std::string text = trap.ToString();
  size_t first = text.find('\n');
  return first == std::string::npos ? std::string() : "\n" + text.substr(first + 1);
}

// The recorded side's frames are indented further, so that the replayed
// side's stay the lines after "replayed:" (as tests and tools read them).
std::string Divergence(const ReplayDivergence& d) {
  std::string recorded_frames;
  size_t at = 0;
  while (at < d.recorded_backtrace.size()) {
    size_t nl = d.recorded_backtrace.find('\n', at);
    if (nl == std::string::npos) nl = d.recorded_backtrace.size();
    if (nl > at) recorded_frames += "\n  " + d.recorded_backtrace.substr(at, nl - at);
    at = nl + 1;
  }
  return "diverged at host call " + std::to_string(d.index) + ": " + d.reason +
         "\n  recorded: " + (d.recorded_call.empty() ? "(no call)" : d.recorded_call) +
         recorded_frames + "\n  replayed: " + (d.replayed_call.empty() ? "(no call)" : d.replayed_call) +
         d.replayed_backtrace;
}

RunOutcome OutcomeOf(tm::RunEnd::Kind kind) {
  using Kind = tm::RunEnd::Kind;
  switch (kind) {
    case Kind::kReturned: return RunOutcome::kReturned;
    case Kind::kExited: return RunOutcome::kExited;
    case Kind::kTrapped: return RunOutcome::kTrapped;
    case Kind::kOutOfFuel: return RunOutcome::kOutOfFuel;
    case Kind::kInterrupted:
    case Kind::kInterruptedInHostCall: return RunOutcome::kTimedOut;
    case Kind::kSuspended: return RunOutcome::kSuspended;
    case Kind::kFailed: return RunOutcome::kNotStarted;
  }
  return RunOutcome::kNotStarted;
}

class ReplaySession {
 public:
  ReplaySession(const ReplaySpec& spec, const SessionIo& io)
      : spec_(spec), messages_(io, &out_.run.messages) {}

  ReplayResult Go() {
    auto start = std::chrono::steady_clock::now();
    Start();
    out_.run.duration = std::chrono::steady_clock::now() - start;
    return std::move(out_);
  }

 private:
  void Refuse(StartError error, int status, std::string message) {
    messages_.Say(std::move(message));
    out_.verdict = ReplayVerdict::kNotStarted;
    out_.run.outcome = RunOutcome::kNotStarted;
    out_.run.error = error;
    out_.run.exit_status = status;
  }
  void Verdict(ReplayVerdict verdict, int status) {
    out_.verdict = verdict;
    out_.run.exit_status = status;
  }

  void Start() {
    std::string home = spec_.home.empty() ? registry::Registry::DefaultHome() : spec_.home;
    Result<std::unique_ptr<registry::Registry>> reg = registry::Registry::Open(home);
    if (!reg.ok()) {
      return Refuse(StartError::kIo, kStatusIoError,
                    "cannot open the registry at " + home + ": " + reg.status().ToString());
    }
    registry_ = std::move(reg).value();
    Result<std::string> full = registry_->Resolve(spec_.id);
    if (!full.ok()) {
      bool missing = full.status().code() == Status::Code::kNotFound;
      return Refuse(missing ? StartError::kIo : StartError::kUsage,
                    missing ? kStatusIoError : kStatusUsage,
                    std::string(full.status().message()) + " (registry: " + registry_->home() +
                        "; see `deja ls`)");
    }
    Result<registry::RunRow> row = registry_->Get(*full);
    if (!row.ok()) return Refuse(StartError::kIo, kStatusIoError, row.status().ToString());
    row_ = std::move(row).value();
    out_.run.run_id = row_.id;
    std::string path = registry_->LogPath(row_.id);
    Result<std::unique_ptr<tm::LogReader>> log = tm::LogReader::Open(path);
    if (!log.ok()) {
      return Refuse(StartError::kIo, kStatusIoError,
                    "cannot read the log of run " + row_.id + " (" + path +
                        "): " + log.status().ToString());
    }
    log_ = std::move(log).value();
    const tm::RunInfo& info = log_->info();
    Result<std::vector<u8>> wasm = spec_.module_file.empty()
                                       ? registry_->GetModule(info.module_hash)
                                       : text::LoadModuleFile(spec_.module_file);
    if (!wasm.ok()) {
      return Refuse(StartError::kIo, kStatusIoError,
                    (spec_.module_file.empty() ? info.module_hash : spec_.module_file) + ": " +
                        wasm.status().ToString());
    }
    Result<Module> module = Module::Compile(*wasm);
    if (!module.ok()) {
      return Refuse(StartError::kInvalid, kStatusFailed, "module: " + module.status().ToString());
    }
    // A resumed run starts from the snapshot it was resumed from; WASI needs
    // no state of its own, as the replayer answers every call.
    std::optional<snapshot::Snapshot> snap;
    if (!spec_.start_snapshot.empty() && info.resumed_from.empty()) {
      return Refuse(StartError::kUsage, kStatusUsage,
                    "run " + row_.id + " started from its module, not from a snapshot");
    }
    if (!spec_.start_snapshot.empty()) {
      Result<snapshot::Snapshot> decoded = snapshot::Decode(spec_.start_snapshot);
      if (!decoded.ok()) {
        return Refuse(StartError::kInvalid, kStatusFailed,
                      "the snapshot to start from: " + decoded.status().ToString());
      }
      snap = std::move(decoded).value();
    } else if (!info.resumed_from.empty()) {
      Result<std::vector<u8>> bytes = registry_->GetSnapshot(info.resumed_from);
      Result<snapshot::Snapshot> decoded =
          bytes.ok() ? snapshot::Decode(*bytes) : Result<snapshot::Snapshot>(bytes.status());
      if (!decoded.ok()) {
        return Refuse(StartError::kIo, kStatusIoError,
                      "the run was resumed from snapshot " + info.resumed_from + ": " +
                          decoded.status().ToString());
      }
      snap = std::move(decoded).value();
    }
    Execute(*module, snap ? &*snap : nullptr);
  }

  void Execute(const Module& module, const snapshot::Snapshot* snap) {
    const tm::RunInfo& info = log_->info();
    RunSpec run_spec = SpecFromRecording(info, spec_.module_file);
    tm::ReplayOptions options;
    options.until = spec_.until;
    if (spec_.output) {
      options.output = [this](u8 stream, std::span<const u8> bytes) {
        spec_.output(stream, bytes);
      };
    } else {
      options.output = tm::WriteToFds(STDOUT_FILENO, STDERR_FILENO);
    }
    u64 total = row_.host_calls;
    if (spec_.progress) {
      options.progress = [this, total](u64 index) { spec_.progress(index, total); };
    }
    tm::Replayer replayer(*log_, options);
    // Nothing is granted: every WASI call is answered by the replayer.
    WasiOptions wasi_options;
    wasi_options.interceptor = &replayer;
    Result<std::unique_ptr<Wasi>> wasi = Wasi::Create(GuestConfig(run_spec), wasi_options);
    if (!wasi.ok()) {
      return Refuse(StartError::kInternal, kStatusInternal,
                    "internal error: " + wasi.status().ToString());
    }

    GuestRun run(run_spec, out_.run, messages_);
    // --timeout is not deterministic, nor is a hibernation request, but where
    // they stopped the guest is: the fuel consumed by then. (From the
    // registry's row: the log's end is read only once replay reaches it.)
    if (row_.status == tm::RunEndKindName(tm::RunEnd::Kind::kInterrupted)) {
      run.StopAtFuel(row_.fuel_consumed, RunOutcome::kTimedOut);
    }
    if (row_.status == tm::RunEndKindName(tm::RunEnd::Kind::kSuspended)) {
      // Another module spends other fuel: only its own request can match.
      if (spec_.module_file.empty()) run.StopAtFuel(row_.fuel_consumed, RunOutcome::kSuspended);
      // Snapshots were on in the recorded run: the guest's own request
      // suspends it here too. Nothing is written; the status is the one the
      // recorded run ended with.
      int status = row_.exit_status.value_or(kStatusSuspended);
      run.set_suspend_handler([this, &run, status] {
        if (spec_.keep_suspended_state) {
          Result<std::vector<u8>> state = run.store().SaveState();
          if (state.ok()) out_.suspended_state = std::move(state).value();
          out_.suspended_fuel = run.store().fuel_consumed();
        }
        messages_.Say("suspended after " + std::to_string(run.store().fuel_consumed()) +
                      " units of fuel, where the recorded run was suspended");
        return status;
      });
    }
    bool stopped = false;
    run.set_trap_handler([&](const Trap& trap) -> std::optional<int> {
      std::optional<int> code = OnTrap(trap, replayer);
      if (code) stopped = true;
      return code;
    });
    int code = snap ? run.Resume(**wasi, module, *snap) : run.Run(**wasi, module);
    out_.run.host_calls = replayer.calls();
    if (stopped) return;
    Compare(replayer, run, code);
  }

  std::optional<int> OnTrap(const Trap& trap, tm::Replayer& replayer) {
    if (replayer.stopped_at_until()) {
      out_.backtrace = Backtrace(trap);
      messages_.Say("stopped after host call " + std::to_string(spec_.until.value_or(0)) +
                    " (--until)" + out_.backtrace);
      Verdict(ReplayVerdict::kStopped, kStatusOk);
      return kStatusOk;
    }
    const tm::RunInfo& info = log_->info();
    if (const std::optional<tm::Divergence>& d = replayer.divergence()) {
      const std::optional<tm::RunEnd>& end = log_->end();
      if (d->expected.empty() && end && end->kind == tm::RunEnd::Kind::kInterruptedInHostCall &&
          d->index == end->host_calls) {
        // The recorded run was blocked in this call when --timeout ended it.
        messages_.Say("time limit (--timeout " + info.timeout +
                      ") reached while the guest waited in host call " + std::to_string(d->index) +
                      ": " + d->actual + Backtrace(trap));
        Verdict(ReplayVerdict::kMatched, end->exit_status);
        return end->exit_status;
      }
      if (d->expected.empty() && end && !end->recording_stopped.empty()) {
        // The recorded run went on past its log's size limit (or a full
        // disk): everything recorded was reproduced, the rest was never kept.
        messages_.Say("the recording stopped after " + std::to_string(replayer.calls()) +
                      " host calls while the run went on (" + end->recording_stopped +
                      "): everything recorded was reproduced\n  next call: " + d->actual +
                      Backtrace(trap));
        Verdict(ReplayVerdict::kIncomplete, kStatusIncomplete);
        return kStatusIncomplete;
      }
      if (d->expected.empty() && log_->damaged()) {
        messages_.Say("the recording is damaged after " + std::to_string(replayer.calls()) +
                      " host calls (everything before was reproduced): " +
                      log_->truncation_reason() + "\n  next call: " + d->actual + Backtrace(trap));
        Verdict(ReplayVerdict::kDamaged, kStatusDamaged);
        return kStatusDamaged;
      }
      if (d->expected.empty() && !log_->end()) {
        messages_.Say("the recording ends after " + std::to_string(replayer.calls()) +
                      " host calls: the recorded run did not finish (killed?)" +
                      (log_->truncated() ? ": " + log_->truncation_reason() : std::string()) +
                      "\n  next call: " + d->actual + Backtrace(trap));
        Verdict(ReplayVerdict::kIncomplete, kStatusIncomplete);
        return kStatusIncomplete;
      }
      Diverged(*d, Backtrace(trap));
      return kStatusDiverged;
    }
    if (!replayer.log_error().ok()) {
      messages_.Say("the log cannot be read: " + replayer.log_error().ToString());
      Verdict(ReplayVerdict::kDamaged, kStatusDamaged);
      return kStatusDamaged;
    }
    return std::nullopt;
  }

  void Compare(tm::Replayer& replayer, const GuestRun& run, int code) {
    if (std::optional<tm::Divergence> left = replayer.CheckNoCallsLeft()) {
      return Diverged(*left, std::string());
    }
    const std::optional<tm::RunEnd>& end = log_->end();
    if (!end && log_->damaged()) {
      messages_.Say("the recording is damaged: " + log_->truncation_reason() +
                    "; the replayed run ended with status " + std::to_string(code));
      return Verdict(ReplayVerdict::kDamaged, kStatusDamaged);
    }
    if (!end) {
      messages_.Say("the recording has no end (the recorded run was killed?)" +
                    (log_->truncated() ? ": " + log_->truncation_reason() : std::string()) +
                    "; the replayed run ended with status " + std::to_string(code));
      return Verdict(ReplayVerdict::kIncomplete, kStatusIncomplete);
    }
    std::string digest = run.store().StateDigest();
    out_.state_digest = digest;
    out_.recorded_digest = end->state_digest;
    if (std::optional<InstanceId> instance = run.instance()) {
      std::optional<Extern> memory = run.store().GetExport(*instance, "memory");
      if (memory && memory->kind == ExternKind::kMemory) {
        out_.memory_bytes = u64{run.store().MemoryPages(*memory)} * 65536;
      }
    }
    std::vector<std::string> differences;
    RunOutcome recorded = OutcomeOf(end->kind);
    if (recorded != out_.run.outcome) {
      differences.push_back(std::string("outcome: recorded ") + RunOutcomeName(recorded) +
                            ", replayed " + RunOutcomeName(out_.run.outcome));
    }
    if (end->exit_status != code) {
      differences.push_back("exit status: recorded " + std::to_string(end->exit_status) +
                            ", replayed " + std::to_string(code));
    }
    if (end->results != out_.run.results) differences.push_back("results of --invoke differ");
    bool other_module = !spec_.module_file.empty();
    if (end->state_digest != digest && !other_module) {
      differences.push_back("final state digest: recorded " + end->state_digest + ", replayed " +
                            digest);
    }
    if (!differences.empty()) {
      std::string text = "the replayed run ended differently from the recording:";
      for (const std::string& d : differences) text += "\n  " + d;
      messages_.Say(text);
      return Verdict(ReplayVerdict::kDiverged, kStatusDiverged);
    }
    if (other_module) {
      // Another module may lay out its memory differently: what must match
      // is what it did to the world and how it ended.
      messages_.Say("same behaviour: " + spec_.module_file + " makes the " +
                    std::to_string(replayer.calls()) +
                    " recorded host calls with the same arguments and guest bytes, and ends the "
                    "same way (" + RunOutcomeName(out_.run.outcome) + ", status " +
                    std::to_string(code) + "); final state " +
                    (end->state_digest == digest ? "identical" : "differs (" + digest + ")"));
    }
    Verdict(ReplayVerdict::kMatched, code);
  }

  // A divergence at a host call; with another module, the recorded
  // module's stack at that call comes from a second replay stopped there.
  void Diverged(const tm::Divergence& d, std::string replayed_backtrace) {
    ReplayDivergence out;
    out.index = d.index;
    out.reason = d.reason;
    out.recorded_call = d.expected;
    out.replayed_call = d.actual;
    out.replayed_backtrace = std::move(replayed_backtrace);
    if (!spec_.module_file.empty() && !d.expected.empty()) {
      ReplaySpec old;
      old.id = row_.id;
      old.home = spec_.home;
      old.until = d.index;
      old.output = [](int, std::span<const u8>) {};
      ReplayResult recorded = Replay(old, SessionIo{});
      if (recorded.verdict == ReplayVerdict::kStopped) out.recorded_backtrace = recorded.backtrace;
    }
    messages_.Say(Divergence(out));
    out_.divergence = std::move(out);
    Verdict(ReplayVerdict::kDiverged, kStatusDiverged);
  }

  const ReplaySpec& spec_;
  ReplayResult out_;
  Messages messages_;
  std::unique_ptr<registry::Registry> registry_;
  registry::RunRow row_;
  std::unique_ptr<tm::LogReader> log_;
};

}  // namespace

ReplayResult Replay(const ReplaySpec& spec, const SessionIo& io) {
  return ReplaySession(spec, io).Go();
}

}  // namespace deja::session
