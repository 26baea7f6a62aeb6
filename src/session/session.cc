// Run: one path for a module and a snapshot. Everything a spec can get
// wrong is checked before the recording starts (so a refused start leaves no
// row in the registry); from the recording's start on, every end is
// recorded, the same way for both sources.
#include "deja/session.h"

#include <chrono>
#include <memory>
#include <optional>

#include "registry/registry.h"
#include "session/continue_run.h"
#include "session/guest_run.h"
#include "session/recording.h"
#include "session/snapshot_io.h"
#include "session/spec.h"
#include "text/wat.h"
#include "timemachine/continuation.h"
#include "wasi/system.h"

namespace deja::session {

const char* RunOutcomeName(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kReturned: return "returned";
    case RunOutcome::kExited: return "exited";
    case RunOutcome::kTrapped: return "trapped";
    case RunOutcome::kOutOfFuel: return "out-of-fuel";
    case RunOutcome::kTimedOut: return "timed-out";
    case RunOutcome::kSuspended: return "suspended";
    case RunOutcome::kNotStarted: return "not-started";
  }
  return "unknown";
}

namespace {

// What a session loaded before it runs anything.
struct Loaded {
  RunSpec spec;                         // effective (for a snapshot: ResumeSpec)
  std::span<const u8> wasm;             // into wasm_bytes or spec.prepared
  std::vector<u8> wasm_bytes;
  std::optional<Module> module;
  std::vector<u8> snapshot_bytes;       // the snapshot file, for the registry
  std::optional<snapshot::Snapshot> snapshot;
};

// A start refused before the guest ran.
struct Refusal {
  StartError error;
  int status;
  std::string message;
};

Refusal Refuse(StartError error, std::string message) {
  int status = error == StartError::kUsage  ? kStatusUsage
               : error == StartError::kIo   ? kStatusIoError
               : error == StartError::kInternal ? kStatusInternal
                                                : kStatusFailed;
  return {error, status, std::move(message)};
}

std::string ExportedFunctions(const Module& module) {
  std::string names;
  for (const ExportDesc& e : module.exports()) {
    if (e.kind != ExternKind::kFunc) continue;
    names += (names.empty() ? "" : ", ") + ("\"" + e.name + "\"");
  }
  return names.empty() ? "none" : names;
}

bool ExportsFunc(const Module& module, const std::string& name) {
  for (const ExportDesc& e : module.exports()) {
    if (e.name == name && e.kind == ExternKind::kFunc) return true;
  }
  return false;
}

// The flags that go together, whatever the source.
std::optional<Refusal> CheckSpec(const RunSpec& spec) {
  if (spec.suspend_after_fuel && spec.snapshot_to.empty()) {
    return Refuse(StartError::kUsage, "--suspend-after-fuel needs --snapshot-to FILE");
  }
  if (spec.suspend_after_fuel && spec.fuel) {
    return Refuse(StartError::kUsage, "--suspend-after-fuel and --fuel exclude each other");
  }
  if (!spec.continue_from.empty() && !spec.record) {
    return Refuse(StartError::kUsage, "continuing a killed run records the continuation: it "
                                      "cannot be combined with --no-record");
  }
  if (spec.hibernate_on_sigusr1 && spec.snapshot_to.empty()) {
    return Refuse(StartError::kUsage, "hibernation needs a snapshot target (--snapshot-to FILE)");
  }
  if (!spec.snapshot_to.empty()) {
    if (Status s = CheckSnapshotTarget(spec.snapshot_to); !s.ok()) {
      return Refuse(StartError::kIo, std::string(s.message()));
    }
  }
  return std::nullopt;
}

// The module the snapshot was taken of: inside it, or in the registry.
Result<std::vector<u8>> SnapshotModule(const snapshot::Snapshot& snap, const std::string& home) {
  if (snap.module.empty()) {
    DEJA_ASSIGN_OR_RETURN(auto registry, registry::Registry::Open(home));
    return registry->GetModule(snap.meta.module_hash);
  }
  if (registry::Registry::ModuleHash(snap.module) != snap.meta.module_hash) {
    return Status::Corruption("the module inside the snapshot does not match its hash " +
                              snap.meta.module_hash);
  }
  return snap.module;
}

std::optional<Refusal> LoadModule(const RunSpec& spec, Loaded* out) {
  Result<std::vector<u8>> bytes = text::LoadModuleFile(spec.file);
  if (!bytes.ok()) {
    return Refuse(bytes.status().code() == Status::Code::kIoError ? StartError::kIo
                                                                  : StartError::kInvalid,
                  spec.file + ": " + bytes.status().ToString());
  }
  out->spec = spec;
  out->wasm_bytes = std::move(bytes).value();
  out->wasm = out->wasm_bytes;
  return std::nullopt;
}

bool SameFeatures(const Features& a, const Features& b) {
  for (int i = 0; i < kFeatureCount; ++i) {
    if (a.enabled(static_cast<Feature>(i)) != b.enabled(static_cast<Feature>(i))) return false;
  }
  return true;
}

// A module compiled before (RunSpec::prepared): shared, not copied.
std::optional<Refusal> UsePrepared(const RunSpec& spec, Loaded* out) {
  if (spec.source != Source::kModule) {
    return Refuse(StartError::kUsage, "a prepared module runs as a module (Source::kModule)");
  }
  if (!SameFeatures(spec.prepared->features, spec.features)) {
    return Refuse(StartError::kUsage, spec.file + ": the prepared module was compiled with "
                                                  "other WebAssembly features than this run asks for");
  }
  out->spec = spec;
  out->wasm = spec.prepared->wasm;
  out->module = spec.prepared->module;
  return std::nullopt;
}

std::optional<Refusal> LoadSnapshot(const RunSpec& spec, const std::string& home, Loaded* out) {
  Result<std::vector<u8>> bytes = snapshot::ReadFile(spec.file);
  if (!bytes.ok()) return Refuse(StartError::kIo, bytes.status().ToString());
  Result<snapshot::Snapshot> snap = snapshot::Decode(*bytes);
  if (!snap.ok()) {
    return Refuse(StartError::kInvalid, snap.status().WithContext(spec.file).ToString());
  }
  Result<RunSpec> resumed = ResumeSpec(spec, snap->meta);
  if (!resumed.ok()) return Refuse(StartError::kUsage, std::string(resumed.status().message()));
  Result<std::vector<u8>> wasm = SnapshotModule(*snap, home);
  if (!wasm.ok()) return Refuse(StartError::kInvalid, spec.file + ": " + wasm.status().ToString());
  out->spec = std::move(resumed).value();
  out->wasm_bytes = std::move(wasm).value();
  out->wasm = out->wasm_bytes;
  out->snapshot_bytes = std::move(bytes).value();
  out->snapshot = std::move(snap).value();
  return std::nullopt;
}

// What can be checked without running: the entry point exists, and WASI
// accepts the capabilities (directories open, descriptors fit).
std::optional<Refusal> CheckRunnable(const Loaded& loaded) {
  const RunSpec& spec = loaded.spec;
  const Module& module = *loaded.module;
  bool continues_call =
      loaded.snapshot && loaded.snapshot->meta.suspend_point != "none";
  if (!continues_call) {
    if (spec.invoke && !ExportsFunc(module, *spec.invoke)) {
      return Refuse(StartError::kUsage, spec.file + " exports no function \"" + *spec.invoke +
                                            "\" (exported functions: " +
                                            ExportedFunctions(module) + ")");
    }
    bool reactor = ExportsFunc(module, "_initialize");
    if (!spec.invoke && !ExportsFunc(module, "_start") && !loaded.snapshot) {
      return Refuse(StartError::kUsage,
                    spec.file + " exports no \"_start\" function" +
                        (reactor ? " (it is a reactor: it exports \"_initialize\")"
                                 : " and no \"_initialize\"") +
                        "; call one of its exports with --invoke NAME (exported functions: " +
                        ExportedFunctions(module) + ")");
    }
  }
  // A trial WASI: directories and the descriptor cap are checked by opening
  // them. Listening sockets are left to the real one (binding twice could
  // race another process for the port), so they do not count here.
  WasiConfig trial = GuestConfig(spec);
  uint32_t sockets = static_cast<uint32_t>(trial.listen.size());
  trial.listen.clear();
  trial.max_fds = trial.max_fds > sockets ? trial.max_fds - sockets : 0;
  WasiOptions trial_options;
  trial_options.system = wasi::MakePosixSystem();
  Result<std::unique_ptr<Wasi>> wasi = Wasi::Create(trial, trial_options);
  if (!wasi.ok()) {
    Status::Code code = wasi.status().code();
    bool usage = code == Status::Code::kInvalidArgument || code == Status::Code::kResourceExhausted;
    return Refuse(usage ? StartError::kUsage : StartError::kIo,
                  "cannot set up WASI: " + wasi.status().ToString());
  }
  return std::nullopt;
}

class Session {
 public:
  Session(const RunSpec& spec, const SessionIo& io)
      : requested_(spec), messages_(io, &result_.messages) {}

