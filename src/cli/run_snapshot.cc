#include "cli/run_snapshot.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/run_options.h"
#include "cli/run_record.h"
#include "deja/deja.h"
#include "deja/wasi.h"
#include "registry/registry.h"
#include "wasi/system.h"

namespace deja::cli {

snapshot::Metadata SnapshotMetadata(const RunPlan& plan, std::span<const u8> wasm) {
  snapshot::Metadata m;
  m.deja_version = DEJA_VERSION;
  m.module_hash = registry::Registry::ModuleHash(wasm);
  m.module_name = plan.module_file;
  m.args = plan.config.args;
  m.env = plan.config.env;
  m.max_memory_pages = plan.limits.max_memory_pages;
  m.max_fds = plan.config.max_fds;
  m.invoke = plan.invoke;
  m.invoke_args = plan.invoke_args;
  m.unknown_imports = static_cast<u8>(plan.unknown_imports);
  return m;
}

int WriteRunSnapshot(const RunSession& session, const Wasi& wasi, snapshot::Metadata meta,
                     std::span<const u8> wasm, const std::string& path, const char* prefix,
                     const CliStreams& io) {
  const Store& store = session.store();
  snapshot::Snapshot snap;
  snap.meta = std::move(meta);
  snap.meta.fuel_consumed = store.fuel_consumed();
  snap.meta.suspend_point = store.suspend_point() == SuspendPoint::kHostCall    ? "host-call"
                            : store.suspend_point() == SuspendPoint::kSafePoint ? "safe-point"
                                                                                : "none";
  snap.module.assign(wasm.begin(), wasm.end());
  Result<std::vector<u8>> state = store.SaveState();
  if (!state.ok()) {
    io.err << prefix << "cannot save the guest's state: " << state.status().ToString() << "\n";
    return kExitInternal;
  }
  snap.engine_state = std::move(state).value();
  Result<std::vector<u8>> wasi_state = wasi.SaveState();
  if (!wasi_state.ok()) {
    io.err << prefix << "cannot save the guest's WASI state: " << wasi_state.status().ToString()
           << "\n";
    return kExitInternal;
  }
  snap.wasi_state = std::move(wasi_state).value();
  if (Status s = snapshot::Write(path, snap); !s.ok()) {
    io.err << prefix << "cannot write the snapshot: " << s.ToString() << "\n";
    return kExitIoError;
  }
  io.err << prefix << "suspended after " << store.fuel_consumed()
         << " units of fuel; snapshot written to " << path << " (continue with: deja resume "
         << path << ")\n";
  return kExitSuspended;
}

namespace {

// The snapshot's own configuration plus the capabilities granted now.
Result<RunPlan> MakeResumePlan(const ResumeRequest& req, const snapshot::Metadata& meta) {
  RunPlan plan;
  plan.module_file = meta.module_name;
  plan.limits.max_memory_pages = meta.max_memory_pages;
  plan.invoke = meta.invoke;
  plan.invoke_args = meta.invoke_args;
  plan.fuel = req.fuel;
  if (req.fuel && req.suspend_after_fuel) {
    return Status::InvalidArgument("--suspend-after-fuel and --fuel exclude each other");
  }
  if (!req.timeout.empty()) {
    Result<std::chrono::nanoseconds> timeout = ParseDuration(req.timeout);
    if (!timeout.ok()) return timeout.status().WithContext("--timeout");
    plan.timeout = *timeout;
    plan.timeout_text = req.timeout;
  }
  if (req.invoke) {
    if (meta.suspend_point != "none") {
      return Status::InvalidArgument(
          "--invoke: the snapshot is suspended inside a call (" + meta.suspend_point +
          "), which is all it can continue; --invoke applies only to a pre-initialised "
          "snapshot (deja snapshot --init)");
    }
    plan.invoke = req.invoke;
    plan.invoke_args = req.invoke_args;
  }
  if (meta.unknown_imports > static_cast<u8>(UnknownImports::kDefaultValues)) {
    return Status::InvalidArgument("the snapshot names an unknown import mode");
  }
  plan.unknown_imports = static_cast<UnknownImports>(meta.unknown_imports);
  plan.config.args = meta.args;
  // --env adds to (or replaces in) the environment the guest had.
  EnvFlags flags;
  flags.settings = req.env;
  Result<std::vector<std::string>> extra = BuildGuestEnv(flags, {});
  if (!extra.ok()) return extra.status().WithContext("--env");
  plan.config.env = meta.env;
  for (const std::string& setting : *extra) {
    std::string name = setting.substr(0, setting.find('='));
    std::erase_if(plan.config.env, [&](const std::string& e) {
      return e.substr(0, e.find('=')) == name;
    });
    plan.config.env.push_back(setting);
  }
  for (bool ro : {false, true}) {
    for (const std::string& spec : ro ? req.dirs_ro : req.dirs) {
      Result<WasiPreopen> preopen = ParseDirSpec(spec, ro);
      if (!preopen.ok()) return preopen.status().WithContext(ro ? "--dir-ro" : "--dir");
      plan.config.preopens.push_back(*preopen);
    }
  }
  plan.config.listen = req.listen;
  plan.config.allow_connect = req.allow_connect;
  plan.config.max_fds = meta.max_fds;
  return plan;
}

// The module the snapshot was taken of: inside it, or in the registry.
Result<std::vector<u8>> SnapshotModule(const snapshot::Snapshot& snap) {
  if (snap.module.empty()) {
    DEJA_ASSIGN_OR_RETURN(auto registry,
                          registry::Registry::Open(registry::Registry::DefaultHome()));
    return registry->GetModule(snap.meta.module_hash);
  }
  if (registry::Registry::ModuleHash(snap.module) != snap.meta.module_hash) {
    return Status::Corruption("the module inside the snapshot does not match its hash " +
                              snap.meta.module_hash);
  }
  return snap.module;
}

sigset_t Usr1() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

bool IsSnapshotFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof snapshot::kMagic] = {};
  if (!in.read(magic, sizeof magic)) return false;
  return std::memcmp(magic, snapshot::kMagic, sizeof magic) == 0;
}

