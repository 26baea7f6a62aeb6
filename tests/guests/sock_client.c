// Outbound sockets through the WasmEdge extension, one scenario per argv[1]:
//   tcp PORT      connect to 127.0.0.1:PORT, send "ping", expect "pong"
//   tcp6 PORT     the same over [::1]
//   nbconnect PORT  the same with a non-blocking connect, poll and SO_ERROR
//   denied PORT   connecting to a port or host the policy does not allow fails
//   resolve PORT  sock_getaddrinfo("localhost") then connect to what it gave
//   udp PORT      send_to/recv_from with a host echo server on PORT
//   bind          bind/listen only where the listen patterns allow, then
//                 connect to itself and accept a non-blocking connection
//   rights        ENOTCAPABLE once rights are dropped; EINVAL for bad flags
//   errors        EBADF / ENOTSOCK / EFAULT / EINVAL paths
//   exhaust N     exactly N sockets fit under max_fds, the next one is refused
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest.h"
#include "sock_ext.h"

static uint8_t kLoopback4[4] = {127, 0, 0, 1};
static uint8_t kOther4[4] = {127, 0, 0, 2};
static uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static uint32_t OpenSocket(uint32_t af, uint32_t type) {
  uint32_t fd = 0;
  CHECK_WASI(sock_open(af, type, &fd), kOk);
  return fd;
}

static void PingPong(uint32_t fd) {
  CHECK(send((int)fd, "ping", 4, 0) == 4);
  char reply[8] = {0};
  ssize_t n = recv((int)fd, reply, sizeof reply, MSG_WAITALL);
  CHECK(n == 4 && memcmp(reply, "pong", 4) == 0);
  CHECK(close((int)fd) == 0);
}

static void Tcp(uint32_t port, int v6) {
  uint32_t fd = OpenSocket(v6 ? kAfInet6 : kAfInet4, kSockStream);
  WasiAddress addr = {v6 ? kLoopback6 : kLoopback4, v6 ? 16 : 4};
  CHECK_WASI(sock_connect(fd, &addr, port), kOk);
  uint8_t tagged[128];
  WasiAddress out = {tagged, sizeof tagged};
  uint32_t peer_port = 0;
  CHECK_WASI(sock_getpeeraddr(fd, &out, &peer_port), kOk);
  CHECK(peer_port == port);
  CHECK(tagged[0] == (v6 ? kAfInet6 : kAfInet4));
  CHECK(memcmp(tagged + 2, v6 ? kLoopback6 : kLoopback4, v6 ? 16 : 4) == 0);
  uint32_t local_port = 0;
  CHECK_WASI(sock_getlocaladdr(fd, &out, &local_port), kOk);
  CHECK(local_port != 0 && local_port != port);
  PingPong(fd);
}

// A non-blocking connect: EINPROGRESS (or done at once on loopback), poll
// for writability, then SO_ERROR says how it went.
static void NonblockingConnect(uint32_t port) {
  uint32_t fd = OpenSocket(kAfInet4, kSockStream);
  CHECK(fcntl((int)fd, F_SETFL, O_NONBLOCK) == 0);
  WasiAddress addr = {kLoopback4, 4};
  uint32_t err = sock_connect(fd, &addr, port);
  CHECK(err == kOk || err == 26 /* EINPROGRESS */);
  struct pollfd p = {.fd = (int)fd, .events = POLLOUT};
  CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLOUT) != 0);
  int so_error = -1;
  uint32_t len = sizeof so_error;
  CHECK_WASI(sock_getsockopt(fd, 0, 2 /* SO_ERROR */, &so_error, &len), kOk);
  CHECK(so_error == 0);
  CHECK(fcntl((int)fd, F_SETFL, 0) == 0);
  PingPong(fd);
}

