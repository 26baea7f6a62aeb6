// Durable fan-out/fan-in: spawns argv[2] children of module argv[1]
// (durable_child) with argument i and input "in<i>", awaits them all, then
// prints each child's status and output in order, and the sum of statuses.
#include <deja/guest/durable.h>
#include <inttypes.h>

#include "guest.h"

#define MAX_CHILDREN 1000

int main(int argc, char** argv) {
  CHECK(argc == 3);
  int n = atoi(argv[2]);
  CHECK(n > 0 && n <= MAX_CHILDREN);
  static deja_child_t children[MAX_CHILDREN];
  for (int i = 0; i < n; ++i) {
    char arg[16], input[16];
    snprintf(arg, sizeof arg, "%d", i);
    snprintf(input, sizeof input, "in%d", i);
    const char* child_argv[] = {arg};
    CHECK(deja_spawn(argv[1], child_argv, 1, input, strlen(input), &children[i]) == 0);
  }
  size_t which = 0;
  int32_t status = 0;
  CHECK(deja_await(children, (size_t)n, DEJA_ALL, &which, &status) == 0);
  printf("all ended; first failure at %zu with status %" PRId32 "\n", which, status);
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    int32_t s = -1;
    CHECK(deja_raw_child_status(children[i], &s) == 0);
    char out[256];
    size_t len = 0;
    CHECK(deja_child_output(children[i], 0, out, sizeof out - 1, &len) == 0);
    out[len] = '\0';
    printf("%d: status %" PRId32 ", %s", i, s, out);
    sum += s;
  }
  printf("sum %ld\n", sum);
  return 0;
}
