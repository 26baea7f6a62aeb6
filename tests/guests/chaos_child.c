// The chaos test's child (scripts/durable-chaos): argv K I, stdin a short
// input; some work, then prints "child K.I got <input>" and exits 0.
#include "guest.h"

int main(int argc, char** argv) {
  CHECK(argc == 3);
  char in[128];
  size_t len = fread(in, 1, sizeof in - 1, stdin);
  in[len] = '\0';
  unsigned long long x = 1;
  for (unsigned j = 0; j < 200000u; ++j) x = x * 6364136223846793005ULL + j;
  printf("child %s.%s got %s (%llu)\n", argv[1], argv[2], in, x % 1000);
  return 0;
}