  RunResult Go() {
    auto start = std::chrono::steady_clock::now();
    Start();
    result_.duration = std::chrono::steady_clock::now() - start;
    return std::move(result_);
  }

 private:
  void Refused(const Refusal& r) {
    messages_.Say(r.message);
    result_.outcome = RunOutcome::kNotStarted;
    result_.error = r.error;
    result_.exit_status = r.status;
  }

  void Start() {
    home_ = requested_.home.empty() ? registry::Registry::DefaultHome() : requested_.home;
    bool from_snapshot = requested_.source == Source::kSnapshot ||
                         (requested_.source == Source::kAuto && IsSnapshotFile(requested_.file));
    std::optional<Refusal> refused = CheckSpec(requested_);
    if (!refused && requested_.prepared) {
      refused = UsePrepared(requested_, &loaded_);
    } else if (!refused) {
      refused = from_snapshot ? LoadSnapshot(requested_, home_, &loaded_)
                              : LoadModule(requested_, &loaded_);
    }
    if (!refused && !loaded_.module) {
      CompileOptions options;
      options.features = requested_.features;
      Result<Module> module = Module::Compile(loaded_.wasm, options);
      if (module.ok()) {
        loaded_.module = std::move(module).value();
      } else {
        std::string name = from_snapshot ? requested_.file : loaded_.spec.file;
        refused = Refuse(StartError::kInvalid, name + ": " + module.status().ToString());
      }
    }
    if (!refused) refused = CheckRunnable(loaded_);
    if (refused) return Refused(*refused);
    if (loaded_.spec.hibernate_on_sigusr1) BlockHibernateSignal();
    Execute();
  }

