// The real System: OpenBeneath never leaves its directory, whatever the path
// or the symlinks in the tree; the other calls report host errors as WASI
// errnos.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "wasi/system.h"

namespace deja::wasi {
namespace {

namespace fs = std::filesystem;

class PosixSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja_posix_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    // root/outside.txt is outside the sandbox dir root/box.
    fs::create_directories(root_ + "/box/sub");
    Touch(root_ + "/outside.txt");
    Touch(root_ + "/box/sub/inside.txt");
    fs::create_symlink("../../outside.txt", root_ + "/box/sub/escape");
    fs::create_symlink("/etc/passwd", root_ + "/box/abs");
    fs::create_symlink("sub/inside.txt", root_ + "/box/ok");
    ASSERT_EQ(sys_->OpenDirectory(root_ + "/box", &box_), Errno::kSuccess);
  }
  void TearDown() override {
    (void)sys_->Close(box_);
    fs::remove_all(root_);
  }
  static void Touch(const std::string& path) {
    int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  Errno Open(const std::string& path, int flags = O_RDONLY) {
    int fd = -1;
    Errno e = sys_->OpenBeneath(box_, path, flags, 0600, &fd);
    if (e == Errno::kSuccess) {
      EXPECT_GE(fd, 0);
      EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
      close(fd);
    }
    return e;
  }

  std::shared_ptr<System> sys_ = MakePosixSystem();
  std::string root_;
  int box_ = -1;
};

TEST_F(PosixSystemTest, OpensPathsBeneath) {
  EXPECT_EQ(Open("sub/inside.txt"), Errno::kSuccess);
  EXPECT_EQ(Open("sub/../sub/./inside.txt"), Errno::kSuccess);
  EXPECT_EQ(Open("ok"), Errno::kSuccess) << "a symlink that stays inside";
  EXPECT_EQ(Open("."), Errno::kSuccess);
  EXPECT_EQ(Open("new.txt", O_CREAT | O_WRONLY), Errno::kSuccess);
  EXPECT_TRUE(fs::exists(root_ + "/box/new.txt"));
  EXPECT_EQ(Open("missing"), Errno::kNoent);
}

TEST_F(PosixSystemTest, NeverEscapes) {
  EXPECT_EQ(Open("../outside.txt"), Errno::kNotcapable);
  EXPECT_EQ(Open("sub/../../outside.txt"), Errno::kNotcapable);
  EXPECT_EQ(Open(root_ + "/outside.txt"), Errno::kNotcapable) << "absolute";
  EXPECT_EQ(Open("sub/escape"), Errno::kNotcapable) << "symlink out";
  EXPECT_EQ(Open("abs"), Errno::kNotcapable) << "absolute symlink";
  EXPECT_EQ(Open(".."), Errno::kNotcapable);
  EXPECT_EQ(Open("../box/sub/../../outside.txt", O_CREAT | O_WRONLY), Errno::kNotcapable);
  EXPECT_EQ(Open(std::string("sub\0/../..", 10)), Errno::kInval) << "embedded NUL";
}

TEST_F(PosixSystemTest, NoFollowRefusesASymlinkLeaf) {
  EXPECT_EQ(Open("ok", O_RDONLY | O_NOFOLLOW), Errno::kLoop);
}

TEST_F(PosixSystemTest, ClocksRandomSleep) {
  u64 a = 0, b = 0, res = 0;
  ASSERT_EQ(sys_->ClockTimeGet(1, 0, &a), Errno::kSuccess);
  auto start = std::chrono::steady_clock::now();
  sys_->Sleep(15'000'000);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(15));
  ASSERT_EQ(sys_->ClockTimeGet(1, 0, &b), Errno::kSuccess);
  EXPECT_GE(b - a, 15'000'000u);
  EXPECT_EQ(sys_->ClockTimeGet(4, 0, &a), Errno::kInval);
  ASSERT_EQ(sys_->ClockResGet(0, &res), Errno::kSuccess);
  EXPECT_GT(res, 0u);
  u8 r1[64] = {}, r2[64] = {};
  ASSERT_EQ(sys_->RandomGet(r1), Errno::kSuccess);
  ASSERT_EQ(sys_->RandomGet(r2), Errno::kSuccess);
  EXPECT_NE(std::string(reinterpret_cast<char*>(r1), 64), std::string(reinterpret_cast<char*>(r2), 64));
}

TEST_F(PosixSystemTest, HostErrorsBecomeWasiErrnos) {
  u64 pos = 0;
  EXPECT_EQ(sys_->Seek(-1, 0, SEEK_SET, &pos), Errno::kBadf);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_EQ(sys_->Seek(p[0], 0, SEEK_SET, &pos), Errno::kSpipe);
  EXPECT_EQ(sys_->MkdirAt(box_, "sub", 0700), Errno::kExist);
  EXPECT_EQ(sys_->UnlinkAt(box_, "sub", AT_REMOVEDIR), Errno::kNotempty);
  std::string target;
  ASSERT_EQ(sys_->ReadlinkAt(box_, "ok", &target), Errno::kSuccess);
  EXPECT_EQ(target, "sub/inside.txt");
  EXPECT_EQ(sys_->ReadlinkAt(box_, "sub", &target), Errno::kInval);
  EXPECT_EQ(sys_->Close(p[0]), Errno::kSuccess);
  // Writing to a pipe nobody reads is EPIPE, not a SIGPIPE that kills the host.
  char c = 'x';
  iovec iov{&c, 1};
  size_t n = 0;
  EXPECT_EQ(sys_->Writev(p[1], {&iov, 1}, &n), Errno::kPipe);
  EXPECT_EQ(sys_->Close(p[1]), Errno::kSuccess);
}

TEST_F(PosixSystemTest, ReadDirListsEntries) {
  int dir = -1;
  ASSERT_EQ(sys_->OpenBeneath(box_, "sub", O_RDONLY | O_DIRECTORY, 0, &dir), Errno::kSuccess);
  u8 buf[4096];
  size_t n = 0;
  ASSERT_EQ(sys_->ReadDir(dir, buf, &n), Errno::kSuccess);
  EXPECT_GT(n, 0u);
  std::string names(reinterpret_cast<char*>(buf), n);
  EXPECT_NE(names.find("inside.txt"), std::string::npos);
  ASSERT_EQ(sys_->ReadDir(dir, buf, &n), Errno::kSuccess);
  EXPECT_EQ(n, 0u) << "end of directory";
  EXPECT_EQ(sys_->Close(dir), Errno::kSuccess);
}

TEST_F(PosixSystemTest, SocketsAreCloseOnExec) {
  int s = -1;
  ASSERT_EQ(sys_->Socket(AF_INET, SOCK_STREAM, 0, &s), Errno::kSuccess);
  EXPECT_TRUE(fcntl(s, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(sys_->Close(s), Errno::kSuccess);
  std::vector<sockaddr_storage> addrs;
  ASSERT_EQ(sys_->GetAddrInfo("127.0.0.1", "80", AF_INET, SOCK_STREAM, &addrs), Errno::kSuccess);
  ASSERT_FALSE(addrs.empty());
  EXPECT_EQ(addrs[0].ss_family, AF_INET);
}

}  // namespace
}  // namespace deja::wasi
