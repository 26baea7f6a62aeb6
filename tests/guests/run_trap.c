// `deja run` on a trap: divides by a zero the compiler cannot see, inside a
// named function, so the backtrace has something to show.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int Divide(int a, int b) { return a / b; }

int main(int argc, char** argv) {
  (void)argv;
  printf("about to divide\n");
  fflush(stdout);
  return Divide(argc, argc - 1);
}
