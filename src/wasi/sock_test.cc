// Socket tests with guest programs (tests/guests/sock_*.c) against host-side
// peers on loopback. Every host peer waits at most kPeerTimeoutMs, so a broken
// guest fails the test instead of hanging it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string>
#include <thread>

#include "wasi/ctx.h"
#include "wasi/rights.h"
#include "wasi/wasi_test_util.h"

namespace deja::wasi {
namespace {

using testing::RunGuest;
using testing::Fd;

constexpr int kPeerTimeoutMs = 10'000;

bool WaitReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, kPeerTimeoutMs) == 1;
}

// A loopback socket of `type` bound to an ephemeral port; returns the port.
int BoundSocket(int family, int type, u16* port) {
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    len = sizeof *in6;
  }
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&ss), len), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len), 0);
  *port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                  : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return fd;
}

u16 FreePort() {
  u16 port = 0;
  Fd fd(BoundSocket(AF_INET, SOCK_STREAM, &port));
  return port;
}

// Accepts one connection, expects "ping", answers "pong".
std::thread PongServer(int listener, bool* ok) {
  return std::thread([listener, ok] {
    if (!WaitReadable(listener)) return;
    Fd conn(accept(listener, nullptr, nullptr));
    char buf[4];
    size_t got = 0;
    while (got < 4 && WaitReadable(conn.get())) {
      ssize_t n = recv(conn.get(), buf + got, 4 - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    *ok = got == 4 && std::string(buf, 4) == "ping" && send(conn.get(), "pong", 4, 0) == 4;
  });
}

// Connects to 127.0.0.1:port (retrying while the guest starts), sends
// `message`, shuts down its side and returns everything read back.
std::string EchoClient(u16 port, const std::string& message) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 200; ++attempt) {
    Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      usleep(50'000);
      continue;
    }
    if (send(fd.get(), message.data(), message.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(message.size())) {
      return "<send failed>";
    }
    shutdown(fd.get(), SHUT_WR);
    std::string reply;
    char buf[256];
    while (WaitReadable(fd.get())) {
      ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
    return reply;
  }
  return "<no connection>";
}

WasiConfig ClientConfig(std::vector<std::string> args) {
  WasiConfig config;
  config.args = std::move(args);
  config.args.insert(config.args.begin(), "sock_client");
  return config;
}

void ExpectSuccess(const testing::GuestRun& run) {
  EXPECT_EQ(run.outcome == Outcome::kExited ? run.exit_code : 0, 0) << run.err;
  EXPECT_NE(run.outcome, Outcome::kTrapped) << run.trap;
  EXPECT_EQ(run.err, "");
}

TEST(SockTest, EchoServerOnPreopenedListener) {
  u16 port = FreePort();
  WasiConfig config;
  config.args = {"sock_echo_server", "2"};
  config.listen = {"127.0.0.1:" + std::to_string(port)};
  std::string first, second;
  std::thread client([&] {
    first = EchoClient(port, "hello, guest");
    second = EchoClient(port, std::string(3000, 'z'));
  });
  auto run = RunGuest("sock_echo_server", config);
  client.join();
  ExpectSuccess(run);
  EXPECT_EQ(run.out, "served 2\n");
  EXPECT_EQ(first, "hello, guest");
  EXPECT_EQ(second, std::string(3000, 'z'));
}

// Sends `line` in two pieces (the server must cope with partial reads) and
// returns the reply, read until the server closes.
std::string LineClient(u16 port, const std::string& line) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 200; ++attempt) {
    Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      usleep(50'000);
      continue;
    }
    size_t half = line.size() / 2;
    send(fd.get(), line.data(), half, MSG_NOSIGNAL);
    usleep(20'000);
    send(fd.get(), line.data() + half, line.size() - half, MSG_NOSIGNAL);
    std::string reply;
    char buf[256];
    while (WaitReadable(fd.get())) {
      ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
    return reply;
  }
  return "<no connection>";
}

TEST(SockTest, PollServerWithConcurrentClients) {
  u16 port = FreePort();
  WasiConfig config;
  config.args = {"sock_poll_server", "3"};
  config.listen = {"127.0.0.1:" + std::to_string(port)};
  std::string replies[3];
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&replies, i, port] {
      replies[i] = LineClient(port, "client " + std::to_string(i) + "\n");
    });
  }
  auto run = RunGuest("sock_poll_server", config);
  for (std::thread& t : clients) t.join();
  ExpectSuccess(run);
  EXPECT_EQ(run.out, "served 3\n");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(replies[i], "CLIENT " + std::to_string(i) + "\n");
}