int ResumeSnapshot(const ResumeRequest& req, const char* prefix, const CliStreams& io) {
  Result<std::vector<u8>> bytes = snapshot::ReadFile(req.file);
  if (!bytes.ok()) {
    io.err << prefix << bytes.status().ToString() << "\n";
    return kExitIoError;
  }
  Result<snapshot::Snapshot> snap = snapshot::Decode(*bytes);
  if (!snap.ok()) {
    io.err << prefix << snap.status().WithContext(req.file).ToString() << "\n";
    return kExitFailed;
  }
  Result<RunPlan> plan = MakeResumePlan(req, snap->meta);
  if (!plan.ok()) {
    io.err << prefix << plan.status().message() << "\n";
    return kExitUsage;
  }
  bool snapshots = !req.snapshot_to.empty();
  if (snapshots) BlockHibernateSignal();
  Result<std::vector<u8>> wasm = SnapshotModule(*snap);
  if (!wasm.ok()) {
    io.err << prefix << req.file << ": " << wasm.status().ToString() << "\n";
    return kExitFailed;
  }
  Result<Module> module = Module::Compile(*wasm);
  if (!module.ok()) {
    io.err << prefix << req.file << ": " << module.status().ToString() << "\n";
    return kExitFailed;
  }
  std::unique_ptr<RunRecording> recording;
  std::shared_ptr<wasi::System> system = wasi::MakePosixSystem();
  if (!req.no_record) {
    std::string home = registry::Registry::DefaultHome();
    Result<std::unique_ptr<RunRecording>> started = RunRecording::Start(home, *plan, *wasm, *bytes);
    if (!started.ok()) {
      io.err << prefix << "cannot record this run in " << home << ": "
             << started.status().ToString()
             << " (set DEJA_HOME to a writable directory, or use --no-record)\n";
      return kExitIoError;
    }
    recording = std::move(started).value();
    io.err << prefix << "recording " << recording->id() << "\n";
    io.err.flush();
    system = recording->WrapSystem(std::move(system));
  }
  RunSession session(*plan, io, prefix);
  WasiOptions wasi_options;
  wasi_options.system = system;
  if (recording) wasi_options.interceptor = &recording->recorder();
  Result<std::unique_ptr<Wasi>> wasi = Wasi::Create(plan->config, wasi_options);
  if (!wasi.ok()) {
    io.err << prefix << "cannot set up WASI: " << wasi.status().ToString() << "\n";
    Status::Code code = wasi.status().code();
    bool usage = code == Status::Code::kInvalidArgument || code == Status::Code::kResourceExhausted;
    return usage ? kExitUsage : kExitIoError;
  }
  if (!snap->wasi_state.empty()) {
    // Descriptors reopen beneath the directories granted now, by guest path.
    if (Status s = (*wasi)->RestoreState(snap->wasi_state); !s.ok()) {
      io.err << prefix << "cannot restore the guest's WASI state: " << s.ToString() << "\n";
      return kExitFailed;
    }
  }
  if (recording) recording->EndAtDeadline(session, io);
  std::optional<HibernateOnSignal> hibernate;
  if (snapshots) {
    hibernate.emplace(session.mutable_store(), recording ? recording->id() : std::string(),
                      req.snapshot_to, prefix, io);
    if (req.suspend_after_fuel) session.SuspendAfterFuel(*req.suspend_after_fuel);
    snapshot::Metadata meta = snap->meta;
    if (recording) meta.run_id = recording->id();
    if (plan->invoke) {  // a reactor's export, called now: a later resume continues it
      meta.invoke = plan->invoke;
      meta.invoke_args = plan->invoke_args;
    }
    Wasi& guest_wasi = **wasi;
    session.set_suspend_handler([&session, &guest_wasi, &req, &io, &wasm, meta, prefix] {
      return WriteRunSnapshot(session, guest_wasi, meta, *wasm, req.snapshot_to, prefix, io);
    });
  }
  int code = session.Resume(**wasi, *module, *snap);
  hibernate.reset();
  if (recording) recording->Finish(session.end(), session.store().StateDigest(), io);
  return code;
}

