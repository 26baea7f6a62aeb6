// Writes numbered lines to stdout forever, one write per line: only a limit
// (`deja run --fuel`, `--timeout`) or a closed stdout stops it.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char line[64];
  for (unsigned long i = 0;; ++i) {
    int n = snprintf(line, sizeof line, "flood line %lu\n", i);
    if (write(1, line, (size_t)n) != n) return 1;
  }
}
