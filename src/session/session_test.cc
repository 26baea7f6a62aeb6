// The session layer through its library API: run, record, suspend to a
// snapshot, resume, replay, and starts that fail (refused before recording,
// or failed once recorded: the same for a module and a snapshot).
#include "deja/session.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "registry/registry.h"

namespace deja::session {
namespace {

namespace fs = std::filesystem;

std::string Guest(const std::string& name) { return std::string(DEJA_GUEST_DIR) + "/" + name; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja-session-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    home_ = dir_ + "/home";
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A spec whose guest stdout goes to `out` (a file under the test dir).
  RunSpec Spec(const std::string& file, const std::string& out) {
    RunSpec spec;
    spec.file = file;
    spec.home = home_;
    spec.stdout_fd = OpenOut(out);
    spec.stderr_fd = OpenOut(out + ".err");
    spec.stdin_fd = -1;
    return spec;
  }
  int OpenOut(const std::string& name) {
    int fd = open((dir_ + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    return fd;
  }
  std::string Out(const std::string& name) { return ReadAll(dir_ + "/" + name); }

  std::vector<registry::RunRow> Rows() {
    Result<std::unique_ptr<registry::Registry>> reg = registry::Registry::Open(home_);
    EXPECT_TRUE(reg.ok()) << reg.status().ToString();
    if (!reg.ok()) return {};
    Result<std::vector<registry::RunRow>> rows = (*reg)->List();
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<registry::RunRow>{};
  }

  ReplayResult ReplayRun(const std::string& id) {
    ReplaySpec spec;
    spec.id = id;
    spec.home = home_;
    return Replay(spec, io_);
  }

  // A suspended run of snap_cli_loop; returns the snapshot path.
  std::string Suspend(const std::vector<std::string>& args, const std::string& name) {
    RunSpec spec = Spec(Guest("snap_cli_loop.wasm"), name + ".out");
    spec.args = args;
    spec.snapshot_to = dir_ + "/" + name + ".snap";
    spec.suspend_after_fuel = 2000000;
    RunResult r = session::Run(spec, io_);
    EXPECT_EQ(r.outcome, RunOutcome::kSuspended);
    EXPECT_EQ(r.exit_status, kStatusSuspended);
    EXPECT_EQ(r.snapshot_path, spec.snapshot_to);
    return spec.snapshot_to;
  }

  std::string dir_;
  std::string home_;
  std::vector<int> fds_;
  SessionIo io_;
};

TEST_F(SessionTest, RunsAModuleWithoutRecording) {
  RunSpec spec = Spec(Guest("hello.wasm"), "hello.out");
  spec.args = {"one", "two"};
  spec.record = false;
  RunResult r = session::Run(spec, io_);
  EXPECT_EQ(r.error, StartError::kNone);
  EXPECT_TRUE(r.outcome == RunOutcome::kReturned || r.outcome == RunOutcome::kExited)
      << RunOutcomeName(r.outcome);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_TRUE(r.run_id.empty());
  EXPECT_EQ(Out("hello.out"), "hello from deja one two\n");
  EXPECT_FALSE(fs::exists(home_ + "/runs"));
}

TEST_F(SessionTest, RunsAPreparedModuleSharedByConcurrentRunsAndReplaysThem) {
  Result<std::shared_ptr<const PreparedModule>> prepared = Prepare(Guest("hello.wasm"));
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  std::vector<RunResult> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      RunSpec spec;
      spec.file = "not-read.wasm";  // the name only: the prepared module runs
      spec.source = Source::kModule;
      spec.prepared = *prepared;
      spec.args = {std::to_string(i)};
      spec.home = home_;
      spec.stdin_fd = -1;
      spec.stdout_stream.kind = StdioKind::kBuffer;
      spec.stderr_fd = -1;
      results[i] = session::Run(spec, {});
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].exit_status, 0) << i;
    EXPECT_EQ(results[i].stdout_output, "hello from deja " + std::to_string(i) + "\n");
    ASSERT_FALSE(results[i].run_id.empty());
    // The registry got the prepared module's bytes: the replay finds them.
    EXPECT_EQ(ReplayRun(results[i].run_id).verdict, ReplayVerdict::kMatched) << i;
  }
}

TEST_F(SessionTest, APreparedModuleIsRefusedForOtherFeaturesOrASnapshot) {
  Result<std::shared_ptr<const PreparedModule>> prepared = Prepare(Guest("hello.wasm"));
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  RunSpec spec = Spec("hello.wasm", "refused.out");
  spec.source = Source::kModule;
  spec.prepared = *prepared;
  spec.features.set(Feature::kBulkMemory, false);
  RunResult r = session::Run(spec, io_);
  EXPECT_EQ(r.error, StartError::kUsage);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_NE(r.messages[0].find("other WebAssembly features"), std::string::npos) << r.messages[0];
  spec.features = Features();
  spec.source = Source::kSnapshot;
  EXPECT_EQ(session::Run(spec, io_).error, StartError::kUsage);
  EXPECT_FALSE(fs::exists(home_ + "/runs"));

  Result<std::shared_ptr<const PreparedModule>> missing = Prepare(dir_ + "/none.wasm");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().ToString().find("none.wasm"), std::string::npos);
}

