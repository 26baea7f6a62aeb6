// A CGI function that answers with the traceparent it was given ("none"
// when the server dropped it or there was none).
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const char* traceparent = getenv("HTTP_TRACEPARENT");
  printf("Content-Type: text/plain\r\n\r\n");
  printf("traceparent=%s\n", traceparent ? traceparent : "none");
  return 0;
}
