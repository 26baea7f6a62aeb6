// The time machine's host-call-heavy kernel (bench/record): N rounds of one
// clock_time_get and one small fd_write to a file under DIR, then a
// checksum of what was written (the same every run) and the call count.
//
//   tm_calls DIR [N]    (N defaults to 200000)
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest.h"

int main(int argc, char** argv) {
  CHECK(argc >= 2);
  long n = argc >= 3 ? atol(argv[2]) : 200000;
  char path[512];
  snprintf(path, sizeof path, "%s/tm_calls.out", argv[1]);
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  CHECK(fd >= 0);
  uint64_t checksum = 1469598103934665603ull;
  __wasi_timestamp_t last = 0;
  long backwards = 0;
  for (long i = 0; i < n; ++i) {
    __wasi_timestamp_t now = 0;
    CHECK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now) == 0);
    if (now < last) ++backwards;
    last = now;
    unsigned char rec[8];
    for (int b = 0; b < 8; ++b) rec[b] = (unsigned char)((uint64_t)i >> (8 * b));
    CHECK(write(fd, rec, sizeof rec) == (ssize_t)sizeof rec);
    for (int b = 0; b < 8; ++b) {
      checksum ^= rec[b];
      checksum *= 1099511628211ull;
    }
  }
  CHECK(close(fd) == 0);
  CHECK(backwards == 0);
  printf("tm_calls %ld rounds, %ld host calls in the loop, checksum %016llx\n", n, 2 * n,
         (unsigned long long)checksum);
  return 0;
}