  void Execute() {
    const RunSpec& spec = loaded_.spec;
    std::shared_ptr<wasi::System> system = spec.system ? spec.system : wasi::MakePosixSystem();
    if (!spec.continue_from.empty()) {
      Result<Prefix> prefix = OpenPrefix(home_, spec, loaded_.wasm, loaded_.snapshot_bytes);
      if (!prefix.ok()) {
        Status::Code code = prefix.status().code();
        bool io = code == Status::Code::kNotFound || code == Status::Code::kIoError;
        return Refused(Refuse(io ? StartError::kIo : StartError::kUsage,
                              "cannot continue run " + spec.continue_from + ": " +
                                  std::string(prefix.status().message())));
      }
      prefix_ = std::move(prefix).value();
      loaded_.spec.continue_from = prefix_.id;  // the full id, into the new log's header
    }
    if (spec.record) {
      Result<std::unique_ptr<RunRecording>> started = RunRecording::Start(
          home_, spec, loaded_.wasm, loaded_.snapshot_bytes, prefix_.records);
      if (!started.ok()) {
        return Refused(Refuse(StartError::kIo, "cannot record this run in " + home_ + ": " +
                                                   started.status().ToString() +
                                                   " (set DEJA_HOME to a writable directory, "
                                                   "or run with --no-record)"));
      }
      recording_ = std::move(started).value();
      result_.run_id = recording_->id();
      // Before the guest starts, so that a killed run can be found too.
      messages_.Say("recording " + recording_->id());
      system = recording_->WrapSystem(std::move(system));
    }
    GuestRun run(spec, result_, messages_);
    WasiOptions wasi_options;
    wasi_options.system = system;
    if (recording_) wasi_options.interceptor = &recording_->recorder();
    if (!spec.snapshot_to.empty()) wasi_options.park_sleep = spec.park_sleep;
    if (!spec.snapshot_to.empty()) wasi_options.durable = spec.durable;
    if (prefix_.log) {
      continuation_ = std::make_unique<tm::Continuation>(*prefix_.log, recording_->recorder());
      wasi_options.interceptor = continuation_.get();
      messages_.Say("continuing run " + prefix_.id + ": its " + std::to_string(prefix_.records) +
                    " recorded host calls are replayed, then the run goes on live");
      run.set_trap_handler([this](const Trap& trap) { return ContinuationTrap(trap); });
    }
    Result<std::unique_ptr<Wasi>> wasi = Wasi::Create(GuestConfig(spec), wasi_options);
    if (!wasi.ok()) {
      // Checked before, so the host changed in between (or a socket).
      Status::Code code = wasi.status().code();
      bool usage = code == Status::Code::kInvalidArgument || code == Status::Code::kResourceExhausted;
      return FailStarted(run, Refuse(usage ? StartError::kUsage : StartError::kIo,
                                     "cannot set up WASI: " + wasi.status().ToString()));
    }
    if (loaded_.snapshot && !loaded_.snapshot->wasi_state.empty()) {
      // Descriptors reopen beneath the directories granted now, by guest path.
      if (Status s = (*wasi)->RestoreState(loaded_.snapshot->wasi_state); !s.ok()) {
        return FailStarted(run, Refuse(StartError::kInvalid,
                                       "cannot restore the guest's WASI state: " + s.ToString()));
      }
    }
    if (recording_ && spec.exit_process_at_deadline) recording_->EndAtDeadline(run, messages_);
    std::optional<HibernateOnSignal> hibernate;
    if (!spec.snapshot_to.empty()) {
      if (spec.hibernate_on_sigusr1) {
        hibernate.emplace(run.mutable_store(), result_.run_id, spec.snapshot_to, home_, messages_);
      }
      if (spec.suspend_after_fuel) run.SuspendAfterFuel(*spec.suspend_after_fuel);
      snapshot::Metadata meta =
          loaded_.snapshot ? loaded_.snapshot->meta : SnapshotMetadata(spec, loaded_.wasm);
      if (loaded_.snapshot && spec.invoke) {
        // A reactor's export, called now: a later resume continues it.
        meta.invoke = spec.invoke;
        meta.invoke_args = spec.invoke_args;
      }
      meta.run_id = result_.run_id;
      Wasi& guest_wasi = **wasi;
      run.set_suspend_handler([this, &run, &guest_wasi, meta] {
        return WriteSnapshot(run, guest_wasi, meta, loaded_.wasm, loaded_.spec.snapshot_to, home_,
                             result_, messages_);
      });
    }
    if (spec.on_store) spec.on_store(&run.mutable_store());
    if (loaded_.snapshot) {
      run.Resume(**wasi, *loaded_.module, *loaded_.snapshot);
    } else {
      run.Run(**wasi, *loaded_.module);
    }
    if (spec.on_store) spec.on_store(nullptr);
    hibernate.reset();
    if (spec.stdout_stream.kind == StdioKind::kBuffer) result_.stdout_output = (*wasi)->StdioOutput(1);
    if (spec.stderr_stream.kind == StdioKind::kBuffer) result_.stderr_output = (*wasi)->StdioOutput(2);
    if (recording_) recording_->Finish(result_, run.store().StateDigest(), messages_);
  }