static void Denied(uint32_t port) {
  uint32_t fd = OpenSocket(kAfInet4, kSockStream);
  WasiAddress addr = {kLoopback4, 4};
  CHECK_WASI(sock_connect(fd, &addr, port + 1), kEacces);  // port not allowed
  WasiAddress other = {kOther4, 4};
  CHECK_WASI(sock_connect(fd, &other, port), kEacces);  // host not allowed
  // The 128-byte tagged form and an IPv4-mapped IPv6 address are judged alike.
  uint8_t tagged[128] = {kAfInet6};
  uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 2};
  memcpy(tagged + 2, mapped, 16);
  WasiAddress tagged_addr = {tagged, sizeof tagged};
  uint32_t fd6 = OpenSocket(kAfInet6, kSockStream);
  CHECK_WASI(sock_connect(fd6, &tagged_addr, port), kEacces);
  // Datagrams obey the same rule.
  uint32_t udp = OpenSocket(kAfInet4, kSockDgram);
  WasiIovec iov = {(uint8_t*)"x", 1};
  uint32_t sent = 0;
  CHECK_WASI(sock_send_to(udp, &iov, 1, &other, port, 0, &sent), kEacces);
  // Names outside the patterns cannot even be looked up.
  WasiAddrinfo hints = {0};
  WasiAddrinfo* res = NULL;
  uint32_t count = 0;
  CHECK_WASI(sock_getaddrinfo("example.com", 12, "80", 3, &hints, &res, 1, &count), kEacces);
  printf("denied\n");
}

static void Resolve(uint32_t port) {
  char service[8];
  snprintf(service, sizeof service, "%u", (unsigned)port);
  WasiAddrinfo hints = {0};
  hints.ai_socktype = kSockStream;
  WasiAddrinfo nodes[4];
  WasiSockaddr sockaddrs[4];
  uint8_t data[4][26];
  memset(nodes, 0, sizeof nodes);
  for (int i = 0; i < 4; ++i) {
    sockaddrs[i].sa_data = data[i];
    sockaddrs[i].sa_data_len = sizeof data[i];
    nodes[i].ai_addr = &sockaddrs[i];
    nodes[i].ai_next = i + 1 < 4 ? &nodes[i + 1] : NULL;
  }
  WasiAddrinfo* res = nodes;
  uint32_t count = 0;
  CHECK_WASI(sock_getaddrinfo("localhost", 10, service, (uint32_t)strlen(service) + 1, &hints,
                              &res, 4, &count),
             kOk);
  CHECK(count >= 1);
  CHECK(nodes[0].ai_family == kAfInet4 && nodes[0].ai_socktype == kSockStream);
  CHECK(sockaddrs[0].family == kAfInet4 && sockaddrs[0].sa_data_len == 14);
  // sa_data: port (big-endian), then the address.
  CHECK(((data[0][0] << 8) | data[0][1]) == (int)port);
  CHECK(memcmp(data[0] + 2, kLoopback4, 4) == 0);
  uint32_t fd = OpenSocket(kAfInet4, kSockStream);
  WasiAddress addr = {data[0] + 2, 4};
  CHECK_WASI(sock_connect(fd, &addr, port), kOk);
  PingPong(fd);
}

static void Udp(uint32_t port) {
  uint32_t fd = OpenSocket(kAfInet4, kSockDgram);
  WasiAddress to = {kLoopback4, 4};
  WasiIovec out[2] = {{(uint8_t*)"hel", 3}, {(uint8_t*)"lo", 2}};
  uint32_t sent = 0;
  CHECK_WASI(sock_send_to(fd, out, 2, &to, port, 0, &sent), kOk);
  CHECK(sent == 5);
  uint8_t buf[16] = {0};
  WasiIovec in = {buf, sizeof buf};
  uint8_t tagged[128];
  WasiAddress from = {tagged, sizeof tagged};
  uint32_t from_port = 0, received = 0;
  uint16_t oflags = 0xffff;
  CHECK_WASI(sock_recv_from(fd, &in, 1, &from, 0, &from_port, &received, &oflags), kOk);
  CHECK(received == 5 && memcmp(buf, "HELLO", 5) == 0 && oflags == 0);
  CHECK(from_port == port && tagged[0] == kAfInet4 && memcmp(tagged + 2, kLoopback4, 4) == 0);
  // The server's second datagram is longer than the buffer: truncated.
  WasiIovec small = {buf, 4};
  CHECK_WASI(sock_recv_from(fd, &small, 1, &from, 0, &from_port, &received, &oflags), kOk);
  CHECK(received == 4 && oflags == 1 && memcmp(buf, "0123", 4) == 0);
  CHECK(close((int)fd) == 0);
  printf("udp ok\n");
}

