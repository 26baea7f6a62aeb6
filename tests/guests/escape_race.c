// A hostile guest racing the host: opens and reads <argv[1]>/d/secret in a
// loop while the host flips "d" between a directory inside and a symlink to
// the outside. Exits 1 if it ever reads the outside secret.
#include <fcntl.h>
#include <unistd.h>

#include "guest.h"

int main(int argc, char** argv) {
  CHECK(argc == 3);
  char path[256];
  snprintf(path, sizeof path, "%s/d/secret", argv[1]);
  int rounds = atoi(argv[2]), inside = 0;
  for (int i = 0; i < rounds; ++i) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    char buf[32] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0 && strstr(buf, "top secret") != NULL) {
      printf("LEAK\n");
      return 1;
    }
    if (n > 0 && strcmp(buf, "inside") == 0) ++inside;
  }
  printf("inside=%d\n", inside);
  return 0;
}
