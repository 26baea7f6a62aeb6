// Dense matrix multiply, C = A * B, on 128x128 doubles in the i-k-j order.
// The entries are small integers, so every sum is exact and the checksum does
// not depend on rounding.
#define KERNEL_NAME "matmul"
#define KERNEL_DEFAULT_N 14

#include "kernel.h"  // first: it sets _POSIX_C_SOURCE

#include <stdint.h>
#include <string.h>

enum { kDim = 128 };
static double a[kDim][kDim], b[kDim][kDim], c[kDim][kDim];

static void multiply(void) {
  memset(c, 0, sizeof c);
  for (int i = 0; i < kDim; i++) {
    for (int k = 0; k < kDim; k++) {
      double aik = a[i][k];
      for (int j = 0; j < kDim; j++) c[i][j] += aik * b[k][j];
    }
  }
}

static uint64_t kernel(int n) {
  uint64_t state = 7;
  for (int i = 0; i < kDim; i++) {
    for (int j = 0; j < kDim; j++) {
      a[i][j] = (double)(rng_next(&state) % 16);
      b[i][j] = (double)(rng_next(&state) % 16);
    }
  }
  uint64_t sum = 0;
  for (int round = 0; round < n; round++) {
    for (int rep = 0; rep < 4; rep++) {
      multiply();
      double trace = 0;
      for (int i = 0; i < kDim; i++) trace += c[i][(i * 7 + round) % kDim];
      sum = mix64(sum, (uint64_t)trace);
      // Feed the result back so no multiply can be skipped.
      a[round % kDim][rep] = (double)((uint64_t)trace % 16);
    }
  }
  return sum;
}

