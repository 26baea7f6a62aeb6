// Recorder and Replayer end to end, at the library level: real guests run
// under the Recorder into a log, then run again in a fresh store whose Wasi
// grants nothing (no preopens, no stdio) with the Replayer answering every
// call; the output, exit code and final state must be the recorded ones.
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "text/wat.h"
#include "timemachine/log.h"
#include "timemachine/recorder.h"
#include "timemachine/replayer.h"
#include "timemachine/test_util.h"
#include "wasi/ctx.h"
#include "wasi/system.h"

namespace deja::tm {
namespace {

using testing::TempDir;

struct GuestRun {
  Outcome outcome = Outcome::kReturned;
  int exit_code = 0;
  std::string out;
  std::string err;
  std::string trap;
  std::string digest;
  u64 calls = 0;
  u64 recorded_calls = 0;  // record only: calls the log holds
  std::optional<Divergence> divergence;  // replay only
  std::optional<Divergence> left;        // replay only: CheckNoCallsLeft
  bool stopped_at_until = false;
};

std::string GuestPath(const std::string& name) {
  return std::string(DEJA_GUEST_DIR) + "/" + name + ".wasm";
}

std::vector<u8> LoadGuest(const std::string& name) {
  auto bytes = text::LoadModuleFile(GuestPath(name));
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::vector<u8>{};
}

std::vector<u8> Wat(const std::string& wat) {
  auto bytes = text::WatToWasm(wat);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::vector<u8>{};
}

std::string ReadAll(FILE* f) {
  std::string s;
  rewind(f);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

// Instantiates `wasm` with `wasi`, runs _start and fills the outcome fields.
void Execute(std::span<const u8> wasm, Wasi& wasi, GuestRun* run) {
  auto module = Module::Compile(wasm);
  ASSERT_TRUE(module.ok()) << module.status().ToString();
  Store store;
  Linker linker;
  wasi.Link(store, linker);
  auto instance = linker.Instantiate(store, *module);
  ASSERT_TRUE(instance.ok()) << instance.status().ToString();
  auto start = store.GetExport(*instance, "_start");
  ASSERT_TRUE(start.has_value());
  std::vector<Value> results;
  run->outcome = store.Call(*start, {}, &results);
  if (run->outcome == Outcome::kExited) run->exit_code = store.exit_code();
  if (run->outcome == Outcome::kTrapped) run->trap = store.trap().ToString();
  run->digest = store.StateDigest();
}

RunInfo Info() {
  RunInfo info;
  info.call_names = WasiCallNames();
  return info;
}

// Runs `wasm` for real with `config` (stdio replaced by temp files, stdin
// given), recording into `log`.
GuestRun Record(std::span<const u8> wasm, WasiConfig config, const std::string& log,
                const std::string& stdin_text = "",
                u64 max_log_bytes = LogWriter::kDefaultMaxBytes) {
  GuestRun run;
  FILE* out = tmpfile();
  FILE* err = tmpfile();
  FILE* in = tmpfile();
  fputs(stdin_text.c_str(), in);
  rewind(in);
  config.stdin_fd = fileno(in);
  config.stdout_fd = fileno(out);
  config.stderr_fd = fileno(err);
  if (config.args.empty()) config.args.push_back("guest");
  {
    auto writer = LogWriter::Create(log, Info(), {.max_bytes = max_log_bytes});
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    Recorder recorder(**writer);
    WasiOptions wasi_options;
    wasi_options.system = recorder.WrapSystem(wasi::MakePosixSystem());
    wasi_options.interceptor = &recorder;
    auto wasi = Wasi::Create(config, wasi_options);
    EXPECT_TRUE(wasi.ok()) << wasi.status().ToString();
    Execute(wasm, **wasi, &run);
    run.calls = recorder.calls();
    RunEnd end;
    end.kind = run.outcome == Outcome::kExited ? RunEnd::Kind::kExited : RunEnd::Kind::kReturned;
    end.guest_exit_code = run.exit_code;
    end.host_calls = run.calls;
    end.state_digest = run.digest;
    Status finished = (*writer)->Finish(end);
    // Past the limit Finish says the recording stopped; that is the test's.
    if (max_log_bytes == LogWriter::kDefaultMaxBytes) {
      EXPECT_TRUE(finished.ok()) << finished.ToString();
    }
    run.recorded_calls = end.recording_stopped.empty() ? run.calls : end.recorded_calls;
  }
  run.out = ReadAll(out);
  run.err = ReadAll(err);
  fclose(out);
  fclose(err);
  fclose(in);
  return run;
}

// Replays `log` with `wasm` in a Wasi that grants nothing.
GuestRun Replay(std::span<const u8> wasm, const std::string& log, ReplayOptions options = {}) {
  GuestRun run;
  FILE* out = tmpfile();
  FILE* err = tmpfile();
  options.output = WriteToFds(fileno(out), fileno(err));
  {
    auto reader = LogReader::Open(log);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return run;
    Replayer replayer(**reader, options);
    WasiConfig config;
    config.stdin_fd = -1;
    config.stdout_fd = -1;
    config.stderr_fd = -1;
    WasiOptions wasi_options;
    wasi_options.interceptor = &replayer;
    auto wasi = Wasi::Create(config, wasi_options);
    EXPECT_TRUE(wasi.ok()) << wasi.status().ToString();
    Execute(wasm, **wasi, &run);
    run.calls = replayer.calls();
    run.divergence = replayer.divergence();
    run.stopped_at_until = replayer.stopped_at_until();
    if (run.outcome != Outcome::kTrapped) run.left = replayer.CheckNoCallsLeft();
  }
  run.out = ReadAll(out);
  run.err = ReadAll(err);
  fclose(out);
  fclose(err);
  return run;
}

void ExpectSameRun(const GuestRun& recorded, const GuestRun& replayed) {
  EXPECT_EQ(replayed.outcome, recorded.outcome) << replayed.trap;
  EXPECT_EQ(replayed.exit_code, recorded.exit_code);
  EXPECT_EQ(replayed.out, recorded.out);
  EXPECT_EQ(replayed.err, recorded.err);
  EXPECT_EQ(replayed.digest, recorded.digest);
  EXPECT_EQ(replayed.calls, recorded.calls);
  EXPECT_FALSE(replayed.divergence.has_value()) << replayed.divergence->reason;
  EXPECT_FALSE(replayed.left.has_value()) << replayed.left->reason;
}

TEST(Replay, HelloWorld) {
  TempDir dir;
  std::string log = dir.path() + "/hello.log";
  std::vector<u8> wasm = LoadGuest("hello");
  GuestRun recorded = Record(wasm, {}, log);
  EXPECT_FALSE(recorded.out.empty());
  EXPECT_GT(recorded.calls, 0u);
  ExpectSameRun(recorded, Replay(wasm, log));
}

TEST(Replay, ClocksRandomnessAndSleepReplayExactly) {
  TempDir dir;
  std::string log = dir.path() + "/clock.log";
  std::vector<u8> wasm = LoadGuest("proc_clock_random");
  GuestRun recorded = Record(wasm, {}, log);
  EXPECT_EQ(recorded.exit_code, 0) << recorded.err;
  ExpectSameRun(recorded, Replay(wasm, log));
  // A second recording differs (other times, other random bytes).
  std::string log2 = dir.path() + "/clock2.log";
  GuestRun again = Record(wasm, {}, log2);
  EXPECT_NE(again.digest, recorded.digest);
}

TEST(Replay, FilesWithoutThePreopen) {
  TempDir dir;
  TempDir sandbox;
  std::string log = dir.path() + "/files.log";
  std::vector<u8> wasm = LoadGuest("fs_files");
  WasiConfig config;
  config.args = {"fs_files", "/sandbox"};
  config.preopens.push_back({sandbox.path(), "/sandbox", false});
  GuestRun recorded = Record(wasm, config, log);
  EXPECT_EQ(recorded.out, "fs_files ok\n") << recorded.err;
  // The replay has no preopen at all: every answer comes from the log.
  ExpectSameRun(recorded, Replay(wasm, log));
}

TEST(Replay, StdinAndSleep) {
  TempDir dir;
  std::string log = dir.path() + "/stdin.log";
  std::vector<u8> wasm = LoadGuest("run_stdin");
  GuestRun recorded = Record(wasm, {}, log, "hello, replay\n");
  EXPECT_EQ(recorded.out, "HELLO, REPLAY\n14 bytes\n");
  ExpectSameRun(recorded, Replay(wasm, log));

  log = dir.path() + "/sleep.log";
  wasm = LoadGuest("run_sleep");
  WasiConfig config;
  config.args = {"run_sleep", "1"};
  GuestRun slept = Record(wasm, config, log);
  EXPECT_EQ(slept.out, "waiting\nwoke up\n");
  auto t0 = std::chrono::steady_clock::now();
  GuestRun replayed = Replay(wasm, log);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  ExpectSameRun(slept, replayed);
}

TEST(Replay, UntilStopsAfterTheCall) {
  TempDir dir;
  std::string log = dir.path() + "/hello.log";
  std::vector<u8> wasm = LoadGuest("hello");
  GuestRun recorded = Record(wasm, {}, log);
  ASSERT_GT(recorded.calls, 1u);
  ReplayOptions options;
  options.until = 0;
  std::vector<u64> seen;
  options.progress = [&](u64 i) { seen.push_back(i); };
  GuestRun replayed = Replay(wasm, log, options);
  EXPECT_EQ(replayed.outcome, Outcome::kTrapped);
  EXPECT_TRUE(replayed.stopped_at_until);
  EXPECT_NE(replayed.trap.find("replay: stopped after host call 0 (--until)"), std::string::npos)
      << replayed.trap;
  EXPECT_EQ(seen, std::vector<u64>{0});
}

// A guest of `n` clock_time_get calls; the call numbered `odd` (if any) asks
// for another clock, and `write` makes it print `text` with fd_write first.
std::string ClockWat(int n, int odd = -1, const std::string& text = "") {
  std::string body;
  if (!text.empty()) {
    body += "(i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const " +
            std::to_string(text.size()) +
            ")) (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))\n";
  }
  for (int i = 0; i < n; ++i) {
    body += "(drop (call $clock (i32.const " + std::string(i == odd ? "0" : "1") +
            ") (i64.const 1) (i32.const " + std::to_string(128 + 8 * i) + ")))\n";
  }
  return R"((module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) ")" +
         text + R"(")
  (func (export "_start")
)" + body +
         "))";
}

TEST(Replay, ModifiedModuleDivergesAtTheRightCall) {
  TempDir dir;
  std::string log = dir.path() + "/clock.log";
  GuestRun recorded = Record(Wat(ClockWat(3, -1, "hi")), {}, log);
  EXPECT_EQ(recorded.out, "hi");
  ASSERT_EQ(recorded.calls, 4u);
  ExpectSameRun(recorded, Replay(Wat(ClockWat(3, -1, "hi")), log));

  // Another argument at call 2 (the second clock).
  GuestRun replayed = Replay(Wat(ClockWat(3, 1, "hi")), log);
  EXPECT_EQ(replayed.outcome, Outcome::kTrapped);
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, 2u);
  EXPECT_EQ(replayed.divergence->reason, "argument 1 differs (recorded 1, now 0)");
  EXPECT_EQ(replayed.divergence->expected.rfind("clock_time_get(", 0), 0u)
      << replayed.divergence->expected;
  EXPECT_EQ(replayed.divergence->actual.rfind("clock_time_get(", 0), 0u)
      << replayed.divergence->actual;
  EXPECT_EQ(replayed.divergence->expected, "clock_time_get(id=MONOTONIC, precision=1, time->0x88)");
  EXPECT_EQ(replayed.divergence->actual, "clock_time_get(id=REALTIME, precision=1, time->0x88)");
  EXPECT_NE(replayed.trap.find("replay: diverged at host call 2: argument 1 differs"),
            std::string::npos)
      << replayed.trap;

