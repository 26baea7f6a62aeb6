// fd_* handlers called with raw arguments: the error paths wasi-libc never
// takes (bad descriptors, out-of-bounds pointers, too many iovecs, missing
// rights) and the exact results of the normal ones.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "wasi/raw_call_test_util.h"
#include "wasi/rights.h"

namespace deja::wasi {
namespace {

using testing::RawWasi;

constexpr u32 E(Errno e) { return static_cast<u32>(e); }

WasiConfig NoStdio() {
  WasiConfig c;
  c.stdin_fd = c.stdout_fd = c.stderr_fd = -1;
  return c;
}

class FdRawTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(raw_.ok());
    char name[] = "/tmp/deja_fd_raw_XXXXXX";
    int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    path_ = name;
    file_ = Add(fd, FileType::kRegularFile);
  }
  void TearDown() override { unlink(path_.c_str()); }

  // Adds a host descriptor as a guest one with the usual rights for `type`.
  u32 Add(int host_fd, FileType type) {
    FdEntry e;
    e.host_fd = host_fd;
    e.type = type;
    e.rights_base = BaseRights(type, false);
    e.rights_inheriting = InheritingRights(type, false);
    u32 fd = 0;
    EXPECT_EQ(raw_.ctx().fds.Insert(std::move(e), &fd), Errno::kSuccess);
    return fd;
  }
  // A pipe as two guest descriptors: {read end, write end}.
  std::pair<u32, u32> Pipe() {
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    return {Add(p[0], FileType::kUnknown), Add(p[1], FileType::kUnknown)};
  }
  off_t HostSize() {
    struct stat st;
    EXPECT_EQ(stat(path_.c_str(), &st), 0);
    return st.st_size;
  }
  // Writes `text` at guest address 1000 and an iovec for it at 100.
  u32 Write(u32 fd, const std::string& text) {
    raw_.PutBytes(1000, text);
    raw_.PutIovecs(100, {{1000, static_cast<u32>(text.size())}});
    return raw_.Call("fd_write", {fd, 100, 1, 200});
  }

  RawWasi raw_{NoStdio()};
  std::string path_;
  u32 file_ = 0;
};

TEST_F(FdRawTest, WriteSeekReadRoundTrip) {
  raw_.PutBytes(1000, "hello, world");
  raw_.PutIovecs(100, {{1000, 5}, {1005, 7}});
  ASSERT_EQ(raw_.Call("fd_write", {file_, 100, 2, 200}), 0u);
  EXPECT_EQ(raw_.Get<u32>(200), 12u);
  ASSERT_EQ(raw_.Call("fd_tell", {file_, 208}), 0u);
  EXPECT_EQ(raw_.Get<u64>(208), 12u);
  ASSERT_EQ(raw_.Call("fd_seek", {file_, 0, 0, 208}), 0u);
  EXPECT_EQ(raw_.Get<u64>(208), 0u);
  raw_.PutIovecs(100, {{2000, 3}, {3000, 100}});
  ASSERT_EQ(raw_.Call("fd_read", {file_, 100, 2, 200}), 0u);
  EXPECT_EQ(raw_.Get<u32>(200), 12u);
  EXPECT_EQ(raw_.GetBytes(2000, 3), "hel");
  EXPECT_EQ(raw_.GetBytes(3000, 9), "lo, world");
  ASSERT_EQ(raw_.Call("fd_read", {file_, 100, 2, 200}), 0u);
  EXPECT_EQ(raw_.Get<u32>(200), 0u) << "end of file";
}

