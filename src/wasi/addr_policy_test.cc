// Unit tests of the socket address policy and address encodings.
#include "wasi/addr_policy.h"

#include <gtest/gtest.h>

#include <array>

namespace deja::wasi {
namespace {

SockAddr Addr(const std::string& host, u16 port) {
  SockAddr a;
  EXPECT_TRUE(ParseNumericHost(host, port, &a)) << host;
  return a;
}

AddrPolicy Policy(std::vector<std::string> connect, std::vector<std::string> listen = {}) {
  auto p = AddrPolicy::Create(connect, listen);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(*p);
}

TEST(GlobMatchTest, Wildcards) {
  struct Case {
    const char* pattern;
    const char* text;
    bool match;
  };
  const Case cases[] = {
      {"*", "", true},
      {"*", "anything", true},
      {"abc", "abc", true},
      {"abc", "abcd", false},
      {"a*c", "abbbc", true},
      {"a*c", "ab", false},
      {"*.example.com", "www.example.com", true},
      {"*.example.com", "example.com", false},
      {"*.EXAMPLE.com", "a.b.example.COM", true},
      {"10.0.*", "10.0.3.4", true},
      {"10.0.*", "10.1.0.0", false},
      {"8*", "8080", true},
      {"8*", "443", false},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXbY", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.match) << c.pattern << " vs " << c.text;
  }
}

TEST(AddrPolicyTest, MalformedPatternsAreRejectedByName) {
  for (const char* bad : {"127.0.0.1", "::1:80", "[::1]80", "host:", ":80", "h:99999", "h:x"}) {
    auto p = AddrPolicy::Create({bad}, {});
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(p.status().message().find(bad), std::string::npos) << p.status().ToString();
  }
  auto listen = AddrPolicy::Create({}, {"nonsense"});
  EXPECT_FALSE(listen.ok());
}

TEST(AddrPolicyTest, DenyByDefault) {
  auto sys = MakePosixSystem();
  AddrPolicy p = Policy({});
  EXPECT_FALSE(p.AllowsConnect(Addr("127.0.0.1", 80), *sys));
  EXPECT_FALSE(p.AllowsBind(Addr("127.0.0.1", 80), *sys));
  EXPECT_FALSE(p.AllowsLookup("localhost"));
}

TEST(AddrPolicyTest, NumericPatterns) {
  auto sys = MakePosixSystem();
  AddrPolicy p = Policy({"127.0.0.1:8080", "[::1]:*", "10.0.*:443"});
  EXPECT_TRUE(p.AllowsConnect(Addr("127.0.0.1", 8080), *sys));
  EXPECT_FALSE(p.AllowsConnect(Addr("127.0.0.1", 8081), *sys));
  EXPECT_FALSE(p.AllowsConnect(Addr("127.0.0.2", 8080), *sys));
  EXPECT_TRUE(p.AllowsConnect(Addr("::1", 1), *sys));
  EXPECT_TRUE(p.AllowsConnect(Addr("0:0::1", 65535), *sys));  // any spelling of ::1
  EXPECT_FALSE(p.AllowsConnect(Addr("::2", 1), *sys));
  EXPECT_TRUE(p.AllowsConnect(Addr("10.0.7.9", 443), *sys));
  EXPECT_FALSE(p.AllowsConnect(Addr("10.1.7.9", 443), *sys));
  // Connect patterns say nothing about binding.
  EXPECT_FALSE(p.AllowsBind(Addr("127.0.0.1", 8080), *sys));
  // Numeric and IP-glob patterns permit no lookups.
  EXPECT_FALSE(p.AllowsLookup("localhost"));
  EXPECT_FALSE(p.AllowsLookup("10.0.evil.com"));
}

TEST(AddrPolicyTest, MappedIpv6IsJudgedAsIpv4) {
  auto sys = MakePosixSystem();
  AddrPolicy p = Policy({"127.0.0.1:80"});
  EXPECT_TRUE(p.AllowsConnect(Addr("::ffff:127.0.0.1", 80), *sys));
  EXPECT_FALSE(p.AllowsConnect(Addr("::ffff:10.0.0.1", 80), *sys));
  AddrPolicy v6 = Policy({"[::ffff:10.0.0.1]:80"});
  EXPECT_TRUE(v6.AllowsConnect(Addr("10.0.0.1", 80), *sys));
}

TEST(AddrPolicyTest, AnyHost) {
  auto sys = MakePosixSystem();
  AddrPolicy p = Policy({"*:53"});
  EXPECT_TRUE(p.AllowsConnect(Addr("192.0.2.1", 53), *sys));
  EXPECT_TRUE(p.AllowsConnect(Addr("2001:db8::1", 53), *sys));
  EXPECT_FALSE(p.AllowsConnect(Addr("192.0.2.1", 54), *sys));
  EXPECT_TRUE(p.AllowsLookup("any.name.example"));
}

TEST(AddrPolicyTest, NamePatternsResolve) {
  auto sys = MakePosixSystem();
  AddrPolicy p = Policy({"localhost:7000"}, {"LOCALHOST:0"});
  EXPECT_TRUE(p.AllowsConnect(Addr("127.0.0.1", 7000), *sys));
  EXPECT_FALSE(p.AllowsConnect(Addr("127.0.0.1", 7001), *sys));
  EXPECT_FALSE(p.AllowsConnect(Addr("192.0.2.1", 7000), *sys));
  EXPECT_TRUE(p.AllowsBind(Addr("127.0.0.1", 0), *sys));
  EXPECT_FALSE(p.AllowsBind(Addr("0.0.0.0", 0), *sys));
  EXPECT_TRUE(p.AllowsLookup("localhost"));
  EXPECT_TRUE(p.AllowsLookup("LocalHost."));
  EXPECT_FALSE(p.AllowsLookup("example.com"));
}

TEST(AddrPolicyTest, NameGlobsMatchWhatTheGuestResolved) {
  auto sys = MakePosixSystem();
  AddrPolicy p = Policy({"*.svc.test:443"});
  EXPECT_TRUE(p.AllowsLookup("api.svc.test"));
  EXPECT_FALSE(p.AllowsLookup("svc.test.evil"));
  SockAddr target = Addr("192.0.2.7", 443);
  EXPECT_FALSE(p.AllowsConnect(target, *sys));  // not resolved by the guest yet
  p.NoteResolved("API.svc.test", {Addr("192.0.2.7", 0)});
  EXPECT_TRUE(p.AllowsConnect(target, *sys));
  EXPECT_FALSE(p.AllowsConnect(Addr("192.0.2.7", 80), *sys));   // wrong port
  EXPECT_FALSE(p.AllowsConnect(Addr("192.0.2.8", 443), *sys));  // not what it resolved to
}

TEST(AddrPolicyTest, RememberedNamesAreBounded) {
  auto sys = MakePosixSystem();
  AddrPolicy p = Policy({"*.svc.test:443"});
  p.NoteResolved("a.svc.test", {Addr("192.0.2.1", 0)});
  // Far more lookups than the memory holds: the oldest are forgotten, which
  // only makes the policy stricter.
  for (int i = 0; i < 3000; ++i) {
    std::array<u8, 4> ip = {10, static_cast<u8>(i >> 8), static_cast<u8>(i & 0xff), 1};
    p.NoteResolved("other.test", {MakeSockAddr(ip, 0)});
  }
  EXPECT_FALSE(p.AllowsConnect(Addr("192.0.2.1", 443), *sys));
}

TEST(SockAddrTest, GuestEncodings) {
  std::array<u8, 4> v4 = {127, 0, 0, 1};
  SockAddr a;
  ASSERT_EQ(DecodeGuestAddr(v4, 80, &a), Errno::kSuccess);
  EXPECT_EQ(FormatSockAddr(a), "127.0.0.1:80");

  std::array<u8, kTaggedAddrLen> tagged{};
  tagged[0] = kWasiAfInet6;
  tagged[17] = 1;  // ::1
  ASSERT_EQ(DecodeGuestAddr(tagged, 8080, &a), Errno::kSuccess);
  EXPECT_EQ(FormatSockAddr(a), "[::1]:8080");

  tagged[0] = 9;
  EXPECT_EQ(DecodeGuestAddr(tagged, 1, &a), Errno::kInval);
  EXPECT_EQ(DecodeGuestAddr(std::span<const u8>(v4.data(), 3), 1, &a), Errno::kInval);
  EXPECT_EQ(DecodeGuestAddr(v4, 70000, &a), Errno::kInval);
}

TEST(SockAddrTest, ReadAndWriteThroughGuestMemory) {
  std::vector<u8> bytes(256);
  GuestMemory mem(bytes);
  // struct {buf = 16, buf_len = 128} at 0; the buffer at 16..144; port at 200.
  ASSERT_TRUE(mem.Store<u32>(0, 16));
  ASSERT_TRUE(mem.Store<u32>(4, kTaggedAddrLen));
  EXPECT_EQ(WriteGuestAddr(mem, 0, 200, Addr("10.1.2.3", 4242)), Errno::kSuccess);
  EXPECT_EQ(bytes[16], kWasiAfInet4);
  EXPECT_EQ(bytes[18], 10);
  EXPECT_EQ(bytes[21], 3);
  u32 port = 0;
  ASSERT_TRUE(mem.Load(200, &port));
  EXPECT_EQ(port, 4242u);
  SockAddr back;
  ASSERT_EQ(ReadGuestAddr(mem, 0, port, &back), Errno::kSuccess);
  EXPECT_EQ(FormatSockAddr(back), "10.1.2.3:4242");

  EXPECT_EQ(WriteGuestAddr(mem, 0, 254, back), Errno::kFault);  // port out of bounds
  EXPECT_EQ(ReadGuestAddr(mem, 252, 1, &back), Errno::kFault);  // struct out of bounds
  ASSERT_TRUE(mem.Store<u32>(0, 200));                          // buffer out of bounds
  EXPECT_EQ(ReadGuestAddr(mem, 0, 1, &back), Errno::kFault);
  ASSERT_TRUE(mem.Store<u32>(4, 5));  // no such size
  EXPECT_EQ(ReadGuestAddr(mem, 0, 1, &back), Errno::kInval);
  EXPECT_EQ(WriteGuestAddr(mem, 0, 200, back), Errno::kInval);
}

TEST(SockAddrTest, HostPortText) {
  std::string host, port;
  ASSERT_TRUE(SplitHostPort("[::1]:80", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, "80");
  ASSERT_TRUE(SplitHostPort("example.com:*", &host, &port));
  EXPECT_EQ(host, "example.com");
  EXPECT_EQ(port, "*");
  EXPECT_FALSE(SplitHostPort("::1:80", &host, &port));
  EXPECT_FALSE(SplitHostPort("[::1]", &host, &port));
  u16 p = 0;
  EXPECT_TRUE(ParsePort("65535", &p));
  EXPECT_EQ(p, 65535);
  EXPECT_FALSE(ParsePort("65536", &p));
  EXPECT_FALSE(ParsePort("-1", &p));
}

}  // namespace
}  // namespace deja::wasi
