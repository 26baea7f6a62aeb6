// Echoes stdin to stdout upper-cased, reports the byte count on stderr and
// exits with status 3; with no stdin at all it says so and exits 4.
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <unistd.h>

#include "guest.h"

int main(void) {
  char buf[256];
  long total = 0;
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0 && errno == EBADF) {
      fprintf(stderr, "no stdin\n");
      return 4;
    }
    CHECK(n >= 0);
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) buf[i] = (char)toupper((unsigned char)buf[i]);
    CHECK(fwrite(buf, 1, (size_t)n, stdout) == (size_t)n);
    total += n;
  }
  fflush(stdout);
  fprintf(stderr, "echoed %ld bytes\n", total);
  exit(3);
}