TEST_F(FdRawTest, PreadAndPwriteLeaveThePositionAlone) {
  ASSERT_EQ(Write(file_, "0123456789"), 0u);
  raw_.PutBytes(1000, "AB");
  raw_.PutIovecs(100, {{1000, 2}});
  ASSERT_EQ(raw_.Call("fd_pwrite", {file_, 100, 1, 4, 200}), 0u);
  EXPECT_EQ(raw_.Get<u32>(200), 2u);
  raw_.PutIovecs(100, {{2000, 4}});
  ASSERT_EQ(raw_.Call("fd_pread", {file_, 100, 1, 3, 200}), 0u);
  EXPECT_EQ(raw_.Get<u32>(200), 4u);
  EXPECT_EQ(raw_.GetBytes(2000, 4), "3AB6");
  ASSERT_EQ(raw_.Call("fd_tell", {file_, 208}), 0u);
  EXPECT_EQ(raw_.Get<u64>(208), 10u);
}

TEST_F(FdRawTest, BadDescriptorsAreEbadf) {
  raw_.PutIovecs(100, {{1000, 1}});
  for (u64 fd : {u64{77}, u64{file_ + 1}, u64{0xffffffff}}) {
    EXPECT_EQ(raw_.Call("fd_write", {fd, 100, 1, 200}), E(Errno::kBadf));
    EXPECT_EQ(raw_.Call("fd_read", {fd, 100, 1, 200}), E(Errno::kBadf));
    EXPECT_EQ(raw_.Call("fd_seek", {fd, 0, 0, 200}), E(Errno::kBadf));
    EXPECT_EQ(raw_.Call("fd_fdstat_get", {fd, 200}), E(Errno::kBadf));
    EXPECT_EQ(raw_.Call("fd_filestat_get", {fd, 200}), E(Errno::kBadf));
    EXPECT_EQ(raw_.Call("fd_sync", {fd}), E(Errno::kBadf));
    EXPECT_EQ(raw_.Call("fd_close", {fd}), E(Errno::kBadf));
  }
  ASSERT_EQ(raw_.Call("fd_close", {file_}), 0u);
  EXPECT_EQ(raw_.Call("fd_close", {file_}), E(Errno::kBadf)) << "closed twice";
  EXPECT_EQ(raw_.Call("fd_write", {file_, 100, 1, 200}), E(Errno::kBadf));
}