  // Other bytes written to stdout: the read of the buffer differs at call 0.
  replayed = Replay(Wat(ClockWat(3, -1, "ho")), log);
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, 0u);
  EXPECT_EQ(replayed.divergence->reason, "guest bytes at 0x40 (2 bytes) differ from the recording");

  // One call more than recorded: the recording has no more calls.
  replayed = Replay(Wat(ClockWat(4, -1, "hi")), log);
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, 4u);
  EXPECT_NE(replayed.divergence->reason.find("the recording has no more host calls"),
            std::string::npos);

  // One call fewer: found after the run.
  replayed = Replay(Wat(ClockWat(2, -1, "hi")), log);
  EXPECT_EQ(replayed.outcome, Outcome::kReturned);
  ASSERT_TRUE(replayed.left.has_value());
  EXPECT_EQ(replayed.left->index, 3u);
  EXPECT_EQ(replayed.left->reason,
            "the replayed run ended after 3 host calls but the recording has 4 or more");

  // Another function at call 1.
  replayed = Replay(Wat(R"((module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hi")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 2))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $yield)))))"),
                    log);
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, 1u);
  EXPECT_EQ(replayed.divergence->reason,
            "the guest called sched_yield, the recording has clock_time_get")
      << replayed.divergence->reason;
}

