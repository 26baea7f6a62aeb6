// sock_getaddrinfo called directly on a guest memory image: how results fill
// the guest's pre-linked addrinfo list, and what it refuses.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "wasi/registry.h"
#include "wasi/sock_addr.h"
#include "wasi/sock_ext.h"

namespace deja::wasi {
namespace {

// Guest memory layout used by every test.
constexpr u32 kNode = 0, kService = 64, kHints = 128, kRes = 160, kResLen = 200;
constexpr u32 kNodes = 256, kSockaddrs = 512, kData = 1024;

class GetAddrInfoTest : public ::testing::Test {
 protected:
  GetAddrInfoTest() : ctx_(Config(), MakePosixSystem()), bytes_(4096), mem_(bytes_) {
    EXPECT_TRUE(OpenListenSockets(ctx_).ok());
  }
  static WasiConfig Config() {
    WasiConfig config;
    config.allow_connect = {"localhost:80"};
    return config;
  }

  // Links `count` addrinfo nodes whose sa_data buffers hold `cap` bytes.
  void LinkNodes(u32 count, u32 cap) {
    ASSERT_TRUE(mem_.Store<u32>(kRes, kNodes));
    for (u32 i = 0; i < count; ++i) {
      u32 node = kNodes + i * 28, sa = kSockaddrs + i * 12;
      ASSERT_TRUE(mem_.Store<u32>(node + 12, sa));
      ASSERT_TRUE(mem_.Store<u32>(node + 24, i + 1 < count ? node + 28 : 0));
      ASSERT_TRUE(mem_.Store<u32>(sa + 4, cap));
      ASSERT_TRUE(mem_.Store<u32>(sa + 8, kData + i * 32));
    }
  }

  Errno Call(const std::string& node, const std::string& service, u8 family, u8 socktype,
             u32 max_len, u16 flags = 0) {
    std::memcpy(bytes_.data() + kNode, node.data(), node.size());
    std::memcpy(bytes_.data() + kService, service.data(), service.size());
    EXPECT_TRUE(mem_.Store<u16>(kHints, flags));
    EXPECT_TRUE(mem_.Store<u8>(kHints + 2, family));
    EXPECT_TRUE(mem_.Store<u8>(kHints + 3, socktype));
    u64 args[] = {kNode, node.size(), kService, service.size(), kHints, kRes, max_len, kResLen};
    return SockGetAddrInfo(ctx_, mem_, args);
  }

  u32 U32(u32 at) {
    u32 v = 0;
    EXPECT_TRUE(mem_.Load(at, &v));
    return v;
  }
  u8 Byte(u32 at) { return bytes_[at]; }

  WasiCtx ctx_;
  std::vector<u8> bytes_;
  GuestMemory mem_;
};

TEST_F(GetAddrInfoTest, AnySocketTypeGivesStreamThenDgram) {
  LinkNodes(4, 26);
  ASSERT_EQ(Call("127.0.0.1", "80", kWasiAfUnspec, kWasiSockAny, 4), Errno::kSuccess);
  ASSERT_EQ(U32(kResLen), 2u);
  EXPECT_EQ(Byte(kNodes + 2), kWasiAfInet4);
  EXPECT_EQ(Byte(kNodes + 3), kWasiSockStream);
  EXPECT_EQ(Byte(kNodes + 4), 1);   // tcp
  EXPECT_EQ(U32(kNodes + 8), 16u);  // sizeof(sockaddr_in)
  EXPECT_EQ(Byte(kNodes + 28 + 3), kWasiSockDgram);
  EXPECT_EQ(Byte(kNodes + 28 + 4), 2);  // udp
  EXPECT_EQ(Byte(kSockaddrs), kWasiAfInet4);
  EXPECT_EQ(U32(kSockaddrs + 4), 14u);
  const u8 want[] = {0, 80, 127, 0, 0, 1};
  EXPECT_EQ(std::memcmp(bytes_.data() + kData, want, sizeof want), 0);
}

TEST_F(GetAddrInfoTest, Ipv6NeedsRoomForItsSockaddr) {
  LinkNodes(2, 14);  // the Rust crate's default: too small for IPv6
  ASSERT_EQ(Call("::1", "443", kWasiAfInet6, kWasiSockStream, 2), Errno::kSuccess);
  EXPECT_EQ(U32(kResLen), 0u);
  LinkNodes(2, 26);
  ASSERT_EQ(Call("::1", "443", kWasiAfInet6, kWasiSockStream, 2), Errno::kSuccess);
  ASSERT_EQ(U32(kResLen), 1u);
  EXPECT_EQ(Byte(kSockaddrs), kWasiAfInet6);
  EXPECT_EQ(U32(kSockaddrs + 4), 26u);
  EXPECT_EQ(U32(kNodes + 8), 28u);  // sizeof(sockaddr_in6)
  EXPECT_EQ(Byte(kData), 443 >> 8);
  EXPECT_EQ(Byte(kData + 1), 443 & 0xff);
  EXPECT_EQ(Byte(kData + 6 + 15), 1);  // after port and flowinfo: ::1
}

TEST_F(GetAddrInfoTest, StopsAtMaxLenAndAtTheEndOfTheList) {
  LinkNodes(4, 26);
  ASSERT_EQ(Call("127.0.0.1", "80", kWasiAfInet4, kWasiSockAny, 1), Errno::kSuccess);
  EXPECT_EQ(U32(kResLen), 1u);
  // Only one node linked although max_len says 4: nothing is written at the
  // null ai_next (address 0 holds the node string).
  LinkNodes(1, 26);
  ASSERT_EQ(Call("127.0.0.1", "80", kWasiAfInet4, kWasiSockAny, 4), Errno::kSuccess);
  EXPECT_EQ(U32(kResLen), 1u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(bytes_.data()), 9), "127.0.0.1");
  // A null list: no results, nothing written at address 0.
  ASSERT_TRUE(mem_.Store<u32>(kRes, 0));
  ASSERT_EQ(Call("127.0.0.1", "80", kWasiAfInet4, kWasiSockAny, 4), Errno::kSuccess);
  EXPECT_EQ(U32(kResLen), 0u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(bytes_.data()), 9), "127.0.0.1");
}

