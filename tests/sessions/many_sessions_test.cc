// 1,000 recorded guests in one process: 50 sessions alive at a time, run on
// a few threads, each with its own Store, Wasi (stdio in memory), Recorder,
// log, registry row and lease, and a deadline on the shared timer; then each
// is replayed with its output going to its own sink, and checked against
// what it printed and the state digest it ended with. Written against the
// layers below src/session, which will wrap exactly these steps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "deja/deadline.h"
#include "deja/deja.h"
#include "deja/wasi.h"
#include "registry/registry.h"
#include "text/wat.h"
#include "timemachine/log.h"
#include "timemachine/recorder.h"
#include "timemachine/replayer.h"
#include "wasi/ctx.h"
#include "wasi/system.h"

namespace deja {
namespace {

constexpr int kGuests = 1000;
constexpr int kAtATime = 50;
constexpr int kThreads = 4;

struct Program {
  std::string name;
  std::vector<u8> wasm;
  std::string hash;
  std::optional<Module> module;
};

// What one guest is given and what its recorded run produced.
struct Session {
  int index = 0;
  const Program* program = nullptr;
  WasiConfig config;
  std::string dir;  // its own preopen (tm_calls)
  std::string expected_out;
  // Filled by Record.
  std::string id;
  registry::RunLease lease;
  std::string out, err;
  std::string digest;
  Outcome outcome = Outcome::kTrapped;
  int exit_code = -1;
  u64 calls = 0;
  std::string failure;  // empty if all went well
};

class TempHome {
 public:
  TempHome() {
    char tmpl[] = "/tmp/deja-many-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempHome() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Instantiates and runs _start; a deadline on the shared timer bounds it.
Outcome Execute(const Module& module, Wasi& wasi, Store& store, int* exit_code) {
  Linker linker;
  wasi.Link(store, linker);
  Result<InstanceId> instance = linker.Instantiate(store, module);
  if (!instance.ok()) return Outcome::kTrapped;
  std::optional<Extern> start = store.GetExport(*instance, "_start");
  if (!start) return Outcome::kTrapped;
  ScopedDeadline deadline(store, std::chrono::seconds(60));
  std::vector<Value> results;
  Outcome outcome = store.Call(*start, {}, &results);
  if (outcome == Outcome::kExited) *exit_code = store.exit_code();
  if (outcome == Outcome::kReturned) *exit_code = 0;
  return outcome;
}

void Record(registry::Registry& reg, Session& s) {
  tm::RunInfo info;
  info.start_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  info.module_hash = s.program->hash;
  info.module_name = s.program->name + ".wasm";
  info.args = s.config.args;
  info.call_names = tm::WasiCallNames();
  // The row and its lease before the log: an id drawn twice is refused
  // there (a server draws again), never by overwriting the other's log.
  Result<registry::RunLease> lease = Status::Internal("no id");
  for (int attempt = 0; attempt < 3 && !lease.ok(); ++attempt) {
    info.id = s.id = reg.NewRunId();
    lease = reg.BeginRun(info, static_cast<int>(getpid()));
  }
  if (!lease.ok()) {
    s.failure = "BeginRun: " + lease.status().ToString();
    return;
  }
  s.lease = std::move(lease).value();
  auto writer = tm::LogWriter::Create(reg.LogPath(s.id), info);
  if (!writer.ok()) {
    s.failure = "log: " + writer.status().ToString();
    return;
  }
  tm::Recorder recorder(**writer);
  WasiOptions options;
  options.system = recorder.WrapSystem(wasi::MakePosixSystem());
  options.interceptor = &recorder;
  auto wasi = Wasi::Create(s.config, options);
  if (!wasi.ok()) {
    s.failure = "Wasi::Create: " + wasi.status().ToString();
    return;
  }
  Store store;
  s.outcome = Execute(*s.program->module, **wasi, store, &s.exit_code);
  s.out = (*wasi)->StdioOutput(1);
  s.err = (*wasi)->StdioOutput(2);
  s.digest = store.StateDigest();
  s.calls = recorder.calls();
  tm::RunEnd end;
  end.kind = s.outcome == Outcome::kExited ? tm::RunEnd::Kind::kExited : tm::RunEnd::Kind::kReturned;
  end.guest_exit_code = s.exit_code;
  end.exit_status = s.exit_code;
  end.host_calls = s.calls;
  end.fuel_consumed = store.fuel_consumed();
  end.state_digest = s.digest;
  if (Status st = (*writer)->Finish(end); !st.ok()) {
    s.failure = "log end: " + st.ToString();
    return;
  }
  if (Status st = reg.FinishRun(s.id, end, (*writer)->bytes_written()); !st.ok()) {
    s.failure = "FinishRun: " + st.ToString();
  }
}

// Replays the session's log; returns what went wrong, or empty.
std::string Replay(registry::Registry& reg, const Session& s) {
  auto reader = tm::LogReader::Open(reg.LogPath(s.id));
  if (!reader.ok()) return "open log: " + reader.status().ToString();
  std::string sunk[3];
  tm::ReplayOptions options;
  options.output = [&sunk](u8 stream, std::span<const u8> bytes) {
    if (stream == 1 || stream == 2) sunk[stream].append(bytes.begin(), bytes.end());
  };
  tm::Replayer replayer(**reader, options);
  WasiConfig none;  // nothing granted: the log answers every call
  none.args = s.config.args;
  none.stdin_fd = none.stdout_fd = none.stderr_fd = -1;
  WasiOptions wasi_options;
  wasi_options.interceptor = &replayer;
  auto wasi = Wasi::Create(none, wasi_options);
  if (!wasi.ok()) return "Wasi::Create: " + wasi.status().ToString();
  Store store;
  int exit_code = -1;
  Outcome outcome = Execute(*s.program->module, **wasi, store, &exit_code);
  if (replayer.divergence()) return "diverged: " + replayer.divergence()->reason;
  if (outcome != s.outcome || exit_code != s.exit_code) {
    return "outcome " + std::to_string(static_cast<int>(outcome)) + "/" +
           std::to_string(exit_code) + " differs from the recording";
  }
  if (auto left = replayer.CheckNoCallsLeft()) return "calls left: " + left->reason;
  if (replayer.calls() != s.calls) return "replayed " + std::to_string(replayer.calls()) + " calls";
  if (store.StateDigest() != s.digest) return "state digest differs";
  if (sunk[1] != s.out) return "stdout differs: \"" + sunk[1] + "\"";
  if (sunk[2] != s.err) return "stderr differs";
  return {};
}

TEST(ManySessions, AThousandRecordedGuestsReplayInOneProcess) {
  TempHome home;
  auto reg = registry::Registry::Open(home.path());
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();

  std::vector<Program> programs(3);
  const char* names[] = {"hello", "tm_calls", "stdio_echo"};
  for (int i = 0; i < 3; ++i) {
    Program& p = programs[i];
    p.name = names[i];
    auto bytes = text::LoadModuleFile(std::string(DEJA_GUEST_DIR) + "/" + p.name + ".wasm");
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    p.wasm = *bytes;
    auto hash = (*reg)->PutModule(p.wasm);
    ASSERT_TRUE(hash.ok()) << hash.status().ToString();
    p.hash = *hash;
    auto module = Module::Compile(p.wasm);
    ASSERT_TRUE(module.ok()) << module.status().ToString();
    p.module.emplace(std::move(module).value());
  }

  // Registry connections are per thread (one SQLite connection each).
  std::vector<std::unique_ptr<registry::Registry>> regs;
  for (int t = 0; t < kThreads; ++t) {
    auto r = registry::Registry::Open(home.path());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    regs.push_back(std::move(r).value());
  }

  auto t0 = std::chrono::steady_clock::now();
  int replayed = 0;
  std::vector<std::string> ids;
  for (int batch = 0; batch < kGuests / kAtATime; ++batch) {
    std::vector<Session> sessions(kAtATime);
    for (int k = 0; k < kAtATime; ++k) {
      Session& s = sessions[k];
      s.index = batch * kAtATime + k;
      s.program = &programs[s.index % 3];
      WasiConfig& c = s.config;
      c.stdin_stream.kind = StdioKind::kBuffer;
      c.stdout_stream.kind = StdioKind::kBuffer;
      c.stderr_stream.kind = StdioKind::kBuffer;
      std::string tag = "guest-" + std::to_string(s.index);
      switch (s.index % 3) {
        case 0:
          c.args = {"hello", tag};
          s.expected_out = "hello from deja " + tag + "\n";
          break;
        case 1:
          s.dir = home.path() + "/dirs/" + tag;
          std::filesystem::create_directories(s.dir);
          c.preopens.push_back({s.dir, "/data", false});
          c.args = {"tm_calls", "/data", std::to_string(5 + s.index % 20)};
          break;
        case 2:
          c.args = {"stdio_echo"};
          c.stdin_stream.input = tag;
          for (char ch : tag) s.expected_out += static_cast<char>(std::toupper(ch));
          break;
      }
    }
    // Record all 50 on the worker threads, then replay them the same way.
    for (int phase = 0; phase < 2; ++phase) {
      std::atomic<int> next{0};
      std::vector<std::string> errors(kAtATime);
      std::vector<std::thread> workers;
      for (int t = 0; t < kThreads; ++t) {
        workers.emplace_back([&, t] {
          for (int k; (k = next.fetch_add(1)) < kAtATime;) {
            if (phase == 0) {
              Record(*regs[t], sessions[k]);
            } else {
              errors[k] = Replay(*regs[t], sessions[k]);
            }
          }
        });
      }
      for (std::thread& w : workers) w.join();
      for (int k = 0; k < kAtATime; ++k) {
        const Session& s = sessions[k];
        SCOPED_TRACE("guest " + std::to_string(s.index) + " (" + s.program->name + ")");
        if (phase == 0) {
          ASSERT_EQ(s.failure, "");
          ASSERT_TRUE(s.outcome == Outcome::kReturned || s.outcome == Outcome::kExited);
          if (!s.expected_out.empty()) {
            EXPECT_EQ(s.out, s.expected_out);
          }
          if (s.program->name == "tm_calls") {
            EXPECT_NE(s.out, "");
          }
          EXPECT_GT(s.calls, 0u);
        } else {
          ASSERT_EQ(errors[k], "");
          ++replayed;
        }
      }
    }
    // While the sessions (and their leases) exist, their rows are not
    // "killed"; they have all finished, so none is "running" either.
    auto row = (*reg)->Get(sessions[0].id);
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(row->status, sessions[0].outcome == Outcome::kExited ? "exited" : "returned");
    for (Session& s : sessions) ids.push_back(s.id);
  }
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(replayed, kGuests);
  auto rows = (*reg)->List();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), size_t{kGuests});
  int running = 0, killed = 0;
  for (const registry::RunRow& row : *rows) {
    running += row.status == "running";
    killed += row.status == "killed";
  }
  EXPECT_EQ(running, 0);
  EXPECT_EQ(killed, 0);
  EXPECT_EQ(DeadlineTimer::Shared().pending(), 0u);
  std::cout << kGuests << " guests recorded and replayed in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
}

}  // namespace
}  // namespace deja
