#include "durable/worker.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "deja/session.h"
#include "deja/store.h"
#include "durable/api_segment.h"
#include "durable/clock.h"
#include "durable/instance_store.h"
#include "durable/park.h"
#include "durable/spec_codec.h"

namespace deja::durable {
namespace {

using namespace std::chrono_literals;

constexpr auto kIdlePoll = 200ms;     // how often an idle thread looks for new pending work
constexpr auto kMonitorTick = 50ms;   // drain, cancel and checkpoint checks

// Unix nanoseconds as UTC, to the millisecond, for the worker's log.
std::string UtcText(int64_t ns) {
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm t {};
  gmtime_r(&secs, &t);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>((ns / 1'000'000) % 1000));
  return buf;
}

std::string WorkerName() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

// A segment the monitor may ask to stop.
struct Running {
  Store* store = nullptr;
  std::chrono::steady_clock::time_point since;
  bool cancel = false;      // the monitor saw a cancel request
  bool asked = false;       // a suspension was requested
};

class Worker {
 public:
  Worker(const WorkerOptions& options, const std::atomic<bool>& stop)
      : opt_(options), stop_(stop), name_(WorkerName()), warp_(WarpClockEnabled()) {}

  Status Run() {
    // Opening once here reports a bad home before any thread starts.
    DEJA_ASSIGN_OR_RETURN(std::unique_ptr<InstanceStore> probe, OpenSqliteStore(opt_.home));
    probe.reset();
    Say("worker " + name_ + ": " + std::to_string(opt_.threads) + " threads on " + opt_.home);
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < std::max(1u, opt_.threads); ++i) {
      threads.emplace_back([this, i] { ThreadMain(i); });
    }
    std::thread monitor([this] { Monitor(); });
    for (std::thread& t : threads) t.join();
    done_ = true;
    wake_.notify_all();
    monitor.join();
    Say(stop_ ? "worker " + name_ + ": drained, stopped" : "worker " + name_ + ": idle, stopped");
    return Status();
  }

 private:
  bool Stopping() const { return stop_ || idle_; }

  void Say(const std::string& line) {
    if (!opt_.log) return;
    std::lock_guard<std::mutex> lock(log_mu_);
    opt_.log(line);
  }

