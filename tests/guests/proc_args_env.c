// Prints its arguments and environment exactly as received, and checks that
// getenv sees only what the host granted.
#define _POSIX_C_SOURCE 200809L
#include "guest.h"

extern char** environ;

int main(int argc, char** argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; ++i) printf("argv[%d]=[%s]\n", i, argv[i]);
  int count = 0;
  for (char** e = environ; *e != NULL; ++e, ++count) printf("env[%d]=[%s]\n", count, *e);
  const char* flag = getenv("DEJA_FLAG");
  if (flag != NULL) CHECK(strcmp(flag, "on") == 0);
  CHECK(getenv("HOME") == NULL || count > 0);
  return 0;
}
