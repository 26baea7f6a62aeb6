// An accept flood seen from the guest: accepts every connection it is
// offered on the pre-opened listener (fd 3) and keeps each open, until accept
// fails with something other than "try again" (under --max-fds: ENFILE),
// then prints how many it holds and why it stopped, holds them 1.5 s more
// and exits 0. Exits 2 if
// nothing arrives for 10 s.
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void) {
  struct pollfd p = {.fd = 3, .events = POLLIN};
  int held = 0;
  for (;;) {
    int ready = poll(&p, 1, 10000);
    if (ready <= 0) {
      printf("held %d, then nothing arrived\n", held);
      return 2;
    }
    int c = accept(3, NULL, NULL);
    if (c >= 0) {
      ++held;
      continue;
    }
    if (errno == EAGAIN) continue;
    printf("held %d, then accept: %s\n", held, strerror(errno));
    fflush(stdout);
    poll(NULL, 0, 1500);  // holding them all a while, for the host to count
    return 0;
  }
}
