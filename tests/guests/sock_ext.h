// The WasmEdge socket extension as a guest declares it (wasi-libc has no
// connect/bind for wasm32-wasi preview 1). Every function returns a WASI
// errno; addresses are {buf, buf_len} with a 4/16-byte or 128-byte tagged buffer.
#pragma once

#include <stdint.h>
#include <string.h>

#define SOCK_IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

typedef struct {
  uint8_t* buf;
  uint32_t buf_len;
} WasiAddress;

typedef struct {
  uint8_t family;
  uint32_t sa_data_len;
  uint8_t* sa_data;
} WasiSockaddr;

typedef struct {
  uint16_t ai_flags;
  uint8_t ai_family;
  uint8_t ai_socktype;
  uint32_t ai_protocol;
  uint32_t ai_addrlen;
  WasiSockaddr* ai_addr;
  char* ai_canonname;
  uint32_t ai_canonname_len;
  void* ai_next;
} WasiAddrinfo;

typedef struct {
  uint8_t* buf;
  uint32_t len;
} WasiIovec;

enum { kAfInet4 = 1, kAfInet6 = 2, kSockDgram = 1, kSockStream = 2 };
// WASI errno values the tests expect.
enum {
  kOk = 0, kEacces = 2, kEafnosupport = 5, kEagain = 6, kEbadf = 8, kEfault = 21,
  kEinval = 28, kEnotsock = 57,
};

SOCK_IMPORT(sock_open) uint32_t sock_open(uint32_t af, uint32_t type, uint32_t* fd);
SOCK_IMPORT(sock_bind) uint32_t sock_bind(uint32_t fd, WasiAddress* addr, uint32_t port);
SOCK_IMPORT(sock_listen) uint32_t sock_listen(uint32_t fd, uint32_t backlog);
SOCK_IMPORT(sock_connect) uint32_t sock_connect(uint32_t fd, WasiAddress* addr, uint32_t port);
SOCK_IMPORT(sock_getlocaladdr) uint32_t sock_getlocaladdr(uint32_t fd, WasiAddress* addr, uint32_t* port);
SOCK_IMPORT(sock_getpeeraddr) uint32_t sock_getpeeraddr(uint32_t fd, WasiAddress* addr, uint32_t* port);
SOCK_IMPORT(sock_send_to) uint32_t sock_send_to(uint32_t fd, const WasiIovec* iovs, uint32_t n,
                                                WasiAddress* addr, uint32_t port, uint32_t flags,
                                                uint32_t* sent);
SOCK_IMPORT(sock_recv_from) uint32_t sock_recv_from(uint32_t fd, WasiIovec* iovs, uint32_t n,
                                                    WasiAddress* addr, uint32_t flags,
                                                    uint32_t* port, uint32_t* received,
                                                    uint16_t* oflags);
SOCK_IMPORT(sock_getsockopt) uint32_t sock_getsockopt(uint32_t fd, uint32_t level, uint32_t name,
                                                      void* value, uint32_t* len);
SOCK_IMPORT(sock_setsockopt) uint32_t sock_setsockopt(uint32_t fd, uint32_t level, uint32_t name,
                                                      const void* value, uint32_t len);
SOCK_IMPORT(sock_getaddrinfo) uint32_t sock_getaddrinfo(const char* node, uint32_t node_len,
                                                        const char* service, uint32_t service_len,
                                                        const WasiAddrinfo* hints,
                                                        WasiAddrinfo** res, uint32_t max,
                                                        uint32_t* res_len);

// Checks that a raw extension call returns WASI errno `want`.
#define CHECK_WASI(expr, want)                                                     \
  do {                                                                             \
    uint32_t got_ = (expr);                                                        \
    if (got_ != (uint32_t)(want)) {                                                \
      fprintf(stderr, "%s:%d: %s returned %u, expected %u\n", __FILE__, __LINE__, \
              #expr, got_, (unsigned)(want));                                      \
      exit(70);                                                                    \
    }                                                                              \
  } while (0)
