// A durable instance's guest (tests/durable): "charges" N times with a
// sleep of S seconds between them (argv: N S [FILE]), checking after each
// sleep that the monotonic clock advanced by at least S, and appending one
// line per charge to FILE (a preopened directory's file) when given, so a
// test can count that each charge happened exactly once. argv[4]: the
// iterations of busy work before and after each charge (2,000,000).
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long MonoNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 3;
  unsigned s = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
  const char* file = argc > 3 && argv[3][0] != '\0' ? argv[3] : NULL;
  unsigned work = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 2000000u;
  unsigned long long sum = 0;
  for (int i = 1; i <= n; ++i) {
    // Some work between sleeps, so a kill can land while the guest runs.
    for (unsigned j = 0; j < work; ++j) sum = sum * 6364136223846793005ULL + j;
    printf("charge %d\n", i);
    fflush(stdout);
    if (file != NULL) {
      FILE* f = fopen(file, "a");
      if (f == NULL) {
        perror(file);
        return 2;
      }
      fprintf(f, "charge %d\n", i);
      fclose(f);
    }
    // As much work after the charge: a kill here finds the append in the log.
    for (unsigned j = 0; j < work; ++j) sum = sum * 6364136223846793005ULL + j;
    if (i == n) break;
    long long before = MonoNs();
    sleep(s);
    long long slept = MonoNs() - before;
    if (slept < (long long)s * 1000000000LL) {
      printf("monotonic clock advanced only %lld ns over a %u s sleep\n", slept, s);
      return 3;
    }
  }
  fprintf(stderr, "done %llu\n", sum % 1000);
  printf("paid\n");
  return 0;
}
