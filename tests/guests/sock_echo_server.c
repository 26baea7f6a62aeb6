// An echo server on the listening socket the host pre-opened (WasiConfig::
// listen): finds it by scanning descriptors from 3, serves argv[1]
// connections (echoing each until the client shuts down its side), then
// checks the preview 1 calls' errors on descriptors that are not sockets.
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest.h"

static int FindListener(void) {
  for (int fd = 3; fd < 64; ++fd) {
    __wasi_fdstat_t st;
    if (__wasi_fd_fdstat_get(fd, &st) != 0) continue;
    if (st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM &&
        (st.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT) != 0) {
      return fd;
    }
  }
  return -1;
}

static void Serve(int conn) {
  char buf[256];
  // Peeking leaves the bytes for the real read.
  char peek[4];
  ssize_t peeked = recv(conn, peek, sizeof peek, MSG_PEEK);
  CHECK(peeked > 0);
  ssize_t n = recv(conn, buf, sizeof buf, 0);
  CHECK(n >= peeked && memcmp(peek, buf, (size_t)peeked) == 0);
  while (n > 0) {
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = send(conn, buf + off, (size_t)(n - off), 0);
      CHECK(w > 0);
      off += w;
    }
    n = recv(conn, buf, sizeof buf, 0);
  }
  CHECK(n == 0);
  CHECK(shutdown(conn, SHUT_WR) == 0);
  CHECK(close(conn) == 0);
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  int count = atoi(argv[1]);
  int listener = FindListener();
  CHECK(listener >= 3);
  for (int i = 0; i < count; ++i) {
    int conn = accept(listener, NULL, NULL);
    CHECK(conn >= 0);
    Serve(conn);
  }
  // Preview 1 socket calls on a descriptor that is not a socket.
  char byte;
  CHECK_ERRNO(recv(1, &byte, 1, 0), ENOTSOCK);
  CHECK_ERRNO(accept(1, NULL, NULL), ENOTSOCK);
  CHECK_ERRNO(shutdown(1, SHUT_RD), ENOTSOCK);
  CHECK_ERRNO(send(77, "x", 1, 0), EBADF);
  printf("served %d\n", count);
  return 0;
}
