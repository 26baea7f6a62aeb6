// `deja run` passes stdin through: echoes it upper-cased, then its size.
#include <ctype.h>
#include <stdio.h>

int main(void) {
  int c;
  long count = 0;
  while ((c = getchar()) != EOF) {
    putchar(toupper(c));
    ++count;
  }
  printf("%ld bytes\n", count);
  return 0;
}
