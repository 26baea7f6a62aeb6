// snap_init.c as a WASI reactor, for `deja snapshot --init --emit-wasm`
// (tests/snapshot/emit_wasm.sh): _initialize runs the constructor that
// builds a 4 MiB table and returns, so the call stack is empty afterwards
// and the state can be baked into a plain module. "report" prints from it.
#include <stdint.h>
#include <stdio.h>

#define N (1 << 20)
static uint32_t table[N];
static uint32_t builds;  // 1 after _initialize; 2 would mean it ran twice

__attribute__((constructor)) static void build_table(void) {
  uint32_t x = 2463534242u;
  for (int round = 0; round < 16; ++round) {
    for (uint32_t i = 0; i < N; ++i) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      table[i] += x;
    }
  }
  ++builds;
}

__attribute__((export_name("report"))) void report(void) {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < N; i += 4099) sum += table[i];
  printf("builds=%u table[1]=%u table[N-1]=%u sum=%llu\n", builds, table[1], table[N - 1],
         (unsigned long long)sum);
  fflush(stdout);
}
