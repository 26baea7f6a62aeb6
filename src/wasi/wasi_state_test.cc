// Wasi::SaveState / RestoreState: descriptors come back at their numbers and
// offsets beneath re-granted preopens; what is not granted, gone or forged is
// a clean error; monotonic time never goes back; sockets do not move.
#include "wasi/wasi_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "wasi/path.h"
#include "wasi/raw_call_test_util.h"
#include "wasi/rights.h"
#include "wasi/state_codec.h"

namespace deja::wasi {
namespace {

using testing::RawWasi;

constexpr u32 E(Errno e) { return static_cast<u32>(e); }
constexpr u32 kOut = 0x100, kIov = 0x200, kBuf = 0x400, kPath = 0x800;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class WasiStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja_wstate_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    a_ = root_ + "/a";
    b_ = root_ + "/b";
    ASSERT_EQ(mkdir(a_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((a_ + "/sub").c_str(), 0755), 0);
    WriteFile(a_ + "/in.txt", "0123456789");
    WriteFile(a_ + "/out.txt", "");
    WriteFile(a_ + "/sub/log.txt", "L");
    WriteFile(root_ + "/secret", "outside");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  // The resuming machine: a copy of `a` (as it is now) at another host path.
  void CopyAToB() { std::filesystem::copy(a_, b_, std::filesystem::copy_options::recursive); }
  static WasiConfig Config(const std::string& dir, const std::string& guest = "/data") {
    WasiConfig c;
    c.args = {"prog", "x"};
    c.env = {"A=1", "B=2"};
    c.preopens.push_back({dir, guest, false});
    return c;
  }

  u32 Open(RawWasi& w, u32 dirfd, const std::string& path, u16 oflags, u64 rights, u16 fdflags,
           u32* fd) {
    w.PutBytes(kPath, path);
    u32 e = w.Call("path_open",
                   {dirfd, 0, kPath, path.size(), oflags, rights, rights::kAll, fdflags, kOut});
    *fd = w.Get<u32>(kOut);
    return e;
  }
  std::string Read(RawWasi& w, u32 fd, u32 n) {
    w.PutIovecs(kIov, {{kBuf, n}});
    EXPECT_EQ(w.Call("fd_read", {fd, kIov, 1, kOut}), 0u);
    return w.GetBytes(kBuf, w.Get<u32>(kOut));
  }
  void Write(RawWasi& w, u32 fd, const std::string& s) {
    w.PutBytes(kBuf, s);
    w.PutIovecs(kIov, {{kBuf, static_cast<u32>(s.size())}});
    EXPECT_EQ(w.Call("fd_write", {fd, kIov, 1, kOut}), 0u);
    EXPECT_EQ(w.Get<u32>(kOut), s.size());
  }

  std::string root_, a_, b_;
};

constexpr u64 kRw = rights::kFdRead | rights::kFdWrite | rights::kFdSeek | rights::kFdTell;

TEST_F(WasiStateTest, FilesContinueAtTheirOffsetsAndNumbers) {
  std::vector<u8> state;
  u32 in = 0, out = 0, sub = 0, log = 0;
  {
    RawWasi w(Config(a_));
    ASSERT_TRUE(w.ok());
    ASSERT_EQ(Open(w, 3, "in.txt", 0, rights::kFdRead | rights::kFdSeek, 0, &in), 0u);
    EXPECT_EQ(Read(w, in, 4), "0123");
    ASSERT_EQ(Open(w, 3, "out.txt", 0, kRw, 0, &out), 0u);
    Write(w, out, "abc");
    ASSERT_EQ(Open(w, 3, "sub", kOflagDirectory, rights::kDirectory, 0, &sub), 0u);
    ASSERT_EQ(Open(w, sub, "log.txt", 0, kRw, kFdflagAppend, &log), 0u);
    Write(w, log, "x");
    // Renumbered: fd 9 must exist first (fd_renumber needs both open).
    u32 spare = 0;
    for (int i = 0; i < 2; ++i) ASSERT_EQ(Open(w, 3, "in.txt", 0, rights::kFdRead, 0, &spare), 0u);
    ASSERT_EQ(spare, 9u);
    ASSERT_EQ(w.Call("fd_renumber", {in, 9}), 0u);
    ASSERT_EQ(w.Call("fd_close", {8}), 0u);
    auto saved = SaveWasiState(w.ctx());
    ASSERT_TRUE(saved.ok()) << saved.status().ToString();
    state = std::move(*saved);
  }
  CopyAToB();
  WasiConfig config = Config(b_);
  config.args = {};
  config.env = {"B=3"};
  RawWasi w(config);
  ASSERT_TRUE(w.ok());
  Status st = RestoreWasiState(w.ctx(), state);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(w.ctx().config.args, (std::vector<std::string>{"prog", "x"}));
  EXPECT_EQ(w.ctx().config.env, (std::vector<std::string>{"A=1", "B=3"}));
  EXPECT_EQ(Read(w, 9, 3), "456");
  EXPECT_EQ(w.Call("fd_read", {in, kIov, 1, kOut}), E(Errno::kBadf));  // moved to 9
  EXPECT_EQ(w.Call("fd_fdstat_get", {8, kOut}), E(Errno::kBadf));      // was closed
  Write(w, out, "def");
  EXPECT_EQ(ReadFile(b_ + "/out.txt"), "abcdef");
  WriteFile(b_ + "/sub/log.txt", "Lx--");  // append mode writes at the end, wherever it is
  Write(w, log, "y");
  EXPECT_EQ(ReadFile(b_ + "/sub/log.txt"), "Lx--y");
  // The directory fd works beneath the new host directory.
  u32 again = 0;
  ASSERT_EQ(Open(w, sub, "log.txt", 0, rights::kFdRead, 0, &again), 0u);
  EXPECT_EQ(Read(w, again, 10), "Lx--y");
  EXPECT_EQ(ReadFile(a_ + "/out.txt"), "abc");  // the old machine is untouched
  // A restored state saves again to the same bytes (offsets moved on).
  auto resaved = SaveWasiState(w.ctx());
  ASSERT_TRUE(resaved.ok());
}

TEST_F(WasiStateTest, PreopenNotGrantedIsNamed) {
  std::vector<u8> state;
  {
    RawWasi w(Config(a_));
    auto s = SaveWasiState(w.ctx());
    ASSERT_TRUE(s.ok());
    state = *s;
  }
  RawWasi w(Config(a_, "/other"));
  Status st = RestoreWasiState(w.ctx(), state);
  EXPECT_EQ(st.ToString().find("snapshot needs preopen \"/data\" (guest fd 3): not granted") ==
                std::string::npos,
            false)
      << st.ToString();
  // Nothing changed: the grant is still at 3.
  ASSERT_NE(w.ctx().fds.Get(3), nullptr);
  EXPECT_EQ(w.ctx().fds.Get(3)->guest_path, "/other");
}

TEST_F(WasiStateTest, DeletedFileIsNamed) {
  std::vector<u8> state;
  {
    RawWasi w(Config(a_));
    u32 fd = 0;
    ASSERT_EQ(Open(w, 3, "sub/log.txt", 0, rights::kFdRead, 0, &fd), 0u);
    auto s = SaveWasiState(w.ctx());
    ASSERT_TRUE(s.ok());
    state = *s;
  }
  CopyAToB();
  ASSERT_EQ(unlink((b_ + "/sub/log.txt").c_str()), 0);
  RawWasi w(Config(b_));
  Status st = RestoreWasiState(w.ctx(), state);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("\"/data/sub/log.txt\" (guest fd 4)"), std::string::npos)
      << st.ToString();
  EXPECT_EQ(w.ctx().fds.Get(4), nullptr);
  EXPECT_NE(w.ctx().fds.Get(3), nullptr);
}

TEST_F(WasiStateTest, MonotonicTimeNeverGoesBack) {
  std::vector<u8> state;
  u64 before = 0;
  {
    RawWasi w(Config(a_));
    // As if the saving host's clock were far ahead of this one.
    w.ctx().monotonic_offset = u64{1} << 60;
    ASSERT_EQ(w.Call("clock_time_get", {1, 0, kOut}), 0u);
    before = w.Get<u64>(kOut);
    auto s = SaveWasiState(w.ctx());
    ASSERT_TRUE(s.ok());
    state = *s;
  }
  RawWasi w(Config(a_));
  ASSERT_TRUE(RestoreWasiState(w.ctx(), state).ok());
  ASSERT_EQ(w.Call("clock_time_get", {1, 0, kOut}), 0u);
  EXPECT_GE(w.Get<u64>(kOut), before);
  // Realtime is the real time.
  ASSERT_EQ(w.Call("clock_time_get", {0, 0, kOut}), 0u);
  const u64 real = static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  EXPECT_LT(w.Get<u64>(kOut), real + 60'000'000'000);
}

TEST_F(WasiStateTest, SocketsBecomePlaceholdersUnlessRegranted) {
  std::vector<u8> state;
  {
    WasiConfig c;
    c.listen = {"127.0.0.1:0"};
    RawWasi w(c);
    ASSERT_TRUE(w.ok());
    ASSERT_NE(w.ctx().fds.Get(3), nullptr);
    auto s = SaveWasiState(w.ctx());
    ASSERT_TRUE(s.ok());
    state = *s;
  }
  {
    RawWasi w;  // no --listen: the listener cannot come back
    Status st = RestoreWasiState(w.ctx(), state);
    ASSERT_TRUE(st.ok()) << st.ToString();
    FdEntry* e = w.ctx().fds.Get(3);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->host_fd, -1);
    EXPECT_EQ(w.Call("sock_accept", {3, 0, kOut}), E(Errno::kNotcapable));
    EXPECT_EQ(w.Call("fd_read", {3, kIov, 0, kOut}), E(Errno::kNotcapable));
    EXPECT_EQ(w.Call("fd_fdstat_get", {3, kOut}), 0u);
    EXPECT_EQ(w.Call("fd_close", {3}), 0u);
  }
  WasiConfig c;
  c.listen = {"127.0.0.1:0"};
  RawWasi w(c);
  ASSERT_TRUE(RestoreWasiState(w.ctx(), state).ok());
  FdEntry* e = w.ctx().fds.Get(3);
  ASSERT_NE(e, nullptr);
  EXPECT_GE(e->host_fd, 0);
  EXPECT_EQ(e->listen_address, "127.0.0.1:0");
  EXPECT_NE(e->rights_base & rights::kSockAccept, 0u);
}

TEST_F(WasiStateTest, ManyClosedPlaceholdersRoundTrip) {
  // Closed records are the shortest (7 bytes): the count check must allow them.
  StateWriter s;
  s.Byte(kWasiStateVersion);
  s.Varint(0);
  s.Varint(0);
  s.Varint(0);
  s.Varint(100);
  for (u32 fd = 0; fd < 100; ++fd) {
    s.Varint(fd);
    s.Byte(4);
    s.Byte(static_cast<u8>(FileType::kSocketStream));
    s.Varint(0);
    s.Varint(0);
    s.Varint(0);
    s.Byte(0);
  }
  RawWasi w(Config(a_));
  Status st = RestoreWasiState(w.ctx(), s.Take());
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(w.Call("fd_read", {1, kIov, 0, kOut}), E(Errno::kNotcapable));
  EXPECT_EQ(w.Call("fd_close", {99}), 0u);
  auto again = SaveWasiState(w.ctx());
  ASSERT_TRUE(again.ok());
}

TEST_F(WasiStateTest, ReadOnlyRegrantNarrowsAndUnheldGrantsClose) {
  std::vector<u8> state;
  {
    RawWasi w(Config(a_));
    u32 fd = 0;
    ASSERT_EQ(Open(w, 3, "in.txt", 0, kRw, 0, &fd), 0u);
    ASSERT_EQ(fd, 4u);
    auto s = SaveWasiState(w.ctx());
    ASSERT_TRUE(s.ok());
    state = *s;
  }
  WasiConfig c = Config(a_);
  c.preopens[0].read_only = true;
  c.preopens.push_back({root_, "/extra", false});  // lands at 4 in the fresh table
  RawWasi w(c);
  ASSERT_TRUE(RestoreWasiState(w.ctx(), state).ok());
  EXPECT_EQ(Read(w, 4, 4), "0123");
  w.PutIovecs(kIov, {{kBuf, 1}});
  EXPECT_EQ(w.Call("fd_write", {4, kIov, 1, kOut}), E(Errno::kNotcapable));
  EXPECT_EQ(w.Call("fd_prestat_get", {4, kOut}), E(Errno::kBadf));  // /extra is gone
  EXPECT_EQ(ReadFile(a_ + "/in.txt"), "0123456789");
}

// A state with one path descriptor at fd 4 beneath "/data", built by hand.
std::vector<u8> PathState(const std::string& path, u64 count = 2) {
  StateWriter w;
  w.Byte(kWasiStateVersion);
  w.Varint(0);  // args
  w.Varint(0);  // env
  w.Varint(0);  // monotonic
  w.Varint(count);
  w.Varint(3);  // the preopen
  w.Byte(1);
  w.Byte(static_cast<u8>(FileType::kDirectory));
  w.Varint(rights::kDirectory);
  w.Varint(rights::kDirectoryInheriting);
  w.Varint(0);
  w.Byte(0);
  w.String("/data");
  w.Varint(4);
  w.Byte(2);
  w.Byte(static_cast<u8>(FileType::kRegularFile));
  w.Varint(rights::kFile);
  w.Varint(0);
  w.Varint(0);
  w.Byte(0);
  w.String("/data");
  w.String(path);
  w.String(path);
  w.Byte(0);  // read
  w.Varint(0);
  return w.Take();
}

TEST_F(WasiStateTest, HostilePathsNeverEscape) {
  RawWasi w(Config(a_));
  ASSERT_TRUE(RestoreWasiState(w.ctx(), PathState("in.txt")).ok());
  EXPECT_EQ(Read(w, 4, 100), "0123456789");
  for (const char* p : {"../secret", "/etc/passwd", "sub/../../secret", "..", "/", ""}) {
    RawWasi fresh(Config(a_));
    Status st = RestoreWasiState(fresh.ctx(), PathState(p));
    EXPECT_FALSE(st.ok()) << p;
    EXPECT_EQ(fresh.ctx().fds.Get(4), nullptr) << p;
  }
  // A symlink leading out is refused by the kernel, as for a guest.
  ASSERT_EQ(symlink((root_ + "/secret").c_str(), (a_ + "/link").c_str()), 0);
  RawWasi fresh(Config(a_));
  EXPECT_FALSE(RestoreWasiState(fresh.ctx(), PathState("link")).ok());
}

TEST_F(WasiStateTest, HostileBytesAreCleanErrors) {
  const std::vector<u8> good = PathState("in.txt");
  RawWasi w(Config(a_));
  for (size_t n = 0; n < good.size(); ++n) {
    Status st = RestoreWasiState(w.ctx(), std::span(good.data(), n));
    EXPECT_FALSE(st.ok()) << n;
  }
  std::vector<u8> longer = good;
  longer.push_back(0);
  EXPECT_FALSE(RestoreWasiState(w.ctx(), longer).ok());
  // Huge counts and lengths are refused before anything is allocated.
  for (u64 huge : {u64{1} << 40, ~u64{0}}) {
    StateWriter s;
    s.Byte(kWasiStateVersion);
    s.Varint(huge);
    EXPECT_FALSE(RestoreWasiState(w.ctx(), s.Take()).ok());
    EXPECT_FALSE(RestoreWasiState(w.ctx(), PathState("in.txt", huge)).ok());
  }
  {
    StateWriter s;  // a monotonic reading that would wrap the guest's clock
    s.Byte(kWasiStateVersion);
    s.Varint(0);
    s.Varint(0);
    s.Varint(~u64{0});
    s.Varint(0);
    EXPECT_FALSE(RestoreWasiState(w.ctx(), s.Take()).ok());
  }
  std::vector<u8> version = good;
  version[0] = 2;
  EXPECT_NE(RestoreWasiState(w.ctx(), version).ToString().find("version 2"), std::string::npos);
  // Random corruption: an error or a state beneath the preopen, never a crash.
  std::mt19937 rng(6);
  for (int i = 0; i < 300; ++i) {
    std::vector<u8> bad = good;
    for (int k = 0; k < 1 + i % 4; ++k) bad[rng() % bad.size()] = static_cast<u8>(rng());
    RawWasi fresh(Config(a_));
    (void)RestoreWasiState(fresh.ctx(), bad);
  }
  EXPECT_NE(w.ctx().fds.Get(3), nullptr);  // failed restores left the grants alone
}

}  // namespace
}  // namespace deja::wasi