// Connects to our own listener and accepts with fdflags.nonblock: the new
// descriptor is non-blocking (EAGAIN while no data is there).
static void AcceptNonblocking(uint32_t listener, uint32_t port) {
  uint32_t client = OpenSocket(kAfInet4, kSockStream);
  WasiAddress lo = {kLoopback4, 4};
  CHECK_WASI(sock_connect(client, &lo, port), kOk);
  int conn = accept4((int)listener, NULL, NULL, SOCK_NONBLOCK);
  CHECK(conn >= 0);
  __wasi_fdstat_t st;
  CHECK(__wasi_fd_fdstat_get((__wasi_fd_t)conn, &st) == 0);
  CHECK((st.fs_flags & __WASI_FDFLAGS_NONBLOCK) != 0);
  CHECK(st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM);
  char byte;
  CHECK_ERRNO(recv(conn, &byte, 1, 0), EAGAIN);
  CHECK(send((int)client, "x", 1, 0) == 1);
  CHECK(shutdown((int)client, SHUT_WR) == 0);
  ssize_t n;
  int spins = 0;
  while ((n = recv(conn, &byte, 1, 0)) < 0 && errno == EAGAIN) CHECK(++spins < 10000000);
  CHECK(n == 1 && byte == 'x');
  while ((n = recv(conn, &byte, 1, 0)) < 0 && errno == EAGAIN) CHECK(++spins < 10000000);
  CHECK(n == 0);  // the client's shutdown arrives after its data
  CHECK(close(conn) == 0 && close((int)client) == 0);
}

static void Bind(void) {
  uint32_t fd = OpenSocket(kAfInet4, kSockStream);
  WasiAddress any = {(uint8_t[4]){0, 0, 0, 0}, 4};
  CHECK_WASI(sock_bind(fd, &any, 0), kEacces);  // not a listen pattern
  WasiAddress lo = {kLoopback4, 4};
  CHECK_WASI(sock_bind(fd, &lo, 0), kOk);  // matches 127.0.0.1:*
  CHECK_WASI(sock_listen(fd, 1u << 31), kOk);  // backlog capped, not refused
  uint8_t tagged[128];
  WasiAddress out = {tagged, sizeof tagged};
  uint32_t port = 0;
  CHECK_WASI(sock_getlocaladdr(fd, &out, &port), kOk);
  CHECK(port != 0);
  int flag = 0;
  uint32_t len = sizeof flag;
  CHECK_WASI(sock_getsockopt(fd, 0, 13 /* SO_ACCEPTCONN */, &flag, &len), kOk);
  CHECK(flag == 1 && len == 4);
  CHECK_WASI(sock_getsockopt(fd, 0, 1 /* SO_TYPE */, &flag, &len), kOk);
  CHECK(flag == kSockStream);
  AcceptNonblocking(fd, port);
  // A non-blocking listener with nothing pending: EAGAIN, not a hang.
  CHECK(fcntl((int)fd, F_SETFL, O_NONBLOCK) == 0);
  CHECK_ERRNO(accept((int)fd, NULL, NULL), EAGAIN);
  // listen() without a bind would take every interface: refused.
  uint32_t unbound = OpenSocket(kAfInet4, kSockStream);
  CHECK_WASI(sock_listen(unbound, 4), kEacces);
  // Options round-trip.
  int one = 1;
  CHECK_WASI(sock_setsockopt(unbound, 0, 7 /* SO_KEEPALIVE */, &one, 4), kOk);
  len = sizeof flag;
  CHECK_WASI(sock_getsockopt(unbound, 0, 7, &flag, &len), kOk);
  CHECK(flag == 1);
  CHECK_WASI(sock_setsockopt(unbound, 0, 7, &one, 2), kEinval);
  // A long linger would block the host's close(): clamped to 10 seconds.
  int32_t linger[2] = {1, 100000};
  CHECK_WASI(sock_setsockopt(unbound, 0, 9 /* SO_LINGER */, linger, sizeof linger), kOk);
  int32_t got[2] = {0, 0};
  len = sizeof got;
  CHECK_WASI(sock_getsockopt(unbound, 0, 9, got, &len), kOk);
  CHECK(len == 8 && got[0] == 1 && got[1] == 10);
  CHECK_WASI(sock_setsockopt(unbound, 1, 7, &one, 4), kEinval);
  printf("bind ok\n");
}

