// Process functions (args, environ, clocks, random, exit, yield,
// poll_oneoff) called with raw arguments, and proof that clocks, randomness
// and sleeping go through the System and nowhere else.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "wasi/raw_call_test_util.h"
#include "wasi/rights.h"

namespace deja::wasi {
namespace {

using testing::RawWasi;

constexpr u32 E(Errno e) { return static_cast<u32>(e); }

// A System with a hand-driven clock, predictable randomness and sleeps that
// only advance the clock; everything else is the real one. Tests check that
// WASI results come from here.
class FakeClockSystem final : public System {
 public:
  u64 now = 1'000'000'000'000;  // every clock reads this
  std::vector<u64> sleeps;
  std::vector<int> poll_timeouts;
  int yields = 0;

  Errno ClockTimeGet(u32 clock_id, u64, u64* out) override {
    if (clock_id > 3) return Errno::kInval;
    *out = now + clock_id;  // distinct per clock, to see which one was read
    return Errno::kSuccess;
  }
  Errno ClockResGet(u32 clock_id, u64* out) override {
    if (clock_id > 3) return Errno::kInval;
    *out = 1000 + clock_id;
    return Errno::kSuccess;
  }
  Errno RandomGet(std::span<u8> out) override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<u8>(i * 7 + 1);
    return Errno::kSuccess;
  }
  void Sleep(u64 nanoseconds) override {
    sleeps.push_back(nanoseconds);
    now += nanoseconds;
  }
  void SchedYield() override { ++yields; }
  Errno Poll(std::span<pollfd> fds, int timeout_ms, int* out_ready) override {
    poll_timeouts.push_back(timeout_ms);
    // Never block: look at the descriptors as they are now.
    Errno e = real_->Poll(fds, 0, out_ready);
    if (*out_ready == 0 && timeout_ms > 0) now += u64(timeout_ms) * 1'000'000;
    return e;
  }