TEST_F(SessionTest, RecordsAndReplaysARun) {
  std::vector<std::string> said;
  io_.on_message = [&](std::string_view m) { said.emplace_back(m); };
  RunSpec spec = Spec(Guest("run_exit.wasm"), "exit.out");
  spec.args = {"7"};
  RunResult r = session::Run(spec, io_);
  EXPECT_EQ(r.outcome, RunOutcome::kExited);
  EXPECT_EQ(r.exit_status, 7);
  EXPECT_EQ(r.guest_exit_code, 7);
  ASSERT_FALSE(r.run_id.empty());
  EXPECT_GT(r.host_calls, 0u);
  ASSERT_FALSE(said.empty());
  EXPECT_EQ(said.front(), "recording " + r.run_id);  // messages as made, and as data
  EXPECT_EQ(r.messages, said);
  std::vector<registry::RunRow> rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "exited");

  ReplayResult replayed = ReplayRun(r.run_id);
  EXPECT_EQ(replayed.verdict, ReplayVerdict::kMatched);
  EXPECT_EQ(replayed.run.exit_status, 7);
  EXPECT_EQ(replayed.run.outcome, RunOutcome::kExited);
  EXPECT_EQ(replayed.run.host_calls, r.host_calls);
}

TEST_F(SessionTest, InvokeResultsAreData) {
  std::ostringstream results;
  io_.results = &results;
  RunSpec spec = Spec(std::string(DEJA_SOURCE_DIR) + "/tests/run/invoke.wat", "invoke.out");
  spec.invoke = "offset_add";
  spec.invoke_args = {"2", "40"};
  spec.record = false;
  RunResult r = session::Run(spec, io_);
  ASSERT_EQ(r.outcome, RunOutcome::kReturned) << (r.messages.empty() ? "" : r.messages.back());
  EXPECT_EQ(r.results, std::vector<std::string>{"1042"});  // after _initialize
  EXPECT_EQ(results.str(), "1042\n");
}

TEST_F(SessionTest, SuspendsResumesAndReplaysBoth) {
  RunSpec full = Spec(Guest("snap_cli_loop.wasm"), "full.out");
  full.args = {"8"};
  full.record = false;
  ASSERT_EQ(session::Run(full, io_).exit_status, 0);

  std::string snap = Suspend({"8"}, "a");
  std::vector<registry::RunRow> rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "suspended");
  std::string suspended_id = rows[0].id;

  RunSpec resume = Spec(snap, "b.out");
  resume.source = Source::kAuto;  // told by its magic
  RunResult resumed = session::Run(resume, io_);
  EXPECT_EQ(resumed.exit_status, 0);
  EXPECT_EQ(Out("a.out") + Out("b.out"), Out("full.out"));

  // Replay stops where the recorded run was suspended, and says so.
  ReplayResult first = ReplayRun(suspended_id);
  EXPECT_EQ(first.verdict, ReplayVerdict::kMatched);
  EXPECT_EQ(first.run.outcome, RunOutcome::kSuspended);
  EXPECT_EQ(first.run.exit_status, kStatusSuspended);
  ReplayResult second = ReplayRun(resumed.run_id);
  EXPECT_EQ(second.verdict, ReplayVerdict::kMatched);
  EXPECT_EQ(second.run.exit_status, 0);
}

