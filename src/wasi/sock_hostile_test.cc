// A hostile guest's view of the socket functions: every one of them called
// with arbitrary arguments over arbitrary guest memory. Nothing may crash,
// read or write outside the guest memory (run under ASan), return a value
// that is not a WASI errno, exceed max_fds, or reach the network.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "wasi/registry.h"
#include "wasi/sock_ext.h"

namespace deja::wasi {
namespace {

constexpr u32 kMemorySize = 4096;
constexpr u32 kMaxFds = 16;

// Arguments near the interesting edges: small descriptors, pointers in and
// just past guest memory, and anything at all.
u32 HostileArg(std::mt19937& rng, size_t index) {
  if (index == 0 && rng() % 4 != 0) return rng() % 5;  // mostly the open sockets
  switch (rng() % 4) {
    case 0:
      return rng() % 10;  // descriptors, flags, families
    case 1:
      return rng() % (kMemorySize + 300);  // pointers, in or just out of bounds
    case 2:
      return 0xffffffffu - rng() % 300;  // pointers that wrap
    default:
      return index == 0 ? rng() % 6 : static_cast<u32>(rng());
  }
}

// Sockets the calls create must not block the test: make them non-blocking.
void MakeSocketsNonblocking(WasiCtx& ctx) {
  for (u32 fd = 0; fd < ctx.fds.size(); ++fd) {
    FdEntry* e = ctx.fds.Get(fd);
    if (e != nullptr && (e->type == FileType::kSocketStream || e->type == FileType::kSocketDgram)) {
      fcntl(e->host_fd, F_SETFL, O_NONBLOCK);
    }
  }
}

TEST(SockHostileTest, ArbitraryArgumentsAndMemory) {
  WasiConfig config;  // no patterns: nothing may be reached or bound
  config.max_fds = kMaxFds;
  WasiCtx ctx(config, MakePosixSystem());
  ASSERT_TRUE(OpenListenSockets(ctx).ok());
  std::mt19937 rng(20261123);
  std::vector<u8> bytes(kMemorySize);
  GuestMemory mem(bytes);
  // Sockets of every kind at descriptors 0-3, so calls get past the lookup.
  for (u64 af : {1, 2}) {
    for (u64 type : {1, 2}) {
      u64 open_args[] = {af, type, 0};
      ASSERT_EQ(SockOpen(ctx, mem, open_args), Errno::kSuccess);
    }
  }
  MakeSocketsNonblocking(ctx);
  u64 calls = 0;
  for (int round = 0; round < 1000; ++round) {
    for (u8& b : bytes) b = static_cast<u8>(rng() % 4 == 0 ? rng() : rng() % 3);
    for (const FuncDef& def : SocketFuncs()) {
      std::vector<u64> args;
      for (size_t i = 0; def.params[i] != '\0'; ++i) args.push_back(HostileArg(rng, i));
      Errno e = def.fn(ctx, mem, args);
      ++calls;
      EXPECT_LE(static_cast<u16>(e), static_cast<u16>(Errno::kNotcapable)) << def.name;
      // No lookups, connections or binds were granted.
      if (std::string_view(def.name).starts_with("sock_connect") ||
          std::string_view(def.name).starts_with("sock_bind")) {
        EXPECT_NE(e, Errno::kSuccess) << def.name;
      }
      MakeSocketsNonblocking(ctx);
    }
    ASSERT_LE(ctx.fds.size(), kMaxFds + 3);
  }
  EXPECT_GT(calls, 0u);
}

}  // namespace
}  // namespace deja::wasi
