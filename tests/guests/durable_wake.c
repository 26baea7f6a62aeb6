// Wake-up latency of a durable sleep (bench/durable): sleeps argv[1]
// seconds and prints how much later than asked it woke, in microseconds,
// by the realtime clock (which is real time at wake-up, recorded).
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long RealNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char** argv) {
  unsigned s = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
  long long before = RealNs();
  sleep(s);
  long long late = RealNs() - before - (long long)s * 1000000000LL;
  printf("late_us %lld\n", late / 1000);
  return 0;
}
