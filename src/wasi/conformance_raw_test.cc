// Error cases of preview 1 functions checked against the witx and wasmtime's
// behaviour (docs/wasi_core.md, "Conformance"), one expectation per case,
// with raw arguments so that wasi-libc's own checks do not hide them.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "wasi/raw_call_test_util.h"

namespace deja::wasi {
namespace {

using testing::kRawMemorySize;
using testing::RawWasi;

constexpr u32 E(Errno e) { return static_cast<u32>(e); }
constexpr u32 kDir = 3;  // the preopen

class ConformanceTest : public ::testing::Test {
 protected:
  ConformanceTest() {
    char tmpl[] = "/tmp/deja_conf_XXXXXX";
    dir_ = mkdtemp(tmpl);
    WasiConfig c;
    c.stdin_fd = c.stdout_fd = c.stderr_fd = -1;
    c.preopens.push_back({dir_, "/sandbox", false});
    raw_ = std::make_unique<RawWasi>(c);
  }
  ~ConformanceTest() override { std::filesystem::remove_all(dir_); }

  // Puts `s` at a fresh address and returns it.
  u32 Put(const std::string& s) {
    u32 at = next_;
    raw_->PutBytes(at, s);
    next_ += static_cast<u32>(s.size()) + 8;
    return at;
  }
  u32 Call(const std::string& name, std::vector<u64> args) { return raw_->Call(name, args); }
  // path_open(kDir, follow, path, oflags, base rights all, fdflags) -> fd at 60000.
  u32 Open(const std::string& path, u32 oflags, u32 fdflags = 0) {
    return Call("path_open", {kDir, 1, Put(path), path.size(), oflags, ~u64{0}, ~u64{0}, fdflags,
                              60000});
  }
  u32 OpenedFd() { return raw_->Get<u32>(60000); }

