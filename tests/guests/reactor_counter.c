// A WASI reactor (linked with -mexec-model=reactor): no main; the host calls
// _initialize, which runs the constructor below, then any export.
#include <stdio.h>

static int base;

__attribute__((constructor)) static void Init(void) { base = 100; }

// Returns base + a + b: 100 + a + b only if _initialize ran first.
__attribute__((export_name("add"))) int Add(int a, int b) { return base + a + b; }

// Uses WASI from a reactor: prints a line and returns its length.
__attribute__((export_name("greet"))) int Greet(int times) {
  int n = 0;
  for (int i = 0; i < times; ++i) n += printf("hello from a reactor (%d)\n", i + 1);
  fflush(stdout);
  return n;
}
