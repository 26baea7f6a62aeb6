// Allocates until it cannot, then aborts: a memory bomb under --max-memory.
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (;;) {
    char* p = malloc(1 << 20);
    if (p == NULL) abort();
    memset(p, 1, 1 << 20);
  }
}
