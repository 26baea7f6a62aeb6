// Allocates until it cannot, then aborts: a memory bomb under --max-memory.
// It touches one byte per 4 KiB so the bomb is memory, not time.
#include <stdlib.h>

int main(void) {
  for (;;) {
    volatile char* p = malloc(1 << 20);
    if (p == NULL) abort();
    for (int i = 0; i < (1 << 20); i += 4096) p[i] = 1;
  }
}
