// Links beneath a preopen (argv[1]): symlink, readlink, lstat vs stat,
// hard links and their count, O_NOFOLLOW and symlink loops (ELOOP).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

static char a[512], b[512];
static const char* P(char* buf, const char* root, const char* rel) {
  snprintf(buf, 512, "%s/%s", root, rel);
  return buf;
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  const char* root = argv[1];
  int fd = open(P(a, root, "target"), O_CREAT | O_WRONLY, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "abc", 3) == 3);
  CHECK(close(fd) == 0);

  CHECK(symlink("target", P(a, root, "sym")) == 0);
  CHECK_ERRNO(symlink("target", P(a, root, "sym")), EEXIST);
  char buf[64] = {0};
  CHECK(readlink(P(a, root, "sym"), buf, sizeof buf) == 6);
  CHECK(memcmp(buf, "target", 6) == 0);
  CHECK_ERRNO(readlink(P(a, root, "target"), buf, sizeof buf), EINVAL);
  struct stat st;
  CHECK(lstat(P(a, root, "sym"), &st) == 0 && S_ISLNK(st.st_mode));
  CHECK(stat(P(a, root, "sym"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 3);
  fd = open(P(a, root, "sym"), O_RDONLY);
  CHECK(fd >= 0);
  CHECK(read(fd, buf, 3) == 3 && memcmp(buf, "abc", 3) == 0);
  CHECK(close(fd) == 0);
  CHECK_ERRNO(open(P(a, root, "sym"), O_RDONLY | O_NOFOLLOW), ELOOP);

  CHECK(link(P(a, root, "target"), P(b, root, "hard")) == 0);
  CHECK(stat(P(a, root, "hard"), &st) == 0 && st.st_nlink == 2);
  CHECK_ERRNO(link(P(a, root, "target"), P(b, root, "hard")), EEXIST);
  CHECK(unlink(P(a, root, "target")) == 0);
  CHECK_ERRNO(stat(P(a, root, "sym"), &st), ENOENT);  // dangling now
  CHECK(stat(P(a, root, "hard"), &st) == 0 && st.st_nlink == 1);

  CHECK(symlink("loop2", P(a, root, "loop1")) == 0);
  CHECK(symlink("loop1", P(a, root, "loop2")) == 0);
  CHECK_ERRNO(open(P(a, root, "loop1"), O_RDONLY), ELOOP);
  CHECK_ERRNO(stat(P(a, root, "loop1"), &st), ELOOP);
  CHECK(unlink(P(a, root, "sym")) == 0);  // removes the link only
  printf("fs_links ok\n");
  return 0;
}
