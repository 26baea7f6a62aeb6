// Writes text that is not a CGI response (no header block).
#include <stdio.h>

int main(void) {
  printf("this is not a CGI response");
  return 0;
}
