#include <gtest/gtest.h>

#include "timemachine/trace.h"
#include "timemachine/trace_internal.h"
#include "timemachine/trace_test_util.h"

namespace deja::tm {
namespace {

using testing::AddRead;
using testing::AddWrite;
using testing::Le32;

MemoryLookup NoMemory() {
  return [](u32, u32) -> std::optional<std::span<const u8>> { return std::nullopt; };
}

TEST(FormatCallTest, PathOpenDecodesFlagsAndPath) {
  CallRecord rec;
  rec.args = {3, 1, 0x500, 11, 1 | 8, 0x1fffffff, 0x3f, 1 | 4, 0x1ff8};
  AddRead(rec, 0x500, std::string_view("data/in.txt"));
  EXPECT_EQ(FormatCall("path_open", rec.args, RecordMemory(rec)),
            "path_open(fd=3, dirflags=SYMLINK_FOLLOW, path=\"data/in.txt\", oflags=CREAT|TRUNC, "
            "rights_base=0x1fffffff, rights_inheriting=0x3f, fdflags=APPEND|NONBLOCK, "
            "fd_out->0x1ff8)");
}

TEST(FormatCallTest, PathUnknownWithoutMemory) {
  std::vector<u64> args = {3, 0x500, 4};
  EXPECT_EQ(FormatCall("path_unlink_file", args, NoMemory()),
            "path_unlink_file(fd=3, path=0x500[4])");
}

TEST(FormatCallTest, StringsAreEscapedAndCut) {
  CallRecord rec;
  std::string path = "a\"b\\c\n\x01";
  path += std::string(100, 'x');
  rec.args = {3, 0x500, path.size()};
  AddRead(rec, 0x500, path);
  std::string s = FormatCall("path_create_directory", rec.args, RecordMemory(rec));
  EXPECT_EQ(s, "path_create_directory(fd=3, path=\"a\\\"b\\\\c\\n\\x01" + std::string(57, 'x') +
                   "\"...)");
}

TEST(FormatCallTest, LookupFindsBytesInsideMergedOps) {
  CallRecord rec;
  rec.args = {3, 0x504, 2};
  AddRead(rec, 0x500, std::string_view("xxxxhi!"));
  EXPECT_EQ(FormatCall("path_unlink_file", rec.args, RecordMemory(rec)),
            "path_unlink_file(fd=3, path=\"hi\")");
}

TEST(FormatCallTest, IovecsShowTotals) {
  CallRecord rec;
  rec.args = {1, 0x100, 2, 0x200};
  AddRead(rec, 0x100, Le32({0x1000, 5, 0x2000, 8}));
  EXPECT_EQ(FormatCall("fd_write", rec.args, RecordMemory(rec)),
            "fd_write(fd=1, iovs=[13 bytes in 2 bufs], nwritten->0x200)");
  EXPECT_EQ(FormatCall("fd_read", rec.args, NoMemory()),
            "fd_read(fd=1, iovs=0x100[2], nread->0x200)");
}

TEST(FormatCallTest, EnumsAndSignedValues) {
  std::vector<u64> clock = {1, 1000, 0x300};
  EXPECT_EQ(FormatCall("clock_time_get", clock, NoMemory()),
            "clock_time_get(id=MONOTONIC, precision=1000, time->0x300)");
  std::vector<u64> seek = {4, static_cast<u64>(-16), 2, 0x300};
  EXPECT_EQ(FormatCall("fd_seek", seek, NoMemory()),
            "fd_seek(fd=4, offset=-16, whence=END, newoffset->0x300)");
  std::vector<u64> exit = {0xffffffff};
  EXPECT_EQ(FormatCall("proc_exit", exit, NoMemory()), "proc_exit(rval=-1)");
  std::vector<u64> flags = {4, 0x40};
  EXPECT_EQ(FormatCall("fd_fdstat_set_flags", flags, NoMemory()),
            "fd_fdstat_set_flags(fd=4, flags=0x40)");
  std::vector<u64> open = {2, 2, 0x10};
  EXPECT_EQ(FormatCall("sock_open_v2", open, NoMemory()),
            "sock_open_v2(af=INET6, socktype=STREAM, fd_out->0x10)");
  EXPECT_EQ(FormatCall("sched_yield", {}, NoMemory()), "sched_yield()");
}

TEST(FormatCallTest, SocketAddress) {
  CallRecord rec;
  rec.args = {5, 0x100, 8080};
  AddRead(rec, 0x100, Le32({0x200, 4}));
  std::vector<u8> ip = {127, 0, 0, 1};
  AddRead(rec, 0x200, ip);
  EXPECT_EQ(FormatCall("sock_connect", rec.args, RecordMemory(rec)),
            "sock_connect(fd=5, addr=127.0.0.1, port=8080)");
}

TEST(FormatCallTest, UnknownAndMismatchedCallsAreGeneric) {
  std::vector<u64> args = {1, 0x12345};
  EXPECT_EQ(FormatCall("mystery", args, NoMemory()), "mystery(a0=1, a1=0x12345)");
  EXPECT_EQ(FormatCall("fd_close", args, NoMemory()), "fd_close(a0=1, a1=0x12345)");
}

TEST(FormatCallTest, EffectOfTransfersAndNewFds) {
  CallRecord read = testing::ReadCall(0, 0, 5, "hello");
  internal::CallEffect e = internal::DecodeEffect("fd_read", read);
  ASSERT_TRUE(e.transferred.has_value());
  EXPECT_EQ(*e.transferred, 5u);
  EXPECT_TRUE(e.inbound);
  EXPECT_EQ(e.fd, 5u);
  CallRecord accept = testing::AcceptCall(0, 0, 3, 7);
  EXPECT_EQ(internal::DecodeEffect("sock_accept_v2", accept).new_fd, 7u);
  CallRecord failed = accept;
  failed.result = 8;
  EXPECT_FALSE(internal::DecodeEffect("sock_accept", failed).new_fd.has_value());
  CallRecord clock = testing::Call(0, 0, {0, 1, 0x300});
  AddWrite(clock, 0x300, testing::Le64(1234567890123));
  EXPECT_EQ(internal::DecodeEffect("clock_time_get", clock).time, 1234567890123u);
}

TEST(FormatCallTest, GatherStopsAtCount) {
  CallRecord rec;
  AddRead(rec, 0x100, Le32({0x1000, 3, 0x2000, 10}));
  AddWrite(rec, 0x1000, std::string_view("abc"));
  AddWrite(rec, 0x2000, std::string_view("defg"));
  auto got = internal::GatherIovecs(RecordMemory(rec), internal::WrittenMemory(rec), 0x100, 2, 5);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(std::string(got->begin(), got->end()), "abcde");
  EXPECT_FALSE(internal::GatherIovecs(RecordMemory(rec), internal::WrittenMemory(rec), 0x100, 2, 9)
                   .has_value());
  EXPECT_EQ(internal::ErrnoText(0), "SUCCESS");
  EXPECT_EQ(internal::ErrnoText(8), "EBADF");
}

}  // namespace
}  // namespace deja::tm
