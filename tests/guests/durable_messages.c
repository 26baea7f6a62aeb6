// Durable messages. "send ID TEXT...": sends each TEXT to instance ID.
// "recv N": receives N messages (waiting for each) and prints them.
#include <deja/guest/durable.h>

#include "guest.h"

int main(int argc, char** argv) {
  CHECK(argc >= 3);
  if (strcmp(argv[1], "send") == 0) {
    for (int i = 3; i < argc; ++i) CHECK(deja_send(argv[2], argv[i], strlen(argv[i])) == 0);
    CHECK(deja_send("no-such-instance", "x", 1) == ENOENT);
    printf("sent %d\n", argc - 3);
    return 0;
  }
  int n = atoi(argv[2]);
  for (int i = 0; i < n; ++i) {
    char buf[256];
    size_t len = 0;
    CHECK(deja_recv(buf, sizeof buf - 1, &len) == 0);
    buf[len] = '\0';
    printf("message %d: %s\n", i, buf);
  }
  size_t len = 0;
  char buf[8];
  CHECK(deja_recv_poll(buf, sizeof buf, &len) == EAGAIN);
  return 0;
}