void BlockHibernateSignal() {
  sigset_t set = Usr1();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

HibernateOnSignal::HibernateOnSignal(Store& store, std::string run_id,
                                     const std::string& snapshot_to, const char* prefix,
                                     const CliStreams& io) {
  BlockHibernateSignal();
  std::error_code ec;
  std::string where = std::filesystem::absolute(snapshot_to, ec).string();
  if (ec) where = snapshot_to;
  // "hibernate" or "hibernate RUN": the asker may name the run it means
  // (from the registry); a process recording another run refuses.
  auto handler = [&store, run_id = std::move(run_id), where](const std::string& request) {
    std::string named;
    if (request.rfind("hibernate", 0) != 0) return std::string("refused: unknown request");
    if (request.size() > 10) named = request.substr(10);
    if (!named.empty() && named != run_id) {
      return "refused: this process records run " + (run_id.empty() ? "(none)" : run_id) +
             ", not " + named;
    }
    store.RequestSuspend();
    return "ok " + where;
  };
  auto endpoint = registry::ControlEndpoint::Listen(registry::Registry::DefaultHome(), handler);
  if (endpoint.ok()) {
    endpoint_ = std::move(endpoint).value();
  } else {
    io.err << prefix << "warning: deja hibernate cannot reach this run ("
           << endpoint.status().ToString() << "); SIGUSR1 still hibernates it\n";
  }
  thread_ = std::thread([this, &store] {
    sigset_t wait = Usr1();
    while (true) {
      int sig = 0;
      if (sigwait(&wait, &sig) != 0) continue;
      if (stop_.load()) return;
      store.RequestSuspend();
    }
  });
}

HibernateOnSignal::~HibernateOnSignal() {
  endpoint_.reset();  // the askers' wait ends here
  stop_.store(true);
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

}  // namespace deja::cli
