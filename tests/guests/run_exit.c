// `deja run` exit statuses: exits with the status given as argv[1] through
// exit() (proc_exit), or returns it from main when argv[2] is "return".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  int status = argc > 1 ? atoi(argv[1]) : 0;
  printf("exiting with %d\n", status);
  fflush(stdout);
  if (argc > 2 && strcmp(argv[2], "return") == 0) return status;
  exit(status);
}
