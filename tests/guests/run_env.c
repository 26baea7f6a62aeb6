// `deja run --env`: prints each variable named in argv as NAME=VALUE, or
// "NAME unset", then how many variables the guest sees in all.
#include <stdio.h>
#include <stdlib.h>

extern char** environ;

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* value = getenv(argv[i]);
    if (value) {
      printf("%s=%s\n", argv[i], value);
    } else {
      printf("%s unset\n", argv[i]);
    }
  }
  int count = 0;
  for (char** e = environ; *e; ++e) ++count;
  printf("%d variables\n", count);
  return 0;
}