// Socket calls check WASI rights: a descriptor whose rights were dropped
// gets ENOTCAPABLE.
static void Rights(void) {
  uint32_t fd = OpenSocket(kAfInet4, kSockStream);
  __wasi_fdstat_t st;
  CHECK(__wasi_fd_fdstat_get(fd, &st) == 0);
  __wasi_rights_t needed = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                           __WASI_RIGHTS_SOCK_SHUTDOWN | __WASI_RIGHTS_SOCK_ACCEPT;
  CHECK((st.fs_rights_base & needed) == needed);
  CHECK(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base & ~needed, 0) == 0);
  uint8_t byte;
  __wasi_iovec_t iov = {&byte, 1};
  __wasi_ciovec_t ciov = {&byte, 1};
  __wasi_size_t n = 0;
  __wasi_roflags_t roflags = 0;
  __wasi_fd_t conn = 0;
  CHECK(__wasi_sock_recv(fd, &iov, 1, 0, &n, &roflags) == __WASI_ERRNO_NOTCAPABLE);
  CHECK(__wasi_sock_send(fd, &ciov, 1, 0, &n) == __WASI_ERRNO_NOTCAPABLE);
  CHECK(__wasi_sock_shutdown(fd, __WASI_SDFLAGS_WR) == __WASI_ERRNO_NOTCAPABLE);
  CHECK(__wasi_sock_accept(fd, 0, &conn) == __WASI_ERRNO_NOTCAPABLE);
  uint32_t sent = 0;
  WasiIovec wiov = {&byte, 1};
  WasiAddress lo = {kLoopback4, 4};
  CHECK_WASI(sock_send_to(fd, &wiov, 1, &lo, 9, 0, &sent), __WASI_ERRNO_NOTCAPABLE);
  // Bad flags are refused before anything happens.
  uint32_t other = OpenSocket(kAfInet4, kSockStream);
  CHECK(__wasi_sock_recv(other, &iov, 1, 4, &n, &roflags) == __WASI_ERRNO_INVAL);
  CHECK(__wasi_sock_send(other, &ciov, 1, 1, &n) == __WASI_ERRNO_INVAL);
  CHECK(__wasi_sock_shutdown(other, 0) == __WASI_ERRNO_INVAL);
  CHECK(__wasi_sock_accept(other, __WASI_FDFLAGS_APPEND, &conn) == __WASI_ERRNO_INVAL);
  printf("rights ok\n");
}