TEST(SockTest, ListenersFollowThePreopens) {
  char dir[] = "/tmp/deja_sock_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  WasiConfig config;
  config.preopens = {{dir, "/data", false}};
  config.listen = {"127.0.0.1:0", "[::1]:0", "localhost:0", "127.0.0.1:*"};
  auto wasi = Wasi::Create(config);
  ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
  FdTable& fds = (*wasi)->ctx().fds;
  ASSERT_NE(fds.Get(3), nullptr);
  EXPECT_TRUE(fds.Get(3)->preopen);
  for (u32 fd = 4; fd <= 6; ++fd) {
    FdEntry* e = fds.Get(fd);
    ASSERT_NE(e, nullptr) << fd;
    EXPECT_EQ(e->type, FileType::kSocketStream);
    EXPECT_TRUE(e->listener);
    EXPECT_EQ(e->rights_base & rights::kSockAccept, rights::kSockAccept);
  }
  EXPECT_EQ(fds.Get(7), nullptr);  // the wildcard entry only permits sock_bind
  wasi->reset();
  rmdir(dir);
}

TEST(SockTest, ListenErrorsNameTheAddress) {
  u16 busy_port = 0;
  Fd busy(BoundSocket(AF_INET, SOCK_STREAM, &busy_port));
  ASSERT_EQ(listen(busy.get(), 1), 0);
  struct Case {
    std::string address;
    Status::Code code;
  };
  const Case cases[] = {
      {"nonsense", Status::Code::kInvalidArgument},
      {"127.0.0.1:99999", Status::Code::kInvalidArgument},
      {"::1:80", Status::Code::kInvalidArgument},
      {"127.0.0.1:" + std::to_string(busy_port), Status::Code::kIoError},
      {"192.0.2.1:0", Status::Code::kIoError},  // not a local address
  };
  for (const Case& c : cases) {
    WasiConfig config;
    config.listen = {c.address};
    auto wasi = Wasi::Create(config);
    ASSERT_FALSE(wasi.ok()) << c.address;
    EXPECT_EQ(wasi.status().code(), c.code) << wasi.status().ToString();
    EXPECT_NE(wasi.status().message().find(c.address), std::string::npos)
        << wasi.status().ToString();
  }
}

TEST(SockTest, ConnectToAllowedPort) {
  u16 port = 0;
  Fd listener(BoundSocket(AF_INET, SOCK_STREAM, &port));
  ASSERT_EQ(listen(listener.get(), 1), 0);
  bool served = false;
  std::thread server = PongServer(listener.get(), &served);
  WasiConfig config = ClientConfig({"tcp", std::to_string(port)});
  config.allow_connect = {"127.0.0.1:" + std::to_string(port)};
  auto run = RunGuest("sock_client", config);
  server.join();
  ExpectSuccess(run);
  EXPECT_TRUE(served);
}

TEST(SockTest, NonblockingConnectThenPoll) {
  u16 port = 0;
  Fd listener(BoundSocket(AF_INET, SOCK_STREAM, &port));
  ASSERT_EQ(listen(listener.get(), 1), 0);
  bool served = false;
  std::thread server = PongServer(listener.get(), &served);
  WasiConfig config = ClientConfig({"nbconnect", std::to_string(port)});
  config.allow_connect = {"127.0.0.*:" + std::to_string(port)};
  auto run = RunGuest("sock_client", config);
  server.join();
  ExpectSuccess(run);
  EXPECT_TRUE(served);
}

