// Real C programs (tests/guests/fs_*.c, wasi-libc) doing file and directory
// work beneath a temporary preopen, checked from inside (CHECK exits 70 with
// file:line) and from the host side.
#include <sys/stat.h>

#include <filesystem>

#include "wasi/wasi_test_util.h"

namespace deja::wasi::testing {
namespace {

class FsGuestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja_fsguest_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  GuestRun Run(const std::string& name) {
    WasiConfig config;
    config.args = {name, "/sandbox"};
    config.preopens.push_back({dir_, "/sandbox", false});
    return RunGuest(name, config);
  }
  std::string dir_;
};

TEST_F(FsGuestTest, FilesCreateReadWriteSeekTruncateStatTimes) {
  GuestRun run = Run("fs_files");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "fs_files ok\n");
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/data.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 0);  // the last step truncated it
}

TEST_F(FsGuestTest, DirsMkdirReaddirCookiesRmdirRenameUnlink) {
  GuestRun run = Run("fs_dirs");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "fs_dirs ok\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(FsGuestTest, LinksSymlinkReadlinkHardLinkLoop) {
  GuestRun run = Run("fs_links");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "fs_links ok\n");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/hard"));
}

TEST_F(FsGuestTest, ErrorsMatchPosix) {
  GuestRun run = Run("fs_errors");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "fs_errors ok\n");
}

}  // namespace
}  // namespace deja::wasi::testing