// Copies `from` into `to`, passing each record through `edit`; without its
// end frame when `finish` is false (a killed run).
void RewriteLog(const std::string& from, const std::string& to,
                const std::function<void(CallRecord&)>& edit, bool finish = true,
                u64 keep = UINT64_MAX) {
  auto reader = LogReader::Open(from);
  ASSERT_TRUE(reader.ok());
  auto writer = LogWriter::Create(to, (*reader)->info());
  ASSERT_TRUE(writer.ok());
  CallRecord rec;
  for (;;) {
    auto more = (*reader)->Next(&rec);
    ASSERT_TRUE(more.ok());
    if (!*more || rec.index >= keep) break;
    edit(rec);
    (*writer)->Append(rec);
  }
  if (finish) {
    (*reader)->Skip().value();
    ASSERT_TRUE((*writer)->Finish(*(*reader)->end()).ok());
  } else {
    ASSERT_TRUE((*writer)->Flush().ok());
  }
}

TEST(Replay, AlteredLogIsCaught) {
  TempDir dir;
  std::string log = dir.path() + "/clock.log";
  std::vector<u8> wasm = Wat(ClockWat(3, -1, "hi"));
  GuestRun recorded = Record(wasm, {}, log);
  std::string bad = dir.path() + "/bad.log";
  RewriteLog(log, bad, [](CallRecord& rec) {
    if (rec.index == 2) rec.args[2] += 8;
  });
  GuestRun replayed = Replay(wasm, bad);
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, 2u);
  EXPECT_EQ(replayed.divergence->reason, "argument 3 differs (recorded 144, now 136)");

  // A write op pointing past the guest's memory: a clean trap.
  RewriteLog(log, bad, [](CallRecord& rec) {
    if (rec.index == 1) rec.ops.back().ptr = 0xfffffff0;
  });
  replayed = Replay(wasm, bad);
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, 1u);
  EXPECT_NE(replayed.divergence->reason.find("outside guest memory"), std::string::npos);

  // A record for a function this deja does not know.
  RewriteLog(log, bad, [](CallRecord& rec) {
    if (rec.index == 0) rec.call = 100000;
  });
  replayed = Replay(wasm, bad);
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, 0u);
}