TEST_F(FdRawTest, OutOfBoundsPointersAreEfaultAndDoNoIo) {
  raw_.PutBytes(1000, "x");
  // The iovec array itself past the end of memory.
  EXPECT_EQ(raw_.Call("fd_write", {file_, 65532, 1, 200}), E(Errno::kFault));
  // A buffer running past the end; the first iovec is fine.
  raw_.PutIovecs(100, {{1000, 1}, {65000, 1000}});
  EXPECT_EQ(raw_.Call("fd_write", {file_, 100, 2, 200}), E(Errno::kFault));
  // A buffer whose pointer + length overflows 32 bits.
  raw_.PutIovecs(100, {{0xfffffff0u, 0x20}});
  EXPECT_EQ(raw_.Call("fd_write", {file_, 100, 1, 200}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("fd_read", {file_, 100, 1, 200}), E(Errno::kFault));
  // The result pointer out of bounds: checked before writing.
  raw_.PutIovecs(100, {{1000, 1}});
  EXPECT_EQ(raw_.Call("fd_write", {file_, 100, 1, 65534}), E(Errno::kFault));
  EXPECT_EQ(HostSize(), 0) << "no byte may be written when the call fails";
  EXPECT_EQ(raw_.Call("fd_seek", {file_, 0, 0, 65530}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("fd_tell", {file_, 70000}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("fd_fdstat_get", {file_, 65520}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("fd_filestat_get", {file_, 65500}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("fd_pread", {file_, 100, 1, 0, 65533}), E(Errno::kFault));
}

TEST_F(FdRawTest, IovecCountIsCapped) {
  // 1025 zero-length iovecs fit in memory but exceed the cap.
  for (u32 i = 0; i < 1025; ++i) raw_.PutIovecs(8 * i, {{0, 0}});
  EXPECT_EQ(raw_.Call("fd_write", {file_, 0, 1025, 60000}), E(Errno::kInval));
  EXPECT_EQ(raw_.Call("fd_write", {file_, 0, 1024, 60000}), 0u);
  EXPECT_EQ(raw_.Get<u32>(60000), 0u);
  EXPECT_EQ(raw_.Call("fd_read", {file_, 0, 0xffffffffu, 60000}), E(Errno::kInval));
}

TEST_F(FdRawTest, SeekErrors) {
  ASSERT_EQ(Write(file_, "abc"), 0u);
  EXPECT_EQ(raw_.Call("fd_seek", {file_, 0, 3, 200}), E(Errno::kInval)) << "bad whence";
  EXPECT_EQ(raw_.Call("fd_seek", {file_, static_cast<u64>(-10), 1, 200}), E(Errno::kInval))
      << "negative result";
  ASSERT_EQ(raw_.Call("fd_seek", {file_, static_cast<u64>(-1), 2, 200}), 0u);
  EXPECT_EQ(raw_.Get<u64>(200), 2u);
  auto [r, w] = Pipe();
  EXPECT_EQ(raw_.Call("fd_seek", {r, 0, 0, 200}), E(Errno::kSpipe));
  EXPECT_EQ(raw_.Call("fd_tell", {w, 200}), E(Errno::kSpipe));
  raw_.PutIovecs(100, {{1000, 1}});
  EXPECT_EQ(raw_.Call("fd_pread", {r, 100, 1, 0, 200}), E(Errno::kSpipe));
  EXPECT_EQ(raw_.Call("fd_pwrite", {w, 100, 1, 0, 200}), E(Errno::kSpipe));
}

TEST_F(FdRawTest, RightsCanOnlyShrinkAndAreEnforced) {
  ASSERT_EQ(raw_.Call("fd_fdstat_get", {file_, 300}), 0u);
  EXPECT_EQ(raw_.Get<u8>(300), static_cast<u8>(FileType::kRegularFile));
  u64 base = raw_.Get<u64>(308);
  EXPECT_EQ(base, rights::kFile);
  u64 reduced = base & ~(rights::kFdWrite | rights::kFdSeek);
  ASSERT_EQ(raw_.Call("fd_fdstat_set_rights", {file_, reduced, 0}), 0u);
  EXPECT_EQ(Write(file_, "x"), E(Errno::kNotcapable));
  EXPECT_EQ(raw_.Call("fd_seek", {file_, 1, 0, 200}), E(Errno::kNotcapable));
  EXPECT_EQ(raw_.Call("fd_tell", {file_, 200}), 0u) << "tell needs only the tell right";
  EXPECT_EQ(raw_.Call("fd_fdstat_set_rights", {file_, base, 0}), E(Errno::kNotcapable));
  EXPECT_EQ(raw_.Call("fd_fdstat_set_rights", {file_, reduced, rights::kFdRead}),
            E(Errno::kNotcapable));
  ASSERT_EQ(raw_.Call("fd_fdstat_get", {file_, 300}), 0u);
  EXPECT_EQ(raw_.Get<u64>(308), reduced);
  ASSERT_EQ(raw_.Call("fd_fdstat_set_rights", {file_, 0, 0}), 0u);
  EXPECT_EQ(raw_.Call("fd_sync", {file_}), E(Errno::kNotcapable));
  EXPECT_EQ(raw_.Call("fd_filestat_get", {file_, 300}), E(Errno::kNotcapable));
  EXPECT_EQ(raw_.Call("fd_filestat_set_size", {file_, 0}), E(Errno::kNotcapable));
  EXPECT_EQ(raw_.Call("fd_advise", {file_, 0, 0, 0}), E(Errno::kNotcapable));
  EXPECT_EQ(raw_.Call("fd_allocate", {file_, 0, 1}), E(Errno::kNotcapable));
  EXPECT_EQ(raw_.Call("fd_fdstat_set_flags", {file_, 0}), E(Errno::kNotcapable));
}

TEST_F(FdRawTest, AppendFlagAppendsAfterSeeking) {
  ASSERT_EQ(Write(file_, "abc"), 0u);
  ASSERT_EQ(raw_.Call("fd_fdstat_set_flags", {file_, kFdflagAppend}), 0u);
  ASSERT_EQ(raw_.Call("fd_fdstat_get", {file_, 300}), 0u);
  EXPECT_EQ(raw_.Get<u16>(302), kFdflagAppend);
  ASSERT_EQ(raw_.Call("fd_seek", {file_, 0, 0, 200}), 0u);
  ASSERT_EQ(Write(file_, "de"), 0u);
  EXPECT_EQ(HostSize(), 5);
  EXPECT_EQ(raw_.Call("fd_fdstat_set_flags", {file_, kFdflagSync}), E(Errno::kNotsup));
  EXPECT_EQ(raw_.Call("fd_fdstat_set_flags", {file_, 0x40}), E(Errno::kInval));
}

TEST_F(FdRawTest, NonblockingPipeReadIsEagain) {
  auto [r, w] = Pipe();
  ASSERT_EQ(raw_.Call("fd_fdstat_set_flags", {r, kFdflagNonblock}), 0u);
  raw_.PutIovecs(100, {{1000, 10}});
  EXPECT_EQ(raw_.Call("fd_read", {r, 100, 1, 200}), E(Errno::kAgain));
  ASSERT_EQ(Write(w, "ping"), 0u);
  raw_.PutIovecs(100, {{1000, 10}});
  ASSERT_EQ(raw_.Call("fd_read", {r, 100, 1, 200}), 0u);
  EXPECT_EQ(raw_.Get<u32>(200), 4u);
  EXPECT_EQ(raw_.GetBytes(1000, 4), "ping");
}

TEST_F(FdRawTest, FilestatSizeAndTimes) {
  ASSERT_EQ(Write(file_, "0123456789"), 0u);
  ASSERT_EQ(raw_.Call("fd_filestat_get", {file_, 400}), 0u);
  EXPECT_EQ(raw_.Get<u8>(416), static_cast<u8>(FileType::kRegularFile));
  EXPECT_EQ(raw_.Get<u64>(424), 1u) << "nlink";
  EXPECT_EQ(raw_.Get<u64>(432), 10u) << "size";
  ASSERT_EQ(raw_.Call("fd_filestat_set_size", {file_, 3}), 0u);
  EXPECT_EQ(HostSize(), 3);
  const u64 t = 1'000'000'000ull * 1'600'000'000ull + 123;
  ASSERT_EQ(raw_.Call("fd_filestat_set_times", {file_, t, t + 1000, kFstflagAtim | kFstflagMtim}),
            0u);
  ASSERT_EQ(raw_.Call("fd_filestat_get", {file_, 400}), 0u);
  EXPECT_EQ(raw_.Get<u64>(440), t) << "atim";
  EXPECT_EQ(raw_.Get<u64>(448), t + 1000) << "mtim";
  ASSERT_EQ(raw_.Call("fd_filestat_set_times", {file_, 0, 0, kFstflagMtimNow}), 0u);
  ASSERT_EQ(raw_.Call("fd_filestat_get", {file_, 400}), 0u);
  EXPECT_EQ(raw_.Get<u64>(440), t) << "atim untouched";
  EXPECT_GT(raw_.Get<u64>(448), t + 1000);
  EXPECT_EQ(raw_.Call("fd_filestat_set_times", {file_, 0, 0, kFstflagAtim | kFstflagAtimNow}),
            E(Errno::kInval));
  EXPECT_EQ(raw_.Call("fd_filestat_set_times", {file_, 0, 0, kFstflagMtim | kFstflagMtimNow}),
            E(Errno::kInval));
  EXPECT_EQ(raw_.Call("fd_filestat_set_times", {file_, 0, 0, 0x10}), E(Errno::kInval));
}

TEST_F(FdRawTest, AdviseAllocateSync) {
  EXPECT_EQ(raw_.Call("fd_advise", {file_, 0, 100, 1}), 0u);
  EXPECT_EQ(raw_.Call("fd_advise", {file_, 0, 100, 6}), E(Errno::kInval));
  EXPECT_EQ(raw_.Call("fd_allocate", {file_, 0, 0}), E(Errno::kInval));
  ASSERT_EQ(raw_.Call("fd_allocate", {file_, 10, 90}), 0u);
  EXPECT_EQ(HostSize(), 100);
  EXPECT_EQ(raw_.Call("fd_sync", {file_}), 0u);
  EXPECT_EQ(raw_.Call("fd_datasync", {file_}), 0u);
}

TEST_F(FdRawTest, RenumberMovesAndClosesTheTarget) {
  auto [r, w] = Pipe();
  EXPECT_EQ(raw_.Call("fd_renumber", {r, 90}), E(Errno::kBadf)) << "target not open";
  EXPECT_EQ(raw_.Call("fd_renumber", {90, r}), E(Errno::kBadf)) << "source not open";
  EXPECT_EQ(raw_.Call("fd_renumber", {r, r}), 0u);
  ASSERT_EQ(raw_.Call("fd_renumber", {file_, w}), 0u);
  EXPECT_EQ(raw_.Call("fd_fdstat_get", {file_, 300}), E(Errno::kBadf));
  ASSERT_EQ(raw_.Call("fd_fdstat_get", {w, 300}), 0u);
  EXPECT_EQ(raw_.Get<u8>(300), static_cast<u8>(FileType::kRegularFile));
  ASSERT_EQ(Write(w, "moved"), 0u);
  EXPECT_EQ(HostSize(), 5);
  // The pipe's write end was closed: reading its other end sees end of file.
  raw_.PutIovecs(100, {{1000, 10}});
  ASSERT_EQ(raw_.Call("fd_read", {r, 100, 1, 200}), 0u);
  EXPECT_EQ(raw_.Get<u32>(200), 0u);
}

TEST_F(FdRawTest, DirectoriesAreNotReadOrWritten) {
  int dir = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  u32 fd = Add(dir, FileType::kDirectory);
  raw_.PutIovecs(100, {{1000, 10}});
  EXPECT_EQ(raw_.Call("fd_read", {fd, 100, 1, 200}), E(Errno::kIsdir));
  EXPECT_EQ(raw_.Call("fd_write", {fd, 100, 1, 200}), E(Errno::kIsdir));
  EXPECT_EQ(raw_.Call("fd_filestat_set_size", {fd, 0}), E(Errno::kNotcapable));
  ASSERT_EQ(raw_.Call("fd_filestat_get", {fd, 400}), 0u);
  EXPECT_EQ(raw_.Get<u8>(416), static_cast<u8>(FileType::kDirectory));
}

TEST_F(FdRawTest, DescriptorCapIsEnforced) {
  WasiConfig config = NoStdio();
  config.max_fds = 2;
  RawWasi small(config);
  FdTable& fds = small.ctx().fds;
  u32 fd;
  ASSERT_EQ(fds.Insert(FdEntry{}, &fd), Errno::kSuccess);
  ASSERT_EQ(fds.Insert(FdEntry{}, &fd), Errno::kSuccess);
  EXPECT_EQ(fds.Insert(FdEntry{}, &fd), Errno::kNfile);
  ASSERT_EQ(small.Call("fd_close", {0}), 0u);
  EXPECT_EQ(fds.Insert(FdEntry{}, &fd), Errno::kSuccess);
  EXPECT_EQ(fd, 0u) << "the lowest free number is reused";
}

}  // namespace
}  // namespace deja::wasi
