#include "session/snapshot_io.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "deja/session.h"

namespace deja::session {
namespace {

sigset_t Usr1() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

Status CheckSnapshotTarget(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("--snapshot-to: empty path");
  std::filesystem::path p(path);
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Status::IoError("--snapshot-to " + path + ": directory " + dir + ": " +
                           std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::IoError("--snapshot-to " + path + ": " + dir + " is not a directory");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Status::IoError("--snapshot-to " + path + ": directory " + dir + " is not writable: " +
                           std::strerror(errno));
  }
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::IoError("--snapshot-to " + path + " is a directory");
    if (::access(path.c_str(), W_OK) != 0) {
      return Status::IoError("--snapshot-to " + path + " is not writable: " + std::strerror(errno));
    }
  }
  return Status();
}

std::string RecoveryPath(const std::string& home, const std::string& name) {
  return home + "/snapshots/recovered/" + name + ".snap";
}

int WriteSnapshot(const GuestRun& run, const Wasi& wasi, snapshot::Metadata meta,
                  std::span<const u8> wasm, const std::string& path,
                  const std::string& recovery_home, RunResult& result, Messages& messages) {
  const Store& store = run.store();
  snapshot::Snapshot snap;
  snap.meta = std::move(meta);
  snap.meta.fuel_consumed = store.fuel_consumed();
  snap.meta.suspend_point = store.suspend_point() == SuspendPoint::kHostCall    ? "host-call"
                            : store.suspend_point() == SuspendPoint::kSafePoint ? "safe-point"
                                                                                : "none";
  snap.module.assign(wasm.begin(), wasm.end());
  Result<std::vector<u8>> state = store.SaveState();
  if (!state.ok()) {
    messages.Say("cannot save the guest's state: " + state.status().ToString());
    return kStatusInternal;
  }
  snap.engine_state = std::move(state).value();
  Result<std::vector<u8>> wasi_state = wasi.SaveState();
  if (!wasi_state.ok()) {
    messages.Say("cannot save the guest's WASI state: " + wasi_state.status().ToString());
    return kStatusInternal;
  }
  snap.wasi_state = std::move(wasi_state).value();
  Status written = snapshot::Write(path, snap);
  if (written.ok()) {
    result.snapshot_path = path;
    messages.Say("suspended after " + std::to_string(store.fuel_consumed()) +
                 " units of fuel; snapshot written to " + path + " (continue with: deja resume " +
                 path + ")");
    return kStatusSuspended;
  }
  messages.Say("cannot write the snapshot: " + written.ToString());
  if (recovery_home.empty()) return kStatusIoError;
  // The guest is suspended and its state is in memory: losing it now would
  // lose the run. Keep it in the registry's home, where the user can find it.
  std::string name = snap.meta.run_id;
  if (name.empty()) {
    name = "pid" + std::to_string(getpid()) + "-" +
           std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  }
  std::string recovered = RecoveryPath(recovery_home, name);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(recovered).parent_path(), ec);
  Status kept = ec ? Status::IoError(ec.message()) : snapshot::Write(recovered, snap);
  if (!kept.ok()) {
    messages.Say("cannot keep the snapshot in " + recovered + " either: " + kept.ToString() +
                 "; the guest's state is lost");
    return kStatusIoError;
  }
  result.snapshot_path = recovered;
  messages.Say("suspended after " + std::to_string(store.fuel_consumed()) +
               " units of fuel; the snapshot was kept in " + recovered +
               " instead (continue with: deja resume " + recovered + ")");
  return kStatusIoError;
}

bool IsSnapshotFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof snapshot::kMagic] = {};
  if (!in.read(magic, sizeof magic)) return false;
  return std::memcmp(magic, snapshot::kMagic, sizeof magic) == 0;
}

void BlockHibernateSignal() {
  sigset_t set = Usr1();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

HibernateOnSignal::HibernateOnSignal(Store& store, std::string run_id,
                                     const std::string& snapshot_to, const std::string& home,
                                     Messages& messages) {
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
  auto endpoint = registry::ControlEndpoint::Listen(home, handler);
  if (endpoint.ok()) {
    endpoint_ = std::move(endpoint).value();
  } else {
    messages.Say("warning: deja hibernate cannot reach this run (" +
                 endpoint.status().ToString() + "); SIGUSR1 still hibernates it");
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

}  // namespace deja::session
