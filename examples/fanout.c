// Fan-out/fan-in of durable children: starts N children of module argv[1]
// (examples/fanout_worker.c), each summing the squares of its slice of
// 1..N*1000, waits for all of them and adds their answers.
//
//   deja start fanout.wasm sha256:<fanout_worker.wasm's hash> 100
#include <deja/guest/durable.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHILDREN 1000

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fanout WORKER_MODULE [N]\n");
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 100;
  if (n < 1 || n > MAX_CHILDREN) return 2;
  static deja_child_t children[MAX_CHILDREN];
  for (int i = 0; i < n; ++i) {
    char from[24], to[24];
    snprintf(from, sizeof from, "%d", i * 1000 + 1);
    snprintf(to, sizeof to, "%d", (i + 1) * 1000);
    const char* args[] = {from, to};
    if (deja_spawn(argv[1], args, 2, NULL, 0, &children[i]) != 0) return 1;
  }
  size_t which;
  int32_t status;
  if (deja_await(children, (size_t)n, DEJA_ALL, &which, &status) != 0 || status != 0) return 1;
  uint64_t total = 0;
  for (int i = 0; i < n; ++i) {
    char out[32];
    size_t len = 0;
    if (deja_child_output(children[i], 0, out, sizeof out - 1, &len) != 0) return 1;
    out[len] = '\0';
    total += strtoull(out, NULL, 10);
  }
  printf("sum of squares 1..%d = %" PRIu64 "\n", n * 1000, total);
  return 0;
}
