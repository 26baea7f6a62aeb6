// `deja run --allow-connect`: tries a TCP connection to 127.0.0.1:argv[1]
// through the WasmEdge socket extension and prints how it went: "denied"
// (EACCES, the sandbox refused), "refused" (ECONNREFUSED, it got as far as
// the host), "connected", or the WASI errno.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sock_ext.h"

enum { kEconnrefused = 14 };

int main(int argc, char** argv) {
  uint32_t port = argc > 1 ? (uint32_t)atoi(argv[1]) : 1;
  uint32_t fd = 0;
  uint32_t err = sock_open(kAfInet4, kSockStream, &fd);
  if (err != kOk) {
    printf("sock_open: errno %u\n", err);
    return 1;
  }
  uint8_t loopback[4] = {127, 0, 0, 1};
  WasiAddress addr = {loopback, sizeof loopback};
  err = sock_connect(fd, &addr, port);
  close((int)fd);
  if (err == kOk) {
    printf("connected\n");
  } else if (err == kEacces) {
    printf("denied\n");
  } else if (err == kEconnrefused) {
    printf("refused\n");
  } else {
    printf("errno %u\n", err);
  }
  return 0;
}
