// A child for the durable fan-out tests: prints "child N: <stdin>" and
// exits with status N % 3 (N = argv[1]).
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc < 2) return 99;
  int n = atoi(argv[1]);
  char in[256];
  size_t len = fread(in, 1, sizeof in - 1, stdin);
  in[len] = '\0';
  printf("child %d: %s\n", n, in);
  return n % 3;
}