  std::string dir_;
  std::unique_ptr<RawWasi> raw_;
  u32 next_ = 1024;
};

constexpr u32 kCreat = 1, kDirectory = 2, kExcl = 4, kTrunc = 8;

TEST_F(ConformanceTest, ClocksAndPoll) {
  EXPECT_EQ(Call("clock_time_get", {99, 1, 100}), E(Errno::kInval));
  EXPECT_EQ(Call("clock_res_get", {99, 100}), E(Errno::kInval));
  // poll_oneoff with no subscriptions: EINVAL (witx: nsubscriptions > 0).
  EXPECT_EQ(Call("poll_oneoff", {100, 200, 0, 300}), E(Errno::kInval));
}

TEST_F(ConformanceTest, PathOpen) {
  ASSERT_EQ(Open("f", kCreat), E(Errno::kSuccess));
  EXPECT_EQ(Open("f", kCreat | kExcl), E(Errno::kExist));
  EXPECT_EQ(Open("f", kDirectory), E(Errno::kNotdir));
  EXPECT_EQ(Open("f/", 0), E(Errno::kNotdir));
  EXPECT_EQ(Open("missing", 0), E(Errno::kNoent));
  EXPECT_EQ(Open("missing/x", kCreat), E(Errno::kNoent));
  ASSERT_EQ(Call("path_create_directory", {kDir, Put("d"), 1}), E(Errno::kSuccess));
  EXPECT_EQ(Open("d", kCreat | kExcl), E(Errno::kExist));
  EXPECT_EQ(Open("d", kTrunc), E(Errno::kIsdir));
  EXPECT_EQ(Open("", 0), E(Errno::kNoent));
}

TEST_F(ConformanceTest, PathDirectoryFunctions) {
  ASSERT_EQ(Open("f", kCreat), E(Errno::kSuccess));
  ASSERT_EQ(Call("path_create_directory", {kDir, Put("d"), 1}), E(Errno::kSuccess));
  ASSERT_EQ(Open("d/g", kCreat), E(Errno::kSuccess));
  EXPECT_EQ(Call("path_create_directory", {kDir, Put("f"), 1}), E(Errno::kExist));
  EXPECT_EQ(Call("path_remove_directory", {kDir, Put("f"), 1}), E(Errno::kNotdir));
  EXPECT_EQ(Call("path_remove_directory", {kDir, Put("d"), 1}), E(Errno::kNotempty));
  EXPECT_EQ(Call("path_remove_directory", {kDir, Put("missing"), 7}), E(Errno::kNoent));
  EXPECT_EQ(Call("path_unlink_file", {kDir, Put("d"), 1}), E(Errno::kIsdir));
  EXPECT_EQ(Call("path_unlink_file", {kDir, Put("f/"), 2}), E(Errno::kNotdir));
  EXPECT_EQ(Call("path_rename", {kDir, Put("f"), 1, kDir, Put("d"), 1}), E(Errno::kIsdir));
  EXPECT_EQ(Call("path_rename", {kDir, Put("d"), 1, kDir, Put("f"), 1}), E(Errno::kNotdir));
  EXPECT_EQ(Call("path_rename", {kDir, Put("missing"), 7, kDir, Put("x"), 1}), E(Errno::kNoent));
  EXPECT_EQ(Call("path_link", {kDir, 0, Put("d"), 1, kDir, Put("dl"), 2}), E(Errno::kPerm));
  EXPECT_EQ(Call("path_link", {kDir, 0, Put("f"), 1, kDir, Put("d"), 1}), E(Errno::kExist));
  EXPECT_EQ(Call("path_readlink", {kDir, Put("f"), 1, 5000, 100, 5200}), E(Errno::kInval));
  EXPECT_EQ(Call("path_symlink", {Put("f"), 1, kDir, Put("d"), 1}), E(Errno::kExist));
  // Both "set to" and "set to now" for one time: EINVAL.
  EXPECT_EQ(Call("path_filestat_set_times", {kDir, 0, Put("f"), 1, 0, 0, 1 | 2}),
            E(Errno::kInval));
  EXPECT_EQ(Call("path_filestat_set_times", {kDir, 0, Put("f"), 1, 0, 0, 4 | 8}),
            E(Errno::kInval));
}

TEST_F(ConformanceTest, FdFunctions) {
  ASSERT_EQ(Open("f", kCreat), E(Errno::kSuccess));
  u32 fd = OpenedFd();
  EXPECT_EQ(Call("fd_seek", {fd, static_cast<u64>(-1), 0, 100}), E(Errno::kInval));
  EXPECT_EQ(Call("fd_seek", {fd, 0, 3, 100}), E(Errno::kInval));
  EXPECT_EQ(Call("fd_advise", {fd, 0, 0, 9}), E(Errno::kInval));
  EXPECT_EQ(Call("fd_filestat_set_times", {fd, 0, 0, 1 | 2}), E(Errno::kInval));
  EXPECT_EQ(Call("fd_fdstat_set_flags", {fd, 0x100}), E(Errno::kInval));
  EXPECT_EQ(Call("fd_prestat_get", {fd, 100}), E(Errno::kBadf));
  EXPECT_EQ(Call("fd_readdir", {fd, 100, 100, 0, 200}), E(Errno::kNotdir));
  EXPECT_EQ(Call("fd_read", {kDir, 100, 0, 200}), E(Errno::kIsdir));
  EXPECT_EQ(Call("fd_close", {99}), E(Errno::kBadf));
  EXPECT_EQ(Call("fd_renumber", {fd, 99}), E(Errno::kBadf));
  EXPECT_EQ(Call("fd_sync", {99}), E(Errno::kBadf));
  // Not sockets: ENOTSOCK for every socket function.
  EXPECT_EQ(Call("sock_shutdown", {fd, 3}), E(Errno::kNotsock));
  EXPECT_EQ(Call("sock_accept", {fd, 0, 100}), E(Errno::kNotsock));
  EXPECT_EQ(Call("sock_recv", {fd, 100, 0, 0, 200, 204}), E(Errno::kNotsock));
  EXPECT_EQ(Call("sock_send", {fd, 100, 0, 0, 200}), E(Errno::kNotsock));
  EXPECT_EQ(Call("sock_shutdown", {kDir, 3}), E(Errno::kNotsock));
  EXPECT_EQ(Call("sock_shutdown", {99, 3}), E(Errno::kBadf));
}

TEST_F(ConformanceTest, ProcAndSched) {
  EXPECT_EQ(Call("proc_raise", {9}), E(Errno::kNosys));
  EXPECT_EQ(Call("sched_yield", {}), E(Errno::kSuccess));
  EXPECT_EQ(Call("random_get", {100, 0}), E(Errno::kSuccess));
  EXPECT_EQ(Call("random_get", {kRawMemorySize - 4, 8}), E(Errno::kFault));
}

}  // namespace
}  // namespace deja::wasi
