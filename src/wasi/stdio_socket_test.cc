// Stdio that the host gave as a socket is a plain stream to the guest: the
// socket functions answer ENOTSOCK (sock_shutdown used to shut down the
// embedder's own connection), fd_write still writes.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "wasi/raw_call_test_util.h"

namespace deja::wasi {
namespace {

using testing::RawWasi;

constexpr u32 E(Errno e) { return static_cast<u32>(e); }

class StdioSocketTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair_), 0); }
  void TearDown() override {
    close(pair_[0]);
    close(pair_[1]);
  }
  WasiConfig Config() {
    WasiConfig c;
    c.stdin_fd = pair_[0];
    c.stdout_fd = pair_[0];
    c.stderr_fd = -1;
    return c;
  }
  int pair_[2] = {-1, -1};
};

TEST_F(StdioSocketTest, SocketFunctionsSayNotsock) {
  RawWasi raw(Config());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.Call("sock_shutdown", {1, 2}), E(Errno::kNotsock));
  EXPECT_EQ(raw.Call("sock_shutdown", {0, 3}), E(Errno::kNotsock));
  EXPECT_EQ(raw.Call("sock_accept", {0, 0, 100}), E(Errno::kNotsock));
  EXPECT_EQ(raw.Call("sock_recv", {0, 100, 0, 0, 200, 204}), E(Errno::kNotsock));
  EXPECT_EQ(raw.Call("sock_send", {1, 100, 0, 0, 200}), E(Errno::kNotsock));
  // fd_fdstat_get: filetype unknown (0), like a pipe.
  EXPECT_EQ(raw.Call("fd_fdstat_get", {1, 300}), E(Errno::kSuccess));
  EXPECT_EQ(raw.Get<u8>(300), static_cast<u8>(FileType::kUnknown));

  // The host's socket still works both ways: nothing was shut down.
  raw.PutBytes(1000, "hi");
  raw.PutIovecs(100, {{1000, 2}});
  EXPECT_EQ(raw.Call("fd_write", {1, 100, 1, 200}), E(Errno::kSuccess));
  char buf[4] = {};
  EXPECT_EQ(read(pair_[1], buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf, 2), "hi");
  EXPECT_EQ(write(pair_[1], "x", 1), 1);
}

}  // namespace
}  // namespace deja::wasi