static void Errors(void) {
  uint32_t fd = 0;
  CHECK_WASI(sock_open(9, kSockStream, &fd), kEinval);
  CHECK_WASI(sock_open(kAfInet4, 7, &fd), kEinval);
  CHECK_WASI(sock_open(kAfInet4, kSockStream, (uint32_t*)0xfffffff0u), kEfault);
  WasiAddress addr = {kLoopback4, 4};
  CHECK_WASI(sock_connect(99, &addr, 80), kEbadf);
  CHECK_WASI(sock_connect(1, &addr, 80), kEnotsock);  // stdout is a file
  fd = OpenSocket(kAfInet4, kSockStream);
  CHECK_WASI(sock_connect(fd, (WasiAddress*)0xfffffffcu, 80), kEfault);
  WasiAddress wild = {(uint8_t*)0xfffffff0u, 4};
  CHECK_WASI(sock_connect(fd, &wild, 80), kEfault);
  WasiAddress odd = {kLoopback4, 5};
  CHECK_WASI(sock_connect(fd, &odd, 80), kEinval);
  CHECK_WASI(sock_connect(fd, &addr, 70000), kEinval);
  uint8_t tagged[128];
  WasiAddress out = {tagged, 16};  // outputs need the 128-byte form
  uint32_t port = 0;
  CHECK_WASI(sock_getlocaladdr(fd, &out, &port), kEinval);
  out.buf_len = sizeof tagged;
  CHECK_WASI(sock_getlocaladdr(fd, &out, (uint32_t*)0xfffffffeu), kEfault);
  WasiIovec bad = {(uint8_t*)0xfffffff0u, 64};
  uint32_t sent = 0;
  CHECK_WASI(sock_send_to(fd, &bad, 1, &addr, 80, 0, &sent), kEfault);
  CHECK_WASI(sock_send_to(fd, &bad, 1, &addr, 80, 1, &sent), kEinval);
  WasiAddrinfo hints = {0};
  uint32_t count = 0;
  CHECK_WASI(sock_getaddrinfo((const char*)0xfffffff0u, 64, "80", 3, &hints, NULL, 1, &count),
             kEfault);
  hints.ai_family = 7;
  WasiAddrinfo* res = NULL;
  CHECK_WASI(sock_getaddrinfo("localhost", 10, "80", 3, &hints, &res, 1, &count), kEafnosupport);
  // Preview 1 calls on extension sockets check descriptors the same way.
  char byte;
  CHECK_ERRNO(recv(99, &byte, 1, 0), EBADF);
  CHECK_ERRNO(recv((int)fd, (void*)0xfffffff0u, 64, 0), EFAULT);
  printf("errors ok\n");
}

static void Exhaust(uint32_t expected) {
  uint32_t fd = 0, opened = 0;
  uint32_t err;
  while ((err = sock_open(kAfInet4, kSockDgram, &fd)) == kOk) {
    CHECK(++opened <= expected);
  }
  CHECK(err == 41 /* ENFILE */);
  CHECK(opened == expected);
  CHECK(close((int)fd) == 0);  // freeing one makes room again
  CHECK_WASI(sock_open(kAfInet4, kSockStream, &fd), kOk);
  printf("opened %u\n", (unsigned)opened);
}

int main(int argc, char** argv) {
  CHECK(argc >= 2);
  const char* mode = argv[1];
  uint32_t port = argc > 2 ? (uint32_t)atoi(argv[2]) : 0;
  if (strcmp(mode, "tcp") == 0) {
    Tcp(port, 0);
  } else if (strcmp(mode, "tcp6") == 0) {
    Tcp(port, 1);
  } else if (strcmp(mode, "nbconnect") == 0) {
    NonblockingConnect(port);
  } else if (strcmp(mode, "denied") == 0) {
    Denied(port);
  } else if (strcmp(mode, "resolve") == 0) {
    Resolve(port);
  } else if (strcmp(mode, "udp") == 0) {
    Udp(port);
  } else if (strcmp(mode, "bind") == 0) {
    Bind();
  } else if (strcmp(mode, "rights") == 0) {
    Rights();
  } else if (strcmp(mode, "errors") == 0) {
    Errors();
  } else if (strcmp(mode, "exhaust") == 0) {
    Exhaust(port);
  } else {
    CHECK(!"unknown mode");
  }
  return 0;
}
