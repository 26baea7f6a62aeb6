// Clocks and randomness through wasi-libc and the raw WASI calls: sane
// values, monotonic time, real sleeping, EINVAL for unknown clocks.
#define _DEFAULT_SOURCE
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest.h"

static long long Nanos(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
  struct timespec real, a, b, res;
  CHECK(clock_gettime(CLOCK_REALTIME, &real) == 0);
  CHECK(real.tv_sec > 1600000000);  // after 2020
  CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
  struct timespec nap = {0, 20 * 1000 * 1000};
  CHECK(nanosleep(&nap, NULL) == 0);
  CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
  CHECK(Nanos(b) - Nanos(a) >= 20 * 1000 * 1000);
  CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0);
  CHECK(Nanos(res) > 0 && Nanos(res) <= 1000000);

  __wasi_timestamp_t t = 0;
  CHECK(__wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &t) == 0 && t > 0);
  CHECK(__wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 1, &t) == 0 && t > 0);
  CHECK(__wasi_clock_time_get(42, 1, &t) == __WASI_ERRNO_INVAL);
  CHECK(__wasi_clock_res_get(42, &t) == __WASI_ERRNO_INVAL);

  unsigned char r1[32], r2[32];
  CHECK(getentropy(r1, sizeof r1) == 0);
  CHECK(getentropy(r2, sizeof r2) == 0);
  CHECK(memcmp(r1, r2, sizeof r1) != 0);
  printf("clocks and random ok\n");
  return 0;
}