TEST_F(SessionTest, ReplaysASuspensionTheGuestAskedFor) {
  RunSpec spec = Spec(Guest("snap_cli_loop.wasm"), "r.out");
  spec.args = {"8", "request"};
  spec.snapshot_to = dir_ + "/r.snap";
  RunResult r = session::Run(spec, io_);
  ASSERT_EQ(r.outcome, RunOutcome::kSuspended);
  ReplayResult replayed = ReplayRun(r.run_id);
  EXPECT_EQ(replayed.verdict, ReplayVerdict::kMatched)
      << (replayed.run.messages.empty() ? "" : replayed.run.messages.back());
  EXPECT_EQ(replayed.run.outcome, RunOutcome::kSuspended);
  EXPECT_EQ(replayed.run.exit_status, kStatusSuspended);
}

// Refused before anything is recorded: the same for a module and a snapshot.
TEST_F(SessionTest, ARefusedStartLeavesNoRowForAModuleOrASnapshot) {
  std::string snap = Suspend({"8"}, "a");
  size_t before = Rows().size();
  WasiPreopen missing{dir_ + "/no_such_dir", "/data", false};
  for (const std::string& file : {Guest("hello.wasm"), snap}) {
    RunSpec spec = Spec(file, "x.out");
    spec.preopens = {missing};
    RunResult r = session::Run(spec, io_);
    EXPECT_EQ(r.outcome, RunOutcome::kNotStarted) << file;
    EXPECT_EQ(r.error, StartError::kIo) << file;
    EXPECT_EQ(r.exit_status, kStatusIoError) << file;
    EXPECT_TRUE(r.run_id.empty()) << file;
    ASSERT_FALSE(r.messages.empty());
    EXPECT_NE(r.messages.back().find("no_such_dir"), std::string::npos) << r.messages.back();
  }
  RunSpec fds = Spec(Guest("hello.wasm"), "x.out");
  fds.max_fds = 0;
  EXPECT_EQ(session::Run(fds, io_).error, StartError::kUsage);
  RunSpec invoke = Spec(Guest("hello.wasm"), "x.out");
  invoke.invoke = "nope";
  EXPECT_EQ(session::Run(invoke, io_).error, StartError::kUsage);
  RunSpec target = Spec(Guest("hello.wasm"), "x.out");
  target.snapshot_to = dir_ + "/missing/x.snap";
  RunResult t = session::Run(target, io_);
  EXPECT_EQ(t.error, StartError::kIo);
  EXPECT_EQ(t.exit_status, kStatusIoError);
  EXPECT_EQ(Rows().size(), before);
}

