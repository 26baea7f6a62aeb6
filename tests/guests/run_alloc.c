// `deja run --max-memory`: tries to allocate argv[1] MiB with malloc and to
// grow memory by the same amount directly, reporting instead of crashing
// when the limit refuses (or, with "abort" as argv[2], aborting then).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The block escapes through here, so the compiler cannot drop the malloc.
static char* volatile block;

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 1;
  block = malloc(mib << 20);
  char* p = block;
  if (p) {
    memset(p, 1, mib << 20);
    printf("malloc %zu MiB: ok\n", mib);
    free(p);
  } else {
    printf("malloc %zu MiB: failed\n", mib);
    fflush(stdout);
    // As a C++ `new` without exceptions does: give up with a trap.
    if (argc > 2 && strcmp(argv[2], "abort") == 0) abort();
  }
  long grown = (long)__builtin_wasm_memory_grow(0, mib * 16);
  printf("memory.grow %zu pages: %s\n", mib * 16, grown == -1 ? "-1" : "ok");
  return 0;
}
