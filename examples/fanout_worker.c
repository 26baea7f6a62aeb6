// A child of examples/fanout.c: prints the sum of the squares FROM..TO.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  uint64_t from = strtoull(argv[1], NULL, 10), to = strtoull(argv[2], NULL, 10), sum = 0;
  for (uint64_t k = from; k <= to; ++k) sum += k * k;
  printf("%" PRIu64 "\n", sum);
  return 0;
}
