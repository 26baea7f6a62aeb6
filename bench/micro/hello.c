// The smallest WASI program: the `deja run hello.wasm` process benchmark.
#include <stdio.h>

int main(void) {
  puts("hello");
  return 0;
}
