// An HTTP/1.1 client over the WasmEdge socket extension: GETs
// http://127.0.0.1:argv[1]argv[2] and prints the response's status line and
// body on stdout. A refused connect (EACCES when --allow-connect does not
// name the address) is reported on stderr with exit status 3; other failures
// exit 1.
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock_ext.h"

enum { kMaxResponse = 65536 };

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: http_client PORT PATH\n");
    return 1;
  }
  uint32_t port = (uint32_t)atoi(argv[1]);
  const char* path = argv[2];
  uint32_t fd = 0;
  uint32_t err = sock_open(kAfInet4, kSockStream, &fd);
  if (err != kOk) {
    fprintf(stderr, "sock_open: errno %u\n", err);
    return 1;
  }
  uint8_t loopback[4] = {127, 0, 0, 1};
  WasiAddress addr = {loopback, sizeof loopback};
  err = sock_connect(fd, &addr, port);
  if (err == kEacces) {
    fprintf(stderr, "connect to 127.0.0.1:%u: permission denied (EACCES)\n", port);
    close((int)fd);
    return 3;
  }
  if (err != kOk) {
    fprintf(stderr, "connect to 127.0.0.1:%u: errno %u\n", port, err);
    close((int)fd);
    return 1;
  }

  char request[1024];
  int len = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: deja-http-client\r\n"
                     "Connection: close\r\n\r\n",
                     path, port);
  if (len <= 0 || (size_t)len >= sizeof request) {
    fprintf(stderr, "path too long\n");
    return 1;
  }
  for (int off = 0; off < len;) {
    ssize_t w = send((int)fd, request + off, (size_t)(len - off), 0);
    if (w <= 0) {
      perror("send");
      return 1;
    }
    off += (int)w;
  }

  // Connection: close, so the response ends where the stream does.
  static char response[kMaxResponse + 1];
  size_t got = 0;
  for (;;) {
    if (got == kMaxResponse) {
      fprintf(stderr, "response too large\n");
      return 1;
    }
    ssize_t n = recv((int)fd, response + got, kMaxResponse - got, 0);
    if (n < 0) {
      perror("recv");
      return 1;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  response[got] = '\0';
  close((int)fd);

  char* line_end = strstr(response, "\r\n");
  char* head_end = strstr(response, "\r\n\r\n");
  if (line_end == NULL || head_end == NULL) {
    fprintf(stderr, "malformed response (%zu bytes)\n", got);
    return 1;
  }
  *line_end = '\0';
  printf("%s\n", response);
  char* body = head_end + 4;
  fwrite(body, 1, got - (size_t)(body - response), stdout);
  return strncmp(response, "HTTP/1.1 200 ", 13) == 0 ? 0 : 2;
}
