// The harness shared by every benchmark kernel. A kernel defines
//   #define KERNEL_DEFAULT_N <n>   (the benchmark size: ~0.05-0.1 s with gcc -O2)
//   static uint64_t kernel(int n); (the work; its result is the checksum)
// and then includes this file, before any other header. Usage: KERNEL [N]. The work grows linearly with
// N, and N=1 is tiny (a smoke test). stdout gets one line, "<name> <n>
// checksum <hex>", identical on every runtime; stderr gets the kernel's own
// time ("kernel_ns <ns>"), which excludes process start and module compile.
#pragma once

#define _POSIX_C_SOURCE 200809L  // clock_gettime

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t kernel(int n);

// A small, fast pseudo-random generator (xorshift64*): the same sequence on
// every platform, so inputs need no files.
static inline uint64_t rng_next(uint64_t* state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t mix64(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char** argv) {
  int n = KERNEL_DEFAULT_N;
  if (argc > 1) n = atoi(argv[1]);
  if (n < 1) {
    fprintf(stderr, "usage: %s [N >= 1]\n", argv[0]);
    return 2;
  }
  int64_t start = now_ns();
  uint64_t sum = kernel(n);
  int64_t elapsed = now_ns() - start;
  printf("%s %d checksum %016llx\n", KERNEL_NAME, n, (unsigned long long)sum);
  fprintf(stderr, "kernel_ns %lld\n", (long long)elapsed);
  return 0;
}
