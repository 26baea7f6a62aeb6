// A small HTTP/1.1 server on the listening socket the host pre-opened
// (WasiConfig::listen / `deja run --listen`): serves argv[1] requests, one per
// connection, answering each with 200 and a plain-text body naming the
// request line's method and target ("you asked for GET /hello"), then prints
// "served N" and exits 0. Malformed requests get 400 and still count.
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest.h"

enum { kMaxRequest = 8192 };

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

static void SendAll(int conn, const char* data, size_t len) {
  while (len > 0) {
    ssize_t w = send(conn, data, len, 0);
    CHECK(w > 0);
    data += w;
    len -= (size_t)w;
  }
}

// Reads until the blank line that ends the request head; returns its length
// (0 when the peer closed or the head does not fit).
static size_t ReadHead(int conn, char* buf, size_t cap) {
  size_t got = 0;
  while (got + 1 < cap) {
    ssize_t n = recv(conn, buf + got, cap - 1 - got, 0);
    if (n <= 0) return 0;
    got += (size_t)n;
    buf[got] = '\0';
    if (strstr(buf, "\r\n\r\n") != NULL) return got;
  }
  return 0;
}

static void Respond(int conn, int status, const char* reason, const char* body) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\n"
                   "Content-Type: text/plain\r\n"
                   "Content-Length: %zu\r\n"
                   "Connection: close\r\n"
                   "\r\n",
                   status, reason, strlen(body));
  CHECK(n > 0 && (size_t)n < sizeof head);
  SendAll(conn, head, (size_t)n);
  SendAll(conn, body, strlen(body));
}

static void Serve(int conn) {
  static char request[kMaxRequest];
  static char body[kMaxRequest + 64];
  if (ReadHead(conn, request, sizeof request) == 0) {
    Respond(conn, 400, "Bad Request", "bad request\n");
    return;
  }
  // The request line is "METHOD SP TARGET SP VERSION"; the body names the first two.
  *strstr(request, "\r\n") = '\0';
  char* space = strchr(request, ' ');
  char* version = space != NULL ? strchr(space + 1, ' ') : NULL;
  if (version == NULL || strncmp(version + 1, "HTTP/1.", 7) != 0) {
    Respond(conn, 400, "Bad Request", "bad request\n");
    return;
  }
  *version = '\0';
  snprintf(body, sizeof body, "you asked for %s\n", request);
  Respond(conn, 200, "OK", body);
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
    CHECK(shutdown(conn, SHUT_WR) == 0);
    CHECK(close(conn) == 0);
  }
  printf("served %d\n", count);
  return 0;
}
