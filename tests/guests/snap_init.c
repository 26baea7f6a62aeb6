// Heavy initialisation for `deja snapshot --init` (tests/snapshot/init.sh):
// a constructor builds a large table, main prints a few entries. With a
// snapshot taken after the guest's "deja" "snapshot" request, later starts
// skip the table.
#include <stdint.h>
#include <stdio.h>

__attribute__((import_module("deja"), import_name("snapshot"))) int32_t deja_snapshot(void);

#define N (1 << 20)
static uint32_t table[N];

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
}

int main(void) {
  (void)deja_snapshot();  // pre-initialisation ends here
  uint64_t sum = 0;
  for (uint32_t i = 0; i < N; i += 4099) sum += table[i];
  printf("table[1]=%u table[N-1]=%u sum=%llu\n", table[1], table[N - 1],
         (unsigned long long)sum);
  return 0;
}