  // A continuation that cannot go on: the killed run's log and this run
  // disagree, or a descriptor it had cannot be opened again.
  std::optional<int> ContinuationTrap(const Trap& trap) {
    const std::string& refusal = continuation_->refusal();
    if (!refusal.empty()) {
      messages_.Say("cannot continue run " + prefix_.id + " after " +
                    std::to_string(continuation_->replayed()) + " replayed host calls: " +
                    refusal);
      return kStatusIoError;
    }
    if (const std::optional<tm::Divergence>& d = continuation_->replayer().divergence()) {
      std::string text = trap.ToString();
      size_t nl = text.find('\n');
      messages_.Say("cannot continue run " + prefix_.id + ": the guest diverged from its log at host call " +
                    std::to_string(d->index) + ": " + d->reason + "\n  recorded: " +
                    (d->expected.empty() ? "(no call)" : d->expected) + "\n  replayed: " +
                    (d->actual.empty() ? "(no call)" : d->actual) +
                    (nl == std::string::npos ? std::string() : "\n" + text.substr(nl + 1)));
      return kStatusDiverged;
    }
    return std::nullopt;
  }

  // A start that failed once recorded: the log and the row say "failed".
  void FailStarted(GuestRun& run, const Refusal& r) {
    Refused(r);
    if (recording_) recording_->Finish(result_, run.store().StateDigest(), messages_);
  }

  const RunSpec& requested_;
  RunResult result_;
  Messages messages_;
  std::string home_;
  Loaded loaded_;
  std::unique_ptr<RunRecording> recording_;
  Prefix prefix_;  // a continuation's killed run (RunSpec::continue_from)
  std::unique_ptr<tm::Continuation> continuation_;
};

}  // namespace

RunResult Run(const RunSpec& spec, const SessionIo& io) { return Session(spec, io).Go(); }

Result<std::shared_ptr<const PreparedModule>> Prepare(const std::string& file,
                                                      const Features& features) {
  DEJA_ASSIGN_OR_RETURN(std::vector<u8> wasm, text::LoadModuleFile(file));
  CompileOptions options;
  options.features = features;
  Result<Module> module = Module::Compile(wasm, options);
  if (!module.ok()) return module.status().WithContext(file);
  return std::shared_ptr<const PreparedModule>(
      new PreparedModule{std::move(wasm), std::move(module).value(), features});
}

}  // namespace deja::session
