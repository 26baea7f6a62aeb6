// A CGI function: answers with what it was asked (method, PATH_INFO, query,
// body), two Set-Cookie headers, and a line of log on stderr.
#include <stdio.h>
#include <stdlib.h>

static const char* Env(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

int main(void) {
  char body[4096];
  size_t n = fread(body, 1, sizeof body - 1, stdin);
  body[n] = 0;
  fprintf(stderr, "hello_cgi: %s %s\n", Env("REQUEST_METHOD"), Env("PATH_INFO"));
  printf("Content-Type: text/plain\r\n");
  printf("Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n");
  printf("\r\n");
  printf("%s %s method=%s path=%s query=%s body=%s\n", Env("GREETING")[0] ? Env("GREETING") : "hello",
         Env("SCRIPT_NAME"), Env("REQUEST_METHOD"), Env("PATH_INFO"), Env("QUERY_STRING"), body);
  return 0;
}