  Errno OpenDirectory(const std::string& host_path, int* out_fd) override {
    return real_->OpenDirectory(host_path, out_fd);
  }
  Errno OpenBeneath(int dirfd, const std::string& path, int flags, mode_t mode, int* out_fd) override {
    return real_->OpenBeneath(dirfd, path, flags, mode, out_fd);
  }
  Errno Close(int fd) override {
    return real_->Close(fd);
  }
  Errno Readv(int fd, std::span<const iovec> iov, size_t* out) override {
    return real_->Readv(fd, iov, out);
  }
  Errno Writev(int fd, std::span<const iovec> iov, size_t* out) override {
    return real_->Writev(fd, iov, out);
  }
  Errno Preadv(int fd, std::span<const iovec> iov, u64 offset, size_t* out) override {
    return real_->Preadv(fd, iov, offset, out);
  }
  Errno Pwritev(int fd, std::span<const iovec> iov, u64 offset, size_t* out) override {
    return real_->Pwritev(fd, iov, offset, out);
  }
  Errno Seek(int fd, i64 offset, int whence, u64* out) override {
    return real_->Seek(fd, offset, whence, out);
  }
  Errno Sync(int fd) override {
    return real_->Sync(fd);
  }
  Errno Datasync(int fd) override {
    return real_->Datasync(fd);
  }
  Errno Advise(int fd, u64 offset, u64 len, int advice) override {
    return real_->Advise(fd, offset, len, advice);
  }
  Errno Allocate(int fd, u64 offset, u64 len) override {
    return real_->Allocate(fd, offset, len);
  }
  Errno GetFlags(int fd, int* out) override {
    return real_->GetFlags(fd, out);
  }
  Errno SetFlags(int fd, int flags) override {
    return real_->SetFlags(fd, flags);
  }
  Errno Fstat(int fd, struct stat* out) override {
    return real_->Fstat(fd, out);
  }
  Errno Ftruncate(int fd, u64 size) override {
    return real_->Ftruncate(fd, size);
  }
  Errno Futimens(int fd, const timespec times[2]) override {
    return real_->Futimens(fd, times);
  }
  Errno ReadDir(int fd, std::span<u8> buf, size_t* out) override {
    return real_->ReadDir(fd, buf, out);
  }
  Errno MkdirAt(int dirfd, const std::string& name, mode_t mode) override {
    return real_->MkdirAt(dirfd, name, mode);
  }
  Errno UnlinkAt(int dirfd, const std::string& name, int flags) override {
    return real_->UnlinkAt(dirfd, name, flags);
  }
  Errno RenameAt(int old_dirfd, const std::string& old_name, int new_dirfd, const std::string& new_name) override {
    return real_->RenameAt(old_dirfd, old_name, new_dirfd, new_name);
  }
  Errno SymlinkAt(const std::string& target, int dirfd, const std::string& name) override {
    return real_->SymlinkAt(target, dirfd, name);
  }
  Errno ReadlinkAt(int dirfd, const std::string& name, std::string* out) override {
    return real_->ReadlinkAt(dirfd, name, out);
  }
  Errno LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd, const std::string& new_name, int flags) override {
    return real_->LinkAt(old_dirfd, old_name, new_dirfd, new_name, flags);
  }
  Errno FstatAt(int dirfd, const std::string& name, struct stat* out, int flags) override {
    return real_->FstatAt(dirfd, name, out, flags);
  }
  Errno UtimensAt(int dirfd, const std::string& name, const timespec times[2], int flags) override {
    return real_->UtimensAt(dirfd, name, times, flags);
  }
  Errno Socket(int domain, int type, int protocol, int* out_fd) override {
    return real_->Socket(domain, type, protocol, out_fd);
  }
  Errno Bind(int fd, const sockaddr* addr, socklen_t len) override {
    return real_->Bind(fd, addr, len);
  }
  Errno Listen(int fd, int backlog) override {
    return real_->Listen(fd, backlog);
  }
  Errno Accept(int fd, int flags, int* out_fd) override {
    return real_->Accept(fd, flags, out_fd);
  }
  Errno Connect(int fd, const sockaddr* addr, socklen_t len) override {
    return real_->Connect(fd, addr, len);
  }
  Errno Recv(int fd, std::span<const iovec> iov, int flags, size_t* out, int* out_msg_flags) override {
    return real_->Recv(fd, iov, flags, out, out_msg_flags);
  }
  Errno Send(int fd, std::span<const iovec> iov, int flags, size_t* out) override {
    return real_->Send(fd, iov, flags, out);
  }
  Errno RecvFrom(int fd, std::span<const iovec> iov, int flags, sockaddr_storage* from, socklen_t* from_len, size_t* out) override {
    return real_->RecvFrom(fd, iov, flags, from, from_len, out);
  }
  Errno SendTo(int fd, std::span<const iovec> iov, int flags, const sockaddr* to, socklen_t to_len, size_t* out) override {
    return real_->SendTo(fd, iov, flags, to, to_len, out);
  }
  Errno Shutdown(int fd, int how) override {
    return real_->Shutdown(fd, how);
  }
  Errno GetSockName(int fd, sockaddr_storage* out, socklen_t* len) override {
    return real_->GetSockName(fd, out, len);
  }
  Errno GetPeerName(int fd, sockaddr_storage* out, socklen_t* len) override {
    return real_->GetPeerName(fd, out, len);
  }
  Errno GetSockOpt(int fd, int level, int name, void* value, socklen_t* len) override {
    return real_->GetSockOpt(fd, level, name, value, len);
  }
  Errno SetSockOpt(int fd, int level, int name, const void* value, socklen_t len) override {
    return real_->SetSockOpt(fd, level, name, value, len);
  }
  Errno GetAddrInfo(const std::string& host, const std::string& service, int family, int socktype, std::vector<sockaddr_storage>* out) override {
    return real_->GetAddrInfo(host, service, family, socktype, out);
  }

 private:
  std::shared_ptr<System> real_ = MakePosixSystem();
};

WasiConfig NoStdio() {
  WasiConfig c;
  c.stdin_fd = c.stdout_fd = c.stderr_fd = -1;
  return c;
}

// Writes a clock subscription (layout: userdata @0, tag @8, id @16,
// timeout @24, precision @32, flags @40) at `at`.
void PutClockSub(RawWasi& raw, u32 at, u64 userdata, u32 clock, u64 timeout, u16 flags) {
  for (u32 i = 0; i < 48; i += 8) raw.Put<u64>(at + i, 0);
  raw.Put<u64>(at, userdata);
  raw.Put<u8>(at + 8, 0);
  raw.Put<u32>(at + 16, clock);
  raw.Put<u64>(at + 24, timeout);
  raw.Put<u16>(at + 40, flags);
}
void PutFdSub(RawWasi& raw, u32 at, u64 userdata, u8 type, u32 fd) {
  for (u32 i = 0; i < 48; i += 8) raw.Put<u64>(at + i, 0);
  raw.Put<u64>(at, userdata);
  raw.Put<u8>(at + 8, type);
  raw.Put<u32>(at + 16, fd);
}