  void Nap(std::chrono::nanoseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, d, [this] { return Stopping() || done_; });
  }

  void ThreadMain(unsigned index) {
    Result<std::unique_ptr<InstanceStore>> opened = OpenSqliteStore(opt_.home);
    if (!opened.ok()) {
      Say("thread " + std::to_string(index) + ": " + opened.status().ToString());
      return;
    }
    InstanceStore& store = **opened;
    while (!Stopping()) {
      int64_t offset = 0;
      if (warp_) {
        Result<int64_t> o = store.ClockOffset();
        if (o.ok()) offset = *o;
      }
      int64_t now = RealWallNs() + offset;
      ++claiming_;
      Result<std::optional<Claim>> claim = store.ClaimNext(now, name_);
      if (!claim.ok()) {
        --claiming_;
        Say("cannot claim an instance: " + claim.status().ToString());
        Nap(kIdlePoll);
        continue;
      }
      if (*claim) {
        ++running_count_;
        --claiming_;
        RunSegment(store, **claim, offset);
        --running_count_;
        continue;
      }
      --claiming_;
      Idle(store, now, offset);
    }
  }

  void Idle(InstanceStore& store, int64_t now, int64_t offset) {
    Result<std::optional<int64_t>> next = store.NextWake();
    bool nobody_busy = running_count_ == 0 && claiming_ == 0;
    if (warp_ && next.ok() && *next && **next > now && nobody_busy) {
      // Test clock: nothing to do until the next wake, so time jumps there.
      int64_t target = **next - RealWallNs();
      if (target > offset) (void)store.SetClockOffset(target);
      return;
    }
    if (opt_.until_idle && nobody_busy && IsIdle(store)) {
      idle_ = true;
      wake_.notify_all();
      return;
    }
    std::chrono::nanoseconds nap = kIdlePoll;
    if (next.ok() && *next) {
      nap = std::min<std::chrono::nanoseconds>(nap, std::chrono::nanoseconds(
                                                        std::max<int64_t>(**next - now, 0)));
    }
    Nap(nap);
  }

  bool IsIdle(InstanceStore& store) {
    Result<std::vector<Instance>> all = store.List();
    if (!all.ok()) return false;
    for (const Instance& i : *all) {
      if (i.state == State::kPending || i.state == State::kRunning ||
          i.state == State::kSleeping) {
        return false;
      }
    }
    return true;
  }

  void Monitor() {
    Result<std::unique_ptr<InstanceStore>> opened = OpenSqliteStore(opt_.home);
    int tick = 0;
    while (!done_) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait_for(lock, kMonitorTick, [this] { return done_.load(); });
      }
      bool check_cancel = opened.ok() && (++tick % 5) == 0;
      std::vector<std::string> ids;
      {
        std::lock_guard<std::mutex> lock(running_mu_);
        for (auto& [id, r] : running_) ids.push_back(id);
      }
      std::map<std::string, bool> cancelled;
      if (check_cancel) {
        for (const std::string& id : ids) {
          Result<bool> c = (*opened)->CancelRequested(id);
          cancelled[id] = c.ok() && *c;
        }
      }
      auto now = std::chrono::steady_clock::now();
      std::lock_guard<std::mutex> lock(running_mu_);
      for (auto& [id, r] : running_) {
        if (cancelled[id]) r.cancel = true;
        bool checkpoint = opt_.checkpoint_every && now - r.since >= *opt_.checkpoint_every;
        if (r.store != nullptr && !r.asked && (Stopping() || r.cancel || checkpoint)) {
          r.store->RequestSuspend();
          r.asked = true;
        }
      }
    }
  }

  void RunSegment(InstanceStore& store, Claim& claim, int64_t offset) {
    Instance& inst = claim.instance;
    const std::string& id = inst.id;
    uint32_t index = static_cast<uint32_t>(inst.segments.size());
    std::string killed_run;
    // Its worker died while it ran (or between its park's snapshot and
    // Park). A last segment already marked killed is continued too: the
    // recovery that marked it died before its own segment was noted (it was
    // re-executed from its snapshot instead, repeating a file append: found
    // by scripts/durable-chaos under ASan's slower timing).
    if (!inst.segments.empty() &&
        (inst.segments.back().end.empty() || inst.segments.back().end == "killed")) {
      Segment killed = inst.segments.back();
      // Started from the same snapshot this segment starts from: its log is
      // this segment's prefix and its output is made again. Otherwise its
      // park's snapshot stood: nothing of it is redone, so its output stays
      // in `deja logs` (it was left out: found by scripts/durable-chaos).
      bool stood = killed.snapshot != inst.snapshot;
      if (killed.end.empty()) {
        killed.end = stood ? "parked (killed)" : "killed";
        (void)store.NoteSegmentStart(claim, killed);
      }
      if (!stood) killed_run = killed.run_id;
    }
    if (claim.recovered) {
      Say("instance " + id + ": its worker died; resuming from " +
          (inst.snapshot.empty() ? "the module" : "its last snapshot"));
    }
    Result<session::RunSpec> start = DecodeSpec(inst.spec_json);
    if (!start.ok()) {
      return End(store, claim, Segment{index, "", inst.snapshot, "not started"}, 0,
                 State::kFailed, session::kStatusFailed, start.status().ToString());
    }
    session::RunSpec spec = SegmentSpec(*start, inst.module, inst.snapshot);
    std::string dir = opt_.home + "/durable/snapshots/" + id;
    ::mkdir((opt_.home + "/durable/snapshots").c_str(), 0700);
    ::mkdir(dir.c_str(), 0700);
    spec.home = opt_.home;
    spec.record = true;
    spec.snapshot_to = dir + "/" + std::to_string(index) + ".snap";
    std::shared_ptr<wasi::System> system =
        MakeDurableSystem(wasi::MakePosixSystem(), offset, inst.monotonic_floor_ns);
    spec.system = system;
    // The guest's output is in its recording (`deja logs ID`); it reads EOF.
    // One descriptor per stream: a snapshot tells stdio apart by host
    // descriptor, and with one shared fd a resumed guest's stdout came back
    // as its stdin (writes failed with ENOTCAPABLE).
    int null_fd[3];
    for (int& fd : null_fd) fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    spec.stdin_fd = null_fd[0];
    spec.stdout_fd = null_fd[1];
    spec.stderr_fd = null_fd[2];

    InstanceContext ctx;
    ctx.instance_id = id;
    ctx.segment = index;
    ctx.store = &store;
    // Module "deja": signals, children, messages (api_segment.h).
    Result<std::unique_ptr<ApiSegment>> api =
        ApiSegment::Open(opt_.home, &store, inst, spec.snapshot_to, &ctx.park);
    if (!api.ok()) Say("instance " + id + ": no guest API: " + api.status().ToString());
    if (api.ok()) spec.durable = (*api)->host();
    uint64_t floor = 0;
    const uint64_t threshold = static_cast<uint64_t>(opt_.sleep_threshold.count());
    spec.park_sleep = [&](uint64_t wait_ns) {
      if (wait_ns < threshold) return false;
      WaitCondition wait;
      wait.until_ns = static_cast<int64_t>(ReadClock(*system, 0) + wait_ns);
      // Recorded before the snapshot is written: a crash after it is
      // complete still parks (crash matrix). If the store cannot take it,
      // the guest just sleeps here. The request cursor goes first, under the
      // snapshot's name: a park that stands after a crash resumes with it
      // (without it the guest's next requests reused keys from 0, and took
      // old signals and children again: found by scripts/durable-chaos).
      if (api.ok() && !(*api)->Suspended().ok()) return false;
      // Crash tests only (api_worker_test.cc): SIGKILL while the segment
      // runs, its earlier calls in the log (past the 20 ms flush), once the
      // guest has made a request.
      if (const char* at = ::getenv("DEJA_TEST_KILL_AT");
          at != nullptr && std::strcmp(at, "sleep-requested") == 0 && api.ok() &&
          (*api)->api().next_request() > 0) {
        ::usleep(100000);
        ::raise(SIGKILL);
      }
      if (!store.PreparePark(claim, wait, spec.snapshot_to).ok()) return false;
      floor = ReadClock(*system, 1) + wait_ns;
      ctx.park.Request(wait);
      return true;
    };
    // A wait of the guest API (signal, children, message) is recorded
    // before its snapshot is written, as a durable sleep's is: a kill after
    // the snapshot is complete then resumes from it, with its request
    // cursor, instead of re-executing the segment (whose log cannot be
    // continued: it ended). It is recorded as pending, not waiting: no
    // AfterPark re-check follows a recovery, so the resumed guest asks again
    // (a spurious wake-up) rather than risk a lost one. Found by
    // scripts/durable-chaos (a file append made twice).
    ctx.park.on_request = [&](const WaitCondition& wait) {
      if (wait.signal.empty() && wait.children.empty()) return;  // a sleep: park_sleep did it
      if (api.ok() && (*api)->Suspended().ok()) {
        (void)store.PreparePark(claim, WaitCondition{}, spec.snapshot_to);
      }
    };
    spec.on_store = [&](Store* s) {
      std::lock_guard<std::mutex> lock(running_mu_);
      if (s != nullptr) {
        running_[id] = Running{s, std::chrono::steady_clock::now()};
      } else {
        running_[id].store = nullptr;
      }
    };
    Segment seg{index, "", inst.snapshot, ""};
    session::SessionIo io;
    io.on_message = [&](std::string_view m) {
      constexpr std::string_view kRecording = "recording ";
      if (m.substr(0, kRecording.size()) == kRecording && seg.run_id.empty()) {
        seg.run_id = std::string(m.substr(kRecording.size()));
        (void)store.NoteSegmentStart(claim, seg);
      }
    };
    // Recovery replays what the killed segment recorded, then goes live: the
    // host calls it made are answered from its log, not made again.
    spec.continue_from = killed_run;
    // The continued log's requests are answered from it: the live calls
    // after them take the numbers that follow (they reused them, and took
    // a message twice: found by scripts/durable-chaos).
    const u64 first_request = api.ok() ? (*api)->api().next_request() : 0;
    if (!killed_run.empty() && api.ok()) {
      Result<u64> used = ApiSegment::RequestsIn(opt_.home, killed_run);
      if (used.ok()) (*api)->api().set_next_request(first_request + *used);
    }
    session::RunResult r = session::Run(spec, io);
    if (r.outcome == session::RunOutcome::kNotStarted && !killed_run.empty()) {
      if (api.ok()) (*api)->api().set_next_request(first_request);
      Say("instance " + id + ": cannot continue the killed run " + killed_run + " (" +
          (r.messages.empty() ? std::string("refused") : r.messages.back()) +
          "); re-executing from " + (inst.snapshot.empty() ? "the module" : "the snapshot"));
      spec.continue_from.clear();
      seg.run_id.clear();
      r = session::Run(spec, io);
    } else if (!killed_run.empty()) {
      Say("instance " + id + ": continued the killed run " + killed_run + " from its log");
    }
    for (int fd : null_fd) {
      if (fd >= 0) ::close(fd);
    }
    bool cancel = false;
    {
      std::lock_guard<std::mutex> lock(running_mu_);
      cancel = running_[id].cancel;
      running_.erase(id);
    }
    if (!cancel) {
      Result<bool> c = store.CancelRequested(id);
      cancel = c.ok() && *c;
    }
    seg.run_id = r.run_id;
    seg.fuel = r.fuel_consumed;
    seg.host_calls = r.host_calls;
    floor = std::max(floor, ReadClock(*system, 1));
    if (r.outcome == session::RunOutcome::kSuspended && r.snapshot_path && !cancel) {
      std::optional<WaitCondition> wait = ctx.park.Take();
      seg.end = wait ? "parked" : (stop_ ? "drained" : "checkpoint");
      // Crash tests only (api_worker_test.cc): SIGKILL with a park's
      // snapshot complete, before the park commits, once the guest has made
      // a request (so that its cursor matters): a durable sleep's park
      // (sleep-snapshotted) or a guest API wait's (wait-snapshotted).
      if (const char* at = ::getenv("DEJA_TEST_KILL_AT");
          at != nullptr && wait && api.ok() && (*api)->api().next_request() > 0 &&
          std::strcmp(at, wait->until_ns ? "sleep-snapshotted" : "wait-snapshotted") == 0) {
        ::raise(SIGKILL);
      }
      if (api.ok()) {
        if (Status s = (*api)->Suspended(); !s.ok()) {
          Say("instance " + id + ": cannot save its request cursor: " + s.ToString());
          return;
        }
      }
      SegmentEnd end{seg, *r.snapshot_path, floor};
      WaitCondition w = wait.value_or(WaitCondition{});
      if (Status s = store.Park(claim, end, w); !s.ok()) {
        Say("instance " + id + ": cannot park: " + s.ToString());
        return;
      }
      if (!inst.snapshot.empty() && inst.snapshot != *r.snapshot_path) {
        ::unlink(inst.snapshot.c_str());
      }
      if (api.ok()) (void)(*api)->AfterPark();  // a signal that came meanwhile wakes it
      Say("instance " + id + " segment " + std::to_string(index) + ": " + seg.end +
          (w.until_ns ? " until " + UtcText(*w.until_ns) : ""));
      return;
    }
    if (cancel) {
      if (r.snapshot_path) ::unlink(r.snapshot_path->c_str());
      return End(store, claim, seg, floor, State::kCancelled, kCancelledStatus, "cancelled");
    }
    seg.end = session::RunOutcomeName(r.outcome);
    bool ok = (r.outcome == session::RunOutcome::kReturned ||
               r.outcome == session::RunOutcome::kExited) &&
              r.exit_status == 0;
    std::string error;
    if (!ok) {
      for (const std::string& m : r.messages) {
        if (m.rfind("recording ", 0) == 0) continue;
        error += (error.empty() ? "" : "\n") + m;
      }
    }
    End(store, claim, seg, floor, ok ? State::kDone : State::kFailed, r.exit_status, error);
  }

  void End(InstanceStore& store, Claim& claim, Segment seg, uint64_t floor, State state,
           int status, const std::string& error) {
    std::string old = claim.instance.snapshot;
    std::string id = claim.instance.id;
    SegmentEnd end{std::move(seg), "", floor};
    if (Status s = store.Finish(claim, end, state, status, error); !s.ok()) {
      Say("instance " + id + ": cannot record its end: " + s.ToString());
      return;
    }
    if (!old.empty()) ::unlink(old.c_str());
    (void)ApiSegment::WakeParent(&store, claim.instance);  // it may be awaiting this child
    Say("instance " + id + ": " + StateName(state) + " (exit status " + std::to_string(status) +
        ")");
  }

  const WorkerOptions& opt_;
  const std::atomic<bool>& stop_;
  std::string name_;
  bool warp_;
  std::atomic<bool> idle_{false};
  std::atomic<bool> done_{false};
  std::atomic<int> running_count_{0};
  std::atomic<int> claiming_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  std::mutex log_mu_;
  std::mutex running_mu_;
  std::map<std::string, Running> running_;
};

}  // namespace

Status RunWorker(const WorkerOptions& options, const std::atomic<bool>& stop) {
  if (options.home.empty()) return Status::InvalidArgument("worker: no home directory");
  Worker worker(options, stop);
  return worker.Run();
}

}  // namespace deja::durable
