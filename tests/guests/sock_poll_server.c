// A single-threaded server the way real programs write one: a non-blocking
// pre-opened listener (fd 3) and poll() over it and every connection. Each
// client sends one line; the server answers it upper-cased and closes. It
// exits after serving argv[1] clients, which may all be connected at once.
#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest.h"

#define kMaxClients 8

typedef struct {
  int fd;
  char line[128];
  size_t len;
} Client;

// Reads what is there; true once the line is complete (answered and closed).
static int Service(Client* c) {
  ssize_t n = recv(c->fd, c->line + c->len, sizeof c->line - c->len, 0);
  if (n < 0 && errno == EAGAIN) return 0;
  CHECK(n > 0);
  c->len += (size_t)n;
  if (c->line[c->len - 1] != '\n') return 0;
  for (size_t i = 0; i < c->len; ++i) c->line[i] = (char)toupper((unsigned char)c->line[i]);
  // Blocking for the reply keeps the sketch short; it is a few bytes.
  CHECK(fcntl(c->fd, F_SETFL, 0) == 0);
  CHECK(send(c->fd, c->line, c->len, 0) == (ssize_t)c->len);
  CHECK(close(c->fd) == 0);
  return 1;
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  int expected = atoi(argv[1]);
  CHECK(expected > 0 && expected <= kMaxClients);
  const int listener = 3;
  CHECK(fcntl(listener, F_SETFL, O_NONBLOCK) == 0);
  Client clients[kMaxClients];
  int live = 0, accepted = 0, served = 0;
  while (served < expected) {
    struct pollfd fds[kMaxClients + 1];
    fds[0] = (struct pollfd){.fd = listener, .events = POLLIN};
    for (int i = 0; i < live; ++i) fds[i + 1] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
    CHECK(poll(fds, (nfds_t)live + 1, 10000) > 0);
    for (int i = live - 1; i >= 0; --i) {
      if ((fds[i + 1].revents & (POLLIN | POLLHUP)) == 0) continue;
      if (Service(&clients[i])) {
        clients[i] = clients[--live];
        ++served;
      }
    }
    if ((fds[0].revents & POLLIN) != 0) {
      int fd;
      while (accepted < expected && (fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        clients[live++] = (Client){.fd = fd, .len = 0};
        ++accepted;
      }
      CHECK(accepted == expected || errno == EAGAIN);
    }
  }
  printf("served %d\n", served);
  return 0;
}