class ProcRawTest : public ::testing::Test {
 protected:
  WasiConfig Config() {
    WasiConfig c = NoStdio();
    c.args = {"prog", "one", ""};
    c.env = {"A=1", "LONGER=value"};
    return c;
  }
  std::shared_ptr<FakeClockSystem> sys_ = std::make_shared<FakeClockSystem>();
  RawWasi raw_{Config(), sys_};
};

TEST_F(ProcRawTest, ArgsAndEnviron) {
  ASSERT_EQ(raw_.Call("args_sizes_get", {100, 104}), 0u);
  EXPECT_EQ(raw_.Get<u32>(100), 3u);
  EXPECT_EQ(raw_.Get<u32>(104), 10u);  // "prog\0one\0\0"
  ASSERT_EQ(raw_.Call("args_get", {200, 300}), 0u);
  EXPECT_EQ(raw_.Get<u32>(200), 300u);
  EXPECT_EQ(raw_.Get<u32>(204), 305u);
  EXPECT_EQ(raw_.Get<u32>(208), 309u);
  EXPECT_EQ(raw_.GetBytes(300, 10), std::string("prog\0one\0\0", 10));
  ASSERT_EQ(raw_.Call("environ_sizes_get", {100, 104}), 0u);
  EXPECT_EQ(raw_.Get<u32>(100), 2u);
  EXPECT_EQ(raw_.Get<u32>(104), 17u);
  ASSERT_EQ(raw_.Call("environ_get", {200, 400}), 0u);
  EXPECT_EQ(raw_.Get<u32>(204), 404u);
  EXPECT_EQ(raw_.GetBytes(400, 17), std::string("A=1\0LONGER=value\0", 17));
}

