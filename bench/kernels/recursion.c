// Deep and wide recursion: naive Fibonacci (millions of short calls) and a
// 5,000-deep non-tail recursion whose result mixes every level (so neither
// compiler can turn it into a loop).
#define KERNEL_NAME "recursion"
#define KERNEL_DEFAULT_N 250

#include "kernel.h"  // first: it sets _POSIX_C_SOURCE

#include <stdint.h>

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

enum { kDepth = 5000 };
static uint32_t values[kDepth];

static uint64_t deep(uint32_t level, uint64_t seed) {
  if (level == kDepth) return seed;
  uint64_t below = deep(level + 1, seed ^ values[level]);
  below ^= below >> 31;
  return below * 0xBF58476D1CE4E5B9ull + level;
}

static uint64_t kernel(int n) {
  uint64_t state = 42;
  for (int i = 0; i < kDepth; i++) values[i] = (uint32_t)rng_next(&state);
  uint64_t sum = 0;
  for (int round = 0; round < n; round++) {
    sum = mix64(sum, fib(20 + (uint32_t)(round % 4)));
    for (int k = 0; k < 20; k++) sum = mix64(sum, deep(0, sum + (uint64_t)k));
  }
  return sum;
}