TEST(Replay, KilledRecordingEndsCleanly) {
  TempDir dir;
  std::string log = dir.path() + "/clock.log";
  std::vector<u8> wasm = Wat(ClockWat(3, -1, "hi"));
  Record(wasm, {}, log);
  std::string cut = dir.path() + "/cut.log";
  RewriteLog(
      log, cut, [](CallRecord&) {}, false, 2);
  GuestRun replayed = Replay(wasm, cut);
  EXPECT_EQ(replayed.outcome, Outcome::kTrapped);
  EXPECT_EQ(replayed.out, "hi");
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, 2u);
  EXPECT_NE(replayed.divergence->reason.find("the recording ends here"), std::string::npos);
  EXPECT_NE(replayed.trap.find("replay: the recording ends after 2 host calls"), std::string::npos)
      << replayed.trap;
}

// A run past the log's size limit goes on unrecorded; its replay reproduces
// every recorded call and then stops with why, never diverging silently.
TEST(Replay, RecordingPastTheSizeLimitStopsTheReplayThere) {
  TempDir dir;
  std::string log = dir.path() + "/big.log";
  std::vector<u8> wasm = Wat(R"(
    (module
      (import "wasi_snapshot_preview1" "random_get" (func $rg (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $fw (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (func (export "_start") (local $i i32)
        (i32.store (i32.const 0) (i32.const 1024))
        (i32.store (i32.const 4) (i32.const 65536))
        (loop $l
          (drop (call $rg (i32.const 1024) (i32.const 65536)))
          (drop (call $fw (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 40))))))
  )");
  GuestRun recorded = Record(wasm, {}, log, "", 1 << 20);
  EXPECT_EQ(recorded.calls, 80u);
  EXPECT_EQ(recorded.out.size(), 40u * 65536);  // the guest ran to its end
  EXPECT_GT(recorded.recorded_calls, 20u);
  EXPECT_LT(recorded.recorded_calls, 40u);
  GuestRun replayed = Replay(wasm, log);
  EXPECT_EQ(replayed.outcome, Outcome::kTrapped);
  ASSERT_TRUE(replayed.divergence.has_value());
  EXPECT_EQ(replayed.divergence->index, recorded.recorded_calls);
  EXPECT_NE(replayed.divergence->reason.find("the recording stops here: recording stopped after"),
            std::string::npos)
      << replayed.divergence->reason;
  EXPECT_NE(replayed.divergence->reason.find("size limit of 1 MiB"), std::string::npos);
  EXPECT_EQ(replayed.out, recorded.out.substr(0, replayed.out.size()));
  EXPECT_GE(replayed.out.size(), 65536u * ((recorded.recorded_calls - 1) / 2));
}

// Records altered at random (pointers, lengths, kinds, calls, results): the
// replay must end cleanly however wrong the log is.
TEST(Replay, RandomlyAlteredLogsNeverCrash) {
  TempDir dir;
  TempDir sandbox;
  std::string log = dir.path() + "/files.log";
  std::vector<u8> wasm = LoadGuest("fs_files");
  WasiConfig config;
  config.args = {"fs_files", "/sandbox"};
  config.preopens.push_back({sandbox.path(), "/sandbox", false});
  GuestRun recorded = Record(wasm, config, log);
  ASSERT_GT(recorded.calls, 10u);
  u64 state = 12345;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  std::string bad = dir.path() + "/bad.log";
  for (int round = 0; round < 60; ++round) {
    u64 target = next() % recorded.calls;
    u64 what = next() % 7;
    u64 value = next();
    RewriteLog(log, bad, [&](CallRecord& rec) {
      if (rec.index != target) return;
      switch (what) {
        case 0:
          rec.call = static_cast<u32>(value % 200);
          break;
        case 1:
          rec.result.reset();
          break;
        case 2:
          rec.exit_code = static_cast<i32>(value);
          break;
        default:
          if (rec.ops.empty()) return;
          MemOp& op = rec.ops[value % rec.ops.size()];
          if (what == 3) op.ptr = static_cast<u32>(value >> 8);
          if (what == 4) op.ptr = static_cast<u32>(65536 * (value % 40) - value % 16);
          if (what == 5)
            op.kind = op.kind == MemOp::Kind::kRead ? MemOp::Kind::kWrite : MemOp::Kind::kRead;
          if (what == 6) {
            // Move the op's bytes to the end of the data with a new length.
            u32 len = static_cast<u32>(value % 300);
            op.offset = static_cast<u32>(rec.data.size());
            op.len = len;
            rec.data.resize(rec.data.size() + len, 0xab);
          }
      }
    });
    GuestRun replayed = Replay(wasm, bad);
    EXPECT_TRUE(replayed.outcome == Outcome::kTrapped || replayed.outcome == Outcome::kExited ||
                replayed.outcome == Outcome::kReturned);
  }
}

}  // namespace
}  // namespace deja::tm

namespace deja::tm {
namespace {

// Guest stdio that is an in-memory buffer is recorded like a host
// descriptor, and replay hands the output to a sink, not to fds 1 and 2.
TEST(Replay, BufferedStdioReplaysIntoASink) {
  TempDir dir;
  std::string log = dir.path() + "/buffered.log";
  std::vector<u8> wasm = LoadGuest("stdio_echo");
  WasiConfig config;
  config.args = {"stdio_echo"};
  config.stdin_stream.kind = StdioKind::kBuffer;
  config.stdin_stream.input = "record me";
  config.stdout_stream.kind = StdioKind::kBuffer;
  config.stderr_stream.kind = StdioKind::kBuffer;
  GuestRun recorded;
  std::string out, err;
  {
    auto writer = LogWriter::Create(log, Info());
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    Recorder recorder(**writer);
    WasiOptions options;
    options.system = recorder.WrapSystem(wasi::MakePosixSystem());
    options.interceptor = &recorder;
    auto wasi = Wasi::Create(config, options);
    ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
    Execute(wasm, **wasi, &recorded);
    out = (*wasi)->StdioOutput(1);
    err = (*wasi)->StdioOutput(2);
    RunEnd end;
    end.kind = RunEnd::Kind::kExited;
    end.guest_exit_code = recorded.exit_code;
    end.host_calls = recorder.calls();
    end.state_digest = recorded.digest;
    ASSERT_TRUE((*writer)->Finish(end).ok());
  }
  EXPECT_EQ(recorded.exit_code, 3);
  EXPECT_EQ(out, "RECORD ME");
  EXPECT_EQ(err, "echoed 9 bytes\n");

  std::string sunk[3];
  ReplayOptions options;
  options.output = [&sunk](u8 stream, std::span<const u8> bytes) {
    ASSERT_TRUE(stream == 1 || stream == 2);
    sunk[stream].append(bytes.begin(), bytes.end());
  };
  auto reader = LogReader::Open(log);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Replayer replayer(**reader, options);
  WasiConfig none;
  none.stdin_fd = none.stdout_fd = none.stderr_fd = -1;
  WasiOptions wasi_options;
  wasi_options.interceptor = &replayer;
  auto wasi = Wasi::Create(none, wasi_options);
  ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
  GuestRun replayed;
  Execute(wasm, **wasi, &replayed);
  EXPECT_FALSE(replayer.divergence().has_value());
  EXPECT_EQ(replayed.exit_code, 3);
  EXPECT_EQ(replayed.digest, recorded.digest);
  EXPECT_EQ(sunk[1], out);
  EXPECT_EQ(sunk[2], err);
}

}  // namespace
}  // namespace deja::tm
