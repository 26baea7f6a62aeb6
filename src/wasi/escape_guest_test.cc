// Hostile guests (tests/guests/escape_*.c) against a preopen next to an
// outside directory: nothing outside is read, created, linked or renamed.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "wasi/wasi_test_util.h"

namespace deja::wasi::testing {
namespace {

class EscapeGuestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja_escape_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    sandbox_ = root_ + "/sandbox";
    outside_ = root_ + "/outside";
    std::filesystem::create_directories(sandbox_);
    std::filesystem::create_directories(outside_);
    std::ofstream(outside_ + "/secret") << "top secret";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  // Everything outside the sandbox is as the test left it.
  void ExpectOutsideUntouched() {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(root_)) {
      names.push_back(e.path().filename());
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"outside", "sandbox"}));
    names.clear();
    for (const auto& e : std::filesystem::directory_iterator(outside_)) {
      names.push_back(e.path().filename());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"secret"}));
    struct stat st;
    ASSERT_EQ(stat((outside_ + "/secret").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u) << "a hard link to the secret was made";
  }
  WasiConfig Config(std::vector<std::string> args) {
    WasiConfig config;
    config.args = std::move(args);
    config.preopens.push_back({sandbox_, "/sandbox", false});
    return config;
  }
  std::string root_, sandbox_, outside_;
};

TEST_F(EscapeGuestTest, EveryPathOutFails) {
  GuestRun run = RunGuest("escape_paths", Config({"escape_paths", "/sandbox"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "escape_paths ok\n");
  EXPECT_EQ(run.out.find("top secret"), std::string::npos);
  ExpectOutsideUntouched();
}

// The host flips sandbox/d between a real directory and a symlink to the
// outside while the guest opens and reads d/secret in a loop.
TEST_F(EscapeGuestTest, SymlinkSwappedInWhileTheGuestOpensNeverLeaks) {
  std::filesystem::create_directories(sandbox_ + "/real");
  std::ofstream(sandbox_ + "/real/secret") << "inside";
  ASSERT_EQ(symlink("real", (sandbox_ + "/d").c_str()), 0);
  std::atomic<bool> stop{false};
  std::thread flipper([&] {
    const std::string tmp = sandbox_ + "/swap", d = sandbox_ + "/d";
    for (bool out = true; !stop.load(); out = !out) {
      (void)unlink(tmp.c_str());
      if (symlink(out ? "../outside" : "real", tmp.c_str()) == 0)
        (void)rename(tmp.c_str(), d.c_str());
    }
  });
  GuestRun run = RunGuest("escape_race", Config({"escape_race", "/sandbox", "3000"}));
  stop = true;
  flipper.join();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.find("LEAK"), std::string::npos);
  EXPECT_EQ(run.out.rfind("inside=", 0), 0u) << run.out;
  std::filesystem::remove(sandbox_ + "/swap");
  ExpectOutsideUntouched();
}

}  // namespace
}  // namespace deja::wasi::testing