TEST(SockTest, ConnectOverIpv6) {
  u16 port = 0;
  Fd listener(BoundSocket(AF_INET6, SOCK_STREAM, &port));
  ASSERT_EQ(listen(listener.get(), 1), 0);
  bool served = false;
  std::thread server = PongServer(listener.get(), &served);
  WasiConfig config = ClientConfig({"tcp6", std::to_string(port)});
  config.allow_connect = {"[::1]:" + std::to_string(port)};
  auto run = RunGuest("sock_client", config);
  server.join();
  ExpectSuccess(run);
  EXPECT_TRUE(served);
}

TEST(SockTest, ConnectRefusedForOtherPortsHostsAndNames) {
  WasiConfig config = ClientConfig({"denied", "4000"});
  config.allow_connect = {"127.0.0.1:4000"};
  auto run = RunGuest("sock_client", config);
  ExpectSuccess(run);
  EXPECT_EQ(run.out, "denied\n");
}

TEST(SockTest, ResolveLocalhostThenConnect) {
  u16 port = 0;
  Fd listener(BoundSocket(AF_INET, SOCK_STREAM, &port));
  ASSERT_EQ(listen(listener.get(), 1), 0);
  bool served = false;
  std::thread server = PongServer(listener.get(), &served);
  WasiConfig config = ClientConfig({"resolve", std::to_string(port)});
  config.allow_connect = {"localhost:" + std::to_string(port)};
  auto run = RunGuest("sock_client", config);
  server.join();
  ExpectSuccess(run);
  EXPECT_TRUE(served);
}

TEST(SockTest, UdpSendToAndRecvFrom) {
  u16 port = 0;
  Fd server_fd(BoundSocket(AF_INET, SOCK_DGRAM, &port));
  std::string received;
  std::thread server([&] {
    if (!WaitReadable(server_fd.get())) return;
    char buf[64];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n =
        recvfrom(server_fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) return;
    received.assign(buf, static_cast<size_t>(n));
    std::string upper = received;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    sendto(server_fd.get(), upper.data(), upper.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    sendto(server_fd.get(), "0123456789", 10, 0, reinterpret_cast<sockaddr*>(&from), len);
  });
  WasiConfig config = ClientConfig({"udp", std::to_string(port)});
  config.allow_connect = {"127.0.0.1:" + std::to_string(port)};
  auto run = RunGuest("sock_client", config);
  server.join();
  ExpectSuccess(run);
  EXPECT_EQ(received, "hello");
  EXPECT_EQ(run.out, "udp ok\n");
}

TEST(SockTest, GuestBindOnlyWhereListenPatternsAllow) {
  WasiConfig config = ClientConfig({"bind"});
  config.listen = {"127.0.0.1:*"};
  config.allow_connect = {"127.0.0.1:*"};  // it connects to itself
  auto run = RunGuest("sock_client", config);
  ExpectSuccess(run);
  EXPECT_EQ(run.out, "bind ok\n");
}

TEST(SockTest, RightsAndFlagsAreChecked) {
  auto run = RunGuest("sock_client", ClientConfig({"rights"}));
  ExpectSuccess(run);
  EXPECT_EQ(run.out, "rights ok\n");
}

TEST(SockTest, ErrorPaths) {
  auto run = RunGuest("sock_client", ClientConfig({"errors"}));
  ExpectSuccess(run);
  EXPECT_EQ(run.out, "errors ok\n");
}

TEST(SockTest, SocketsCountAgainstMaxFds) {
  WasiConfig config = ClientConfig({"exhaust", "5"});
  config.max_fds = 8;  // stdio takes 3
  auto run = RunGuest("sock_client", config);
  ExpectSuccess(run);
  EXPECT_EQ(run.out, "opened 5\n");
}

}  // namespace
}  // namespace deja::wasi
