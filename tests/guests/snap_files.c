// For the WASI state tests (src/wasi/wasi_snapshot_test.cc): copies
// /data/in.txt in 8-byte chunks, with a busy loop between chunks so a
// fuel-driven suspension lands mid-copy. Each chunk goes to stdout, is
// appended to /data/log.txt (O_APPEND) and written to /data/copy.txt at the
// current offset; the monotonic clock is checked never to go back.
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

static uint64_t Now(void) {
  struct timespec ts;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void) {
  int in = open("/data/in.txt", O_RDONLY);
  int log = open("/data/log.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
  int copy = open("/data/copy.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(in >= 0 && log >= 0 && copy >= 0);
  uint64_t last = Now(), h = 1469598103934665603ull;
  char buf[8];
  ssize_t n;
  int chunk = 0;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    for (uint32_t i = 0; i < 20000; ++i) h = (h ^ i) * 1099511628211ull;
    char line[64];
    int len = snprintf(line, sizeof line, "%d %.*s %02x\n", chunk++, (int)n, buf,
                       (unsigned)(h & 0xff));
    CHECK(write(1, line, (size_t)len) == len);
    CHECK(write(log, buf, (size_t)n) == n);
    CHECK(write(copy, buf, (size_t)n) == n);
    uint64_t now = Now();
    CHECK(now >= last);
    last = now;
  }
  CHECK(n == 0);
  CHECK(close(in) == 0 && close(log) == 0 && close(copy) == 0);
  const char done[] = "done\n";
  CHECK(write(1, done, sizeof done - 1) == (ssize_t)(sizeof done - 1));
  return 0;
}
