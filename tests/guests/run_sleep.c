// `deja run --timeout` on a guest that is not running Wasm code but waiting
// in the host: sleeps argv[1] seconds, or blocks reading stdin with "read".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  printf("waiting\n");
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "read") == 0) {
    char buf[16];
    ssize_t n = read(0, buf, sizeof buf);
    printf("read %zd bytes\n", n);
    return 0;
  }
  sleep(argc > 1 ? (unsigned)atoi(argv[1]) : 10);
  printf("woke up\n");
  return 0;
}
