// A CGI hello: answers with the request's method, path, query and body, as
// a function behind `deja serve` sees them (docs/SERVER.md, "CGI mapping").
#include <stdio.h>
#include <stdlib.h>

static const char* Env(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

int main(void) {
  printf("Content-Type: text/plain; charset=utf-8\r\n\r\n");
  printf("hello from %s\n", Env("SCRIPT_NAME"));
  printf("method: %s\n", Env("REQUEST_METHOD"));
  printf("path: %s\n", Env("PATH_INFO"));
  printf("query: %s\n", Env("QUERY_STRING"));
  printf("traceparent: %s\n", Env("HTTP_TRACEPARENT"));
  printf("body: ");
  // The body is stdin; CONTENT_LENGTH says how long it is.
  long left = atol(Env("CONTENT_LENGTH"));
  char buf[4096];
  while (left > 0) {
    size_t want = left < (long)sizeof buf ? (size_t)left : sizeof buf;
    size_t n = fread(buf, 1, want, stdin);
    if (n == 0) break;
    fwrite(buf, 1, n, stdout);
    left -= (long)n;
  }
  printf("\n");
  return 0;
}
