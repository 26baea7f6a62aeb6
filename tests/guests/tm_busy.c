// The time machine's SIGKILL guest: makes host calls forever (a clock read
// and a small write to a file under DIR each round, a stdout line every
// 1000 rounds), so a `deja run` killed at any moment leaves a recording cut
// short in the middle of its calls.
//
//   tm_busy DIR
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

int main(int argc, char** argv) {
  CHECK(argc == 2);
  char path[512];
  snprintf(path, sizeof path, "%s/tm_busy.out", argv[1]);
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  CHECK(fd >= 0);
  uint64_t sum = 0;
  for (uint64_t round = 0;; ++round) {
    struct timespec t;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
    sum += (uint64_t)t.tv_nsec;
    char line[64];
    int n = snprintf(line, sizeof line, "%llu\n", (unsigned long long)round);
    CHECK(write(fd, line, (size_t)n) == n);
    if (round % 1000 == 0) {
      printf("round %llu sum %llu\n", (unsigned long long)round, (unsigned long long)sum);
      fflush(stdout);
    }
  }
}
