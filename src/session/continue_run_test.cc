// RunSpec::continue_from through the session API (what a durable worker
// uses to recover a killed guest): a recorded run's log is cut as a SIGKILL
// would leave it (no end frame, a torn last frame), the run is continued
// with its stdout in memory, and the continuation ends as the whole run did.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "deja/session.h"
#include "registry/registry.h"

namespace deja::session {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ContinueRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja-continue-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    home_ = dir_ + "/home";
    fs::create_directories(dir_ + "/data");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RunSpec Spec() {
    RunSpec spec;
    spec.file = std::string(DEJA_SOURCE_DIR) + "/tests/timemachine/append_steps.wat";
    spec.home = home_;
    spec.preopens = {{dir_ + "/data", "/data", false}};
    spec.stdin_fd = -1;
    spec.stdout_stream.kind = StdioKind::kBuffer;
    spec.stderr_fd = -1;
    return spec;
  }
  std::string LogPath(const std::string& id) {
    auto reg = registry::Registry::Open(home_);
    EXPECT_TRUE(reg.ok());
    return reg.ok() ? (*reg)->LogPath(id) : std::string();
  }
  std::string dir_, home_;
  SessionIo io_;
};

TEST_F(ContinueRunTest, ACutLogIsContinuedToTheSameEnd) {
  RunResult whole = session::Run(Spec(), io_);
  ASSERT_EQ(whole.exit_status, 0);
  ASSERT_EQ(whole.host_calls, 2u + 40 * 4 + 1);
  std::string append = ReadAll(dir_ + "/data/append.txt");
  std::string positional = ReadAll(dir_ + "/data/positional.txt");
  // As SIGKILL leaves it: the end frame gone and the last frame torn.
  std::string log = LogPath(whole.run_id);
  fs::resize_file(log, fs::file_size(log) * 3 / 5);
  // The world as the "killed" run left it: only positional.txt's writes are
  // done again (at the same offsets), so it must come out the same.
  fs::remove(dir_ + "/data/append.txt");
  std::ofstream(dir_ + "/data/append.txt") << "";

  RunSpec spec = Spec();
  spec.continue_from = whole.run_id;
  RunResult cont = session::Run(spec, io_);
  ASSERT_EQ(cont.exit_status, 0) << (cont.messages.empty() ? "" : cont.messages.back());
  EXPECT_EQ(cont.host_calls, whole.host_calls);
  EXPECT_FALSE(cont.stdout_output.empty());  // it went live
  EXPECT_NE(cont.stdout_output, whole.stdout_output);  // and did not print the prefix again
  EXPECT_TRUE(whole.stdout_output.ends_with(cont.stdout_output));
  EXPECT_EQ(ReadAll(dir_ + "/data/positional.txt"), positional);
  // Only the live appends: the recorded ones are not done again.
  std::string live_appends = ReadAll(dir_ + "/data/append.txt");
  EXPECT_FALSE(live_appends.empty());
  EXPECT_TRUE(append.ends_with(live_appends));
  EXPECT_LT(live_appends.size(), append.size());

  ReplaySpec replay;
  replay.id = cont.run_id;
  replay.home = home_;
  replay.output = [](int, std::span<const uint8_t>) {};
  ReplayResult again = session::Replay(replay, io_);
  EXPECT_EQ(again.verdict, ReplayVerdict::kMatched);
  EXPECT_EQ(again.state_digest, again.recorded_digest);
  ReplaySpec first = replay;
  first.id = whole.run_id;  // its log is cut now, so compare with the continuation's end
  EXPECT_EQ(session::Replay(first, io_).verdict, ReplayVerdict::kIncomplete);
}

TEST_F(ContinueRunTest, RefusesAFinishedRunAndAnotherStart) {
  RunResult whole = session::Run(Spec(), io_);
  ASSERT_EQ(whole.exit_status, 0);
  RunSpec spec = Spec();
  spec.continue_from = whole.run_id;
  RunResult r = session::Run(spec, io_);
  EXPECT_EQ(r.exit_status, kStatusUsage);
  EXPECT_EQ(r.error, StartError::kUsage);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_NE(r.messages.back().find("there is nothing to continue"), std::string::npos);

  std::string log = LogPath(whole.run_id);
  fs::resize_file(log, fs::file_size(log) / 2);
  spec.args = {"other"};
  r = session::Run(spec, io_);
  EXPECT_EQ(r.exit_status, kStatusUsage);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_NE(r.messages.back().find("the argument list differs"), std::string::npos);
  EXPECT_TRUE(r.run_id.empty());  // refused before anything was recorded
}

}  // namespace
}  // namespace deja::session
