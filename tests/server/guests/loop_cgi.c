// Never answers: a busy loop (the server must stop it at its timeout).
#include <stdio.h>

int main(void) {
  volatile unsigned long i = 0;
  for (;;) ++i;
  return 0;
}