// Failed once recorded: both sources end as a "failed" row with status 1.
TEST_F(SessionTest, AFailedStartIsRecordedTheSameForAModuleAndASnapshot) {
  RunResult module =
      session::Run(Spec(std::string(DEJA_SOURCE_DIR) + "/tests/run/unknown_import.wat", "m.out"), io_);
  EXPECT_EQ(module.outcome, RunOutcome::kNotStarted);
  EXPECT_EQ(module.error, StartError::kInvalid);
  EXPECT_EQ(module.exit_status, kStatusFailed);
  ASSERT_FALSE(module.run_id.empty());

  // A snapshot with an open file under /data, resumed without /data: its
  // WASI state cannot be restored.
  fs::create_directories(dir_ + "/d");
  std::ofstream(dir_ + "/d/f.txt") << "data\n";
  RunSpec with_file = Spec(Guest("snap_cli_loop.wasm"), "f.out");
  with_file.args = {"8", "request", "/data/f.txt"};
  with_file.preopens = {{dir_ + "/d", "/data", false}};
  with_file.snapshot_to = dir_ + "/f.snap";
  ASSERT_EQ(session::Run(with_file, io_).outcome, RunOutcome::kSuspended);
  RunResult snapshot = session::Run(Spec(dir_ + "/f.snap", "g.out"), io_);
  EXPECT_EQ(snapshot.outcome, RunOutcome::kNotStarted);
  EXPECT_EQ(snapshot.error, StartError::kInvalid);
  EXPECT_EQ(snapshot.exit_status, kStatusFailed);
  ASSERT_FALSE(snapshot.run_id.empty());

  for (const registry::RunRow& row : Rows()) {
    if (row.id != module.run_id && row.id != snapshot.run_id) continue;
    EXPECT_EQ(row.status, "failed") << row.id;
    EXPECT_EQ(row.exit_status, kStatusFailed) << row.id;
  }
}

// The snapshot target disappears while the guest runs: the state is kept
// in the home and the result says where.
TEST_F(SessionTest, ASnapshotThatCannotBeWrittenIsKeptInTheHome) {
  fs::create_directories(dir_ + "/target");
  RunSpec spec = Spec(Guest("snap_cli_loop.wasm"), "k.out");
  spec.args = {"8"};
  spec.snapshot_to = dir_ + "/target/k.snap";
  spec.suspend_after_fuel = 2000000;
  std::string target = dir_ + "/target";
  io_.on_message = [target](std::string_view m) {
    if (m.starts_with("recording ")) fs::remove_all(target);  // after the checks, before the guest
  };
  RunResult r = session::Run(spec, io_);
  EXPECT_EQ(r.outcome, RunOutcome::kSuspended);
  EXPECT_EQ(r.exit_status, kStatusIoError);
  ASSERT_TRUE(r.snapshot_path.has_value());
  EXPECT_EQ(*r.snapshot_path, home_ + "/snapshots/recovered/" + r.run_id + ".snap");
  EXPECT_TRUE(IsSnapshotFile(*r.snapshot_path));
  std::vector<registry::RunRow> rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "suspended");
  // And it resumes.
  RunResult resumed = session::Run(Spec(*r.snapshot_path, "k2.out"), io_);
  EXPECT_EQ(resumed.exit_status, 0);
}

}  // namespace
}  // namespace deja::session

namespace deja::session {
namespace {

// A log past RunSpec::max_log_bytes (deja run --max-log-size): the run goes
// on to its own end, its row says unreplayable, and replay reproduces what
// was recorded and stops there as incomplete (66), never as a clean match.
TEST_F(SessionTest, ARecordingPastItsSizeLimitReplaysAsIncomplete) {
  RunSpec spec = Spec(Guest("tm_output.wasm"), "out");
  spec.args = {"8"};  // 8 blocks of 64 KiB: twice the limit below
  spec.stdout_stream.kind = StdioKind::kBuffer;
  spec.stdout_stream.capacity = 1 << 20;
  spec.max_log_bytes = 256 << 10;
  RunResult run = session::Run(spec, io_);
  ASSERT_EQ(run.exit_status, 0);
  EXPECT_GT(run.stdout_output.size(), size_t{7} << 16);  // the guest was not cut short
  std::vector<registry::RunRow> rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "unreplayable");
  ReplayResult replayed = ReplayRun(run.run_id);
  EXPECT_EQ(replayed.verdict, ReplayVerdict::kIncomplete);
  EXPECT_EQ(replayed.run.exit_status, kStatusIncomplete);
  std::string said;
  for (const std::string& m : replayed.run.messages) said += m + "\n";
  EXPECT_NE(said.find("the recording stopped after"), std::string::npos) << said;
}

}  // namespace
}  // namespace deja::session
