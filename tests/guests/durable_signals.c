// Durable guest API: waits for signal "approved" three times (each may have
// been sent before or after the wait) and prints the payloads in order, then
// shows that a poll on a name nobody sent finds nothing.
#include <deja/guest/durable.h>

#include "guest.h"

int main(void) {
  char buf[256];
  for (int i = 0; i < 3; ++i) {
    size_t len = 0;
    int e = deja_signal_wait("approved", buf, sizeof buf - 1, &len);
    CHECK(e == 0);
    buf[len] = '\0';
    printf("approved %d: %s\n", i, buf);
    fflush(stdout);
  }
  size_t len = 0;
  CHECK(deja_signal_poll("nobody-sent-this", buf, sizeof buf, &len) == EAGAIN);
  printf("done\n");
  return 0;
}
