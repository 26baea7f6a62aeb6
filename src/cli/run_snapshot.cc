#include "cli/run_snapshot.h"

#include <pthread.h>
#include <signal.h>

#include "cli/exit_codes.h"
#include "registry/registry.h"

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

sigset_t Usr1() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

void BlockHibernateSignal() {
  sigset_t set = Usr1();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

HibernateOnSignal::HibernateOnSignal(Store& store) {
  BlockHibernateSignal();
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
  stop_.store(true);
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

}  // namespace deja::cli