TEST_F(GetAddrInfoTest, NamesNeedAPattern) {
  LinkNodes(2, 26);
  EXPECT_EQ(Call("example.com", "80", kWasiAfInet4, kWasiSockStream, 2), Errno::kAcces);
  ASSERT_EQ(Call(std::string("localhost\0", 10), "80", kWasiAfInet4, kWasiSockStream, 2),
            Errno::kSuccess);
  ASSERT_GE(U32(kResLen), 1u);
  EXPECT_EQ(Byte(kData + 2), 127);
  // The numeric-host flag refuses names outright.
  EXPECT_EQ(Call("localhost", "80", kWasiAfInet4, kWasiSockStream, 2, 4), Errno::kNoent);
}

TEST_F(GetAddrInfoTest, PassiveWithoutNodeIsTheWildcard) {
  LinkNodes(1, 26);
  ASSERT_EQ(Call("", "8080", kWasiAfInet4, kWasiSockStream, 1, 1), Errno::kSuccess);
  ASSERT_EQ(U32(kResLen), 1u);
  const u8 want[] = {0x1f, 0x90, 0, 0, 0, 0};
  EXPECT_EQ(std::memcmp(bytes_.data() + kData, want, sizeof want), 0);
}

TEST_F(GetAddrInfoTest, BadPointersAndHints) {
  LinkNodes(1, 26);
  ASSERT_TRUE(mem_.Store<u32>(kRes, 4090));  // first node runs off the end
  EXPECT_EQ(Call("127.0.0.1", "80", kWasiAfInet4, kWasiSockStream, 1), Errno::kFault);
  LinkNodes(1, 26);
  EXPECT_EQ(Call("127.0.0.1", "80", 3, kWasiSockStream, 1), Errno::kAfnosupport);
  EXPECT_EQ(Call("127.0.0.1", "80", kWasiAfInet4, 3, 1), Errno::kInval);
  EXPECT_EQ(Call("127.0.0.1", "80", kWasiAfInet4, kWasiSockStream, 1, 0x80), Errno::kInval);
  u64 huge[] = {kNode, 5000, kService, 2, kHints, kRes, 1, kResLen};
  EXPECT_EQ(SockGetAddrInfo(ctx_, mem_, huge), Errno::kNametoolong);
  u64 oob[] = {4000, 200, kService, 2, kHints, kRes, 1, kResLen};
  EXPECT_EQ(SockGetAddrInfo(ctx_, mem_, oob), Errno::kFault);
}

TEST(SocketFuncsTest, EveryNameOnceWithMatchingArity) {
  std::set<std::string> names;
  for (const FuncDef& def : SocketFuncs()) {
    EXPECT_TRUE(names.insert(def.name).second) << def.name;
    EXPECT_STREQ(def.results, "i") << def.name;
    EXPECT_NE(def.fn, nullptr) << def.name;
  }
  for (const char* name :
       {"sock_accept", "sock_recv", "sock_send", "sock_shutdown", "sock_open", "sock_bind",
        "sock_listen", "sock_connect", "sock_recv_from", "sock_send_to", "sock_getlocaladdr",
        "sock_getpeeraddr", "sock_getsockopt", "sock_setsockopt", "sock_getaddrinfo"}) {
    EXPECT_EQ(names.count(name), 1u) << name;
    // A "_v2" alias, where one exists, has the same signature.
    for (const FuncDef& a : SocketFuncs()) {
      if (std::string(a.name) != std::string(name) + "_v2") continue;
      for (const FuncDef& b : SocketFuncs()) {
        if (std::string(b.name) == name) {
          EXPECT_STREQ(a.params, b.params) << name;
        }
      }
    }
  }
}

}  // namespace
}  // namespace deja::wasi
