// Writes output that is not a valid CGI response, chosen by QUERY_STRING,
// so the server's 502 can be checked to name each problem.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  const char* q = getenv("QUERY_STRING");
  const char* mode = q ? q : "";
  if (strcmp(mode, "nocolon") == 0) {
    printf("Content-Type: text/plain\nX-Fine: yes\nthis line is no header\n\nbody\n");
  } else if (strcmp(mode, "status") == 0) {
    printf("Status: 99x Odd\nContent-Type: text/plain\n\nbody\n");
  } else if (strcmp(mode, "noblank") == 0) {
    // Headers that never end: 40 of 2 KiB each, 80 KiB in all.
    char value[2048];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (int i = 0; i < 40; ++i) printf("X-Header-%02d: %s\n", i, value);
  } else if (strcmp(mode, "empty") == 0) {
    // Nothing at all.
  } else {
    // A program that forgot CGI: plain text.
    printf("hello world\n");
  }
  return 0;
}
