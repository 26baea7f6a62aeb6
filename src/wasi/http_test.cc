// HTTP/1.1 over WASI sockets on loopback: a guest server (tests/guests/
// http_server.c) on a pre-opened listener answering a host-side client, and a
// guest client (tests/guests/http_client.c) on the socket extension reaching
// a host-side server only where WasiConfig::allow_connect lets it. Every host
// peer waits at most kPeerTimeoutMs, and closes its side when it gives up, so
// a broken guest fails the test instead of hanging it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "wasi/ctx.h"
#include "wasi/wasi_test_util.h"

namespace deja::wasi {
namespace {

using testing::GuestPath;
using testing::GuestRun;
using testing::ReadAll;
using testing::RunGuest;
using testing::Fd;

constexpr int kPeerTimeoutMs = 5'000;

bool WaitReadable(int fd, int timeout_ms = kPeerTimeoutMs) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes (or kPeerTimeoutMs of silence).
std::string ReadToEnd(int fd) {
  std::string s;
  char buf[1024];
  while (WaitReadable(fd)) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

// Reads an HTTP request head, up to and including the blank line.
std::string ReadHead(int fd) {
  std::string s;
  char buf[512];
  while (s.find("\r\n\r\n") == std::string::npos && WaitReadable(fd)) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

u16 LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// Runs `module`'s _start under an already created Wasi (whose stdio the
// config pointed at `out`/`err`).
GuestRun RunCreated(Wasi& wasi, const Module& module, FILE* out, FILE* err) {
  GuestRun run;
  Store store;
  Linker linker;
  wasi.Link(store, linker);
  auto instance = linker.Instantiate(store, module);
  EXPECT_TRUE(instance.ok()) << instance.status().ToString();
  if (instance.ok()) {
    auto start = store.GetExport(*instance, "_start");
    EXPECT_TRUE(start.has_value());
    if (start) {
      std::vector<Value> results;
      run.outcome = store.Call(*start, {}, &results);
      if (run.outcome == Outcome::kExited) run.exit_code = store.exit_code();
      if (run.outcome == Outcome::kTrapped) run.trap = store.trap().ToString();
    }
  }
  run.out = ReadAll(out);
  run.err = ReadAll(err);
  return run;
}

struct HttpResponse {
  std::string status_line;
  std::vector<std::string> headers;
  std::string body;
  std::string raw;
};

HttpResponse Parse(const std::string& raw) {
  HttpResponse r;
  r.raw = raw;
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return r;
  size_t line_end = raw.find("\r\n");
  r.status_line = raw.substr(0, line_end);
  size_t pos = line_end + 2;
  while (pos < head_end) {
    size_t end = raw.find("\r\n", pos);
    r.headers.push_back(raw.substr(pos, end - pos));
    pos = end + 2;
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

bool HasHeader(const HttpResponse& r, const std::string& header) {
  for (const std::string& h : r.headers) {
    if (h == header) return true;
  }
  return false;
}

// One HTTP/1.1 exchange on a fresh connection to 127.0.0.1:port.
HttpResponse Request(u16 port, const std::string& request) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Parse("<no connection>");
  }
  if (!SendAll(fd.get(), request)) return Parse("<send failed>");
  return Parse(ReadToEnd(fd.get()));
}

TEST(HttpTest, GuestServerAnswersHostClient) {
  auto bytes = text::LoadModuleFile(GuestPath("http_server"));
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto module = Module::Compile(*bytes);
  ASSERT_TRUE(module.ok()) << module.status().ToString();

  FILE* out = tmpfile();
  FILE* err = tmpfile();
  WasiConfig config;
  config.args = {"http_server", "3"};
  config.listen = {"127.0.0.1:0"};
  config.stdout_fd = fileno(out);
  config.stderr_fd = fileno(err);
  auto wasi = Wasi::Create(config);
  ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
  // No preopens: the listener is the first descriptor after stdio, already
  // listening on the port the kernel chose.
  FdEntry* listener = (*wasi)->ctx().fds.Get(3);
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(listener->listener);
  u16 port = LocalPort(listener->host_fd);
  ASSERT_NE(port, 0);

  GuestRun run;
  std::thread guest([&] { run = RunCreated(**wasi, *module, out, err); });
  // Three connections whatever happens, so the guest's accepts all return.
  HttpResponse hello = Request(port,
                               "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: deja-test\r\n"
                               "Accept: */*\r\n\r\n");
  HttpResponse post = Request(port,
                              "POST /api/items?id=7 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Length: 0\r\n\r\n");
  HttpResponse bad = Request(port, "nonsense\r\n\r\n");
  guest.join();
  wasi->reset();
  fclose(out);
  fclose(err);

  EXPECT_NE(run.outcome, Outcome::kTrapped) << run.trap;
  EXPECT_EQ(run.outcome == Outcome::kExited ? run.exit_code : 0, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out, "served 3\n");

  EXPECT_EQ(hello.status_line, "HTTP/1.1 200 OK") << hello.raw;
  EXPECT_TRUE(HasHeader(hello, "Content-Type: text/plain")) << hello.raw;
  EXPECT_TRUE(HasHeader(hello, "Content-Length: 25")) << hello.raw;
  EXPECT_TRUE(HasHeader(hello, "Connection: close")) << hello.raw;
  EXPECT_EQ(hello.body, "you asked for GET /hello\n");

  std::string post_body = "you asked for POST /api/items?id=7\n";
  EXPECT_EQ(post.status_line, "HTTP/1.1 200 OK") << post.raw;
  EXPECT_TRUE(HasHeader(post, "Content-Length: " + std::to_string(post_body.size()))) << post.raw;
  EXPECT_EQ(post.body, post_body);

  EXPECT_EQ(bad.status_line, "HTTP/1.1 400 Bad Request") << bad.raw;
  EXPECT_TRUE(HasHeader(bad, "Content-Length: 12")) << bad.raw;
  EXPECT_EQ(bad.body, "bad request\n");
}

// A loopback listener on an ephemeral port.
int Listener(u16* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(listen(fd, 4), 0);
  *port = LocalPort(fd);
  return fd;
}

// Serves one request on `listener`: records its head, answers 200 with `body`.
std::thread HttpServer(int listener, const std::string& body, std::string* request_head) {
  return std::thread([listener, body, request_head] {
    if (!WaitReadable(listener)) return;
    Fd conn(accept(listener, nullptr, nullptr));
    *request_head = ReadHead(conn.get());
    SendAll(conn.get(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  });
}

WasiConfig ClientConfig(u16 port, const std::string& path) {
  WasiConfig config;
  config.args = {"http_client", std::to_string(port), path};
  return config;
}

TEST(HttpTest, GuestClientReachesAllowedServer) {
  u16 port = 0;
  Fd listener(Listener(&port));
  std::string head;
  std::thread server = HttpServer(listener.get(), "hello from the host\n", &head);
  WasiConfig config = ClientConfig(port, "/greeting?lang=en");
  config.allow_connect = {"127.0.0.1:" + std::to_string(port)};
  GuestRun run = RunGuest("http_client", config);
  server.join();
  EXPECT_NE(run.outcome, Outcome::kTrapped) << run.trap;
  EXPECT_EQ(run.outcome == Outcome::kExited ? run.exit_code : 0, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out, "HTTP/1.1 200 OK\nhello from the host\n");
  EXPECT_EQ(head.rfind("GET /greeting?lang=en HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n"), std::string::npos)
      << head;
}

void ExpectRefused(const WasiConfig& config, int listener, u16 port) {
  GuestRun run = RunGuest("http_client", config);
  EXPECT_EQ(run.outcome, Outcome::kExited) << run.trap;
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "connect to 127.0.0.1:" + std::to_string(port) + ": permission denied (EACCES)\n");
  EXPECT_FALSE(WaitReadable(listener, 200)) << "the server saw a connection";
}

TEST(HttpTest, GuestClientRefusedWhereAllowConnectDoesNotNameServer) {
  u16 port = 0;
  Fd listener(Listener(&port));
  WasiConfig config = ClientConfig(port, "/secret");
  // Another port on the same host, and the server's port on another host.
  config.allow_connect = {"127.0.0.1:" + std::to_string(port == 65535 ? 1 : port + 1),
                          "127.0.0.2:" + std::to_string(port)};
  ExpectRefused(config, listener.get(), port);
  ExpectRefused(ClientConfig(port, "/secret"), listener.get(), port);  // nothing allowed
}

}  // namespace
}  // namespace deja::wasi
