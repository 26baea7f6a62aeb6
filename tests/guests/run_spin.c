// `deja run --timeout` and `--fuel`: never ends on its own.
#include <stdio.h>

int main(void) {
  printf("spinning\n");
  fflush(stdout);
  volatile unsigned counter = 0;
  for (;;) counter = counter + 1;
}