TEST_F(ProcRawTest, ArgsOutOfBoundsIsEfaultAndWritesNothing) {
  raw_.Put<u32>(200, 0xdeadbeef);
  EXPECT_EQ(raw_.Call("args_get", {200, 65530}), E(Errno::kFault)) << "strings past the end";
  EXPECT_EQ(raw_.Get<u32>(200), 0xdeadbeefu) << "no pointer written";
  EXPECT_EQ(raw_.Call("args_get", {65532, 300}), E(Errno::kFault)) << "pointers past the end";
  EXPECT_EQ(raw_.Call("args_sizes_get", {100, 65533}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("environ_get", {0xfffffffc, 300}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("environ_sizes_get", {70000, 100}), E(Errno::kFault));
}

TEST_F(ProcRawTest, ClocksComeFromTheSystem) {
  for (u32 id = 0; id < 4; ++id) {
    ASSERT_EQ(raw_.Call("clock_time_get", {id, 1, 100}), 0u) << id;
    EXPECT_EQ(raw_.Get<u64>(100), sys_->now + id);
    ASSERT_EQ(raw_.Call("clock_res_get", {id, 100}), 0u) << id;
    EXPECT_EQ(raw_.Get<u64>(100), 1000u + id);
  }
  EXPECT_EQ(raw_.Call("clock_time_get", {4, 0, 100}), E(Errno::kInval));
  EXPECT_EQ(raw_.Call("clock_res_get", {99, 100}), E(Errno::kInval));
  EXPECT_EQ(raw_.Call("clock_time_get", {0, 0, 65529}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("clock_res_get", {0, 65529}), E(Errno::kFault));
}

TEST_F(ProcRawTest, RandomComesFromTheSystem) {
  ASSERT_EQ(raw_.Call("random_get", {100, 16}), 0u);
  for (u32 i = 0; i < 16; ++i) EXPECT_EQ(raw_.Get<u8>(100 + i), static_cast<u8>(i * 7 + 1));
  EXPECT_EQ(raw_.Call("random_get", {65530, 7}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("random_get", {65536, 0}), 0u) << "an empty range at the end is in bounds";
  EXPECT_EQ(raw_.Call("random_get", {0, 0xffffffff}), E(Errno::kFault));
}

TEST_F(ProcRawTest, ExitRaiseYield) {
  EXPECT_EQ(raw_.Call("proc_raise", {9}), E(Errno::kNosys));
  EXPECT_EQ(raw_.Call("sched_yield", {}), 0u);
  EXPECT_EQ(sys_->yields, 1);
  EXPECT_EQ(raw_.Call("proc_exit", {42}), UINT32_MAX);
  EXPECT_EQ(raw_.outcome(), Outcome::kExited);
  EXPECT_EQ(raw_.store().exit_code(), 42);
}

TEST_F(ProcRawTest, PollRejectsBadArguments) {
  EXPECT_EQ(raw_.Call("poll_oneoff", {0, 1000, 0, 2000}), E(Errno::kInval)) << "no subscriptions";
  EXPECT_EQ(raw_.Call("poll_oneoff", {0, 1000, 5000, 2000}), E(Errno::kInval)) << "past the cap";
  EXPECT_EQ(raw_.Call("poll_oneoff", {65500, 1000, 1, 2000}), E(Errno::kFault));
  EXPECT_EQ(raw_.Call("poll_oneoff", {0, 65530, 1, 2000}), E(Errno::kFault));
  PutClockSub(raw_, 0, 1, 1, 10, 0);
  EXPECT_EQ(raw_.Call("poll_oneoff", {0, 1000, 1, 65534}), E(Errno::kFault));
  raw_.Put<u8>(8, 3);  // no such event type
  EXPECT_EQ(raw_.Call("poll_oneoff", {0, 1000, 1, 2000}), E(Errno::kInval));
  EXPECT_TRUE(sys_->sleeps.empty()) << "a rejected call never waits";
}

// Reads event `i` of the output array at 1000 (layout: userdata @0, error @8,
// type @10, nbytes @16, flags @24).
struct Ev {
  u64 userdata;
  u16 error;
  u8 type;
  u64 nbytes;
  u16 flags;
};
Ev GetEvent(RawWasi& raw, u32 i) {
  u32 at = 1000 + 32 * i;
  return {raw.Get<u64>(at), raw.Get<u16>(at + 8), raw.Get<u8>(at + 10), raw.Get<u64>(at + 16),
          raw.Get<u16>(at + 24)};
}

TEST_F(ProcRawTest, PollRelativeClockSleepsThroughTheSystem) {
  PutClockSub(raw_, 0, 7, 1, 5'000'000'000, 0);
  PutClockSub(raw_, 48, 8, 1, 9'000'000'000, 0);
  ASSERT_EQ(raw_.Call("poll_oneoff", {0, 1000, 2, 2000}), 0u);
  EXPECT_EQ(sys_->sleeps, std::vector<u64>{5'000'000'000}) << "the earliest clock";
  ASSERT_EQ(raw_.Get<u32>(2000), 1u);
  Ev ev = GetEvent(raw_, 0);
  EXPECT_EQ(ev.userdata, 7u);
  EXPECT_EQ(ev.error, 0u);
  EXPECT_EQ(ev.type, 0u);
}

// Durable sleep: WasiOptions::park_sleep may turn a wait on clocks alone
// into a suspension at the call, the events already written; resuming with
// errno 0 completes the call. Below its threshold the call sleeps as before.
TEST_F(ProcRawTest, PollOnClocksAloneParksWhenTheHookSaysSo) {
  std::vector<u64> asked;
  raw_.wasi().ctx().park_sleep = [&asked](u64 ns) {
    asked.push_back(ns);
    return ns >= 1'000'000'000;
  };
  PutClockSub(raw_, 0, 7, 1, 5'000'000'000, 0);
  PutClockSub(raw_, 48, 8, 1, 9'000'000'000, 0);
  EXPECT_EQ(raw_.Call("poll_oneoff", {0, 1000, 2, 2000}), UINT32_MAX);
  EXPECT_EQ(raw_.outcome(), Outcome::kSuspended);
  EXPECT_EQ(raw_.store().suspend_point(), SuspendPoint::kHostCall);
  EXPECT_TRUE(sys_->sleeps.empty()) << "parked, not slept";
  EXPECT_EQ(asked, std::vector<u64>{5'000'000'000});
  ASSERT_EQ(raw_.Get<u32>(2000), 1u);
  EXPECT_EQ(GetEvent(raw_, 0).userdata, 7u);
  std::vector<Value> results;
  const Value resumed[] = {Value::I32(0)};
  ASSERT_EQ(raw_.store().Resume(resumed, &results), Outcome::kReturned);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].i32(), 0u);

  PutClockSub(raw_, 0, 9, 1, 500'000'000, 0);
  ASSERT_EQ(raw_.Call("poll_oneoff", {0, 1000, 1, 2000}), 0u);
  EXPECT_EQ(sys_->sleeps, std::vector<u64>{500'000'000}) << "below the threshold: a real sleep";
}

TEST_F(ProcRawTest, PollAbsoluteClock) {
  // Realtime reads now + 0: an absolute deadline 3 s ahead waits 3 s.
  PutClockSub(raw_, 0, 1, 0, sys_->now + 3'000'000'000, 1);
  ASSERT_EQ(raw_.Call("poll_oneoff", {0, 1000, 1, 2000}), 0u);
  EXPECT_EQ(sys_->sleeps, std::vector<u64>{3'000'000'000});
  // A deadline in the past fires at once.
  sys_->sleeps.clear();
  PutClockSub(raw_, 0, 2, 1, 5, 1);
  ASSERT_EQ(raw_.Call("poll_oneoff", {0, 1000, 1, 2000}), 0u);
  EXPECT_TRUE(sys_->sleeps.empty());
  EXPECT_EQ(raw_.Get<u32>(2000), 1u);
  EXPECT_EQ(GetEvent(raw_, 0).userdata, 2u);
}

TEST_F(ProcRawTest, PollBadClockAndBadFdCompleteWithErrors) {
  PutClockSub(raw_, 0, 1, 77, 10, 0);
  PutFdSub(raw_, 48, 2, 1, 99);
  PutClockSub(raw_, 96, 3, 1, 1'000'000'000, 0);
  ASSERT_EQ(raw_.Call("poll_oneoff", {0, 1000, 3, 2000}), 0u);
  EXPECT_TRUE(sys_->sleeps.empty()) << "failed subscriptions are reported without waiting";
  ASSERT_EQ(raw_.Get<u32>(2000), 2u);
  EXPECT_EQ(GetEvent(raw_, 0).userdata, 1u);
  EXPECT_EQ(GetEvent(raw_, 0).error, E(Errno::kInval));
  EXPECT_EQ(GetEvent(raw_, 1).userdata, 2u);
  EXPECT_EQ(GetEvent(raw_, 1).error, E(Errno::kBadf));
  EXPECT_EQ(GetEvent(raw_, 1).type, 1u);
}

TEST_F(ProcRawTest, PollReadinessOfAPipe) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  auto add = [&](int host_fd) {
    FdEntry e;
    e.host_fd = host_fd;
    e.type = FileType::kUnknown;
    e.rights_base = BaseRights(FileType::kUnknown, false);
    u32 fd = 0;
    EXPECT_EQ(raw_.ctx().fds.Insert(std::move(e), &fd), Errno::kSuccess);
    return fd;
  };
  u32 r = add(p[0]), w = add(p[1]);
  // Nothing to read: the 250 ms clock fires, waited for in System::Poll.
  PutFdSub(raw_, 0, 10, 1, r);
  PutClockSub(raw_, 48, 11, 1, 250'000'000, 0);
  ASSERT_EQ(raw_.Call("poll_oneoff", {0, 1000, 2, 2000}), 0u);
  EXPECT_EQ(sys_->poll_timeouts, std::vector<int>{250});
  ASSERT_EQ(raw_.Get<u32>(2000), 1u);
  EXPECT_EQ(GetEvent(raw_, 0).userdata, 11u);
  // Readable and writable once there is data; the clock does not fire.
  ASSERT_EQ(write(p[1], "abc", 3), 3);
  PutFdSub(raw_, 96, 12, 2, w);
  ASSERT_EQ(raw_.Call("poll_oneoff", {0, 1000, 3, 2000}), 0u);
  ASSERT_EQ(raw_.Get<u32>(2000), 2u);
  EXPECT_EQ(GetEvent(raw_, 0).userdata, 10u);
  EXPECT_EQ(GetEvent(raw_, 0).type, 1u);
  EXPECT_EQ(GetEvent(raw_, 1).userdata, 12u);
  EXPECT_EQ(GetEvent(raw_, 1).type, 2u);
  // The writer gone: the reader reports hang-up.
  ASSERT_EQ(raw_.Call("fd_close", {w}), 0u);
  char buf[3];
  ASSERT_EQ(read(p[0], buf, 3), 3);
  ASSERT_EQ(raw_.Call("poll_oneoff", {0, 1000, 1, 2000}), 0u);
  ASSERT_EQ(raw_.Get<u32>(2000), 1u);
  EXPECT_EQ(GetEvent(raw_, 0).flags, 1u) << "hangup";
}

TEST(ProcPosixTest, PollSleepsForReal) {
  RawWasi raw(NoStdio());
  PutClockSub(raw, 0, 1, 1, 30'000'000, 0);
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(raw.Call("poll_oneoff", {0, 1000, 1, 2000}), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
  ASSERT_EQ(raw.Call("clock_time_get", {1, 0, 100}), 0u);
  u64 a = raw.Get<u64>(100);
  ASSERT_EQ(raw.Call("clock_time_get", {1, 0, 100}), 0u);
  EXPECT_GE(raw.Get<u64>(100), a) << "monotonic";
  ASSERT_EQ(raw.Call("clock_res_get", {0, 100}), 0u);
  EXPECT_GT(raw.Get<u64>(100), 0u);
}

}  // namespace
}  // namespace deja::wasi
