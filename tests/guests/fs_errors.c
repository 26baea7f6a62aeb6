// The errno a C program sees for common mistakes beneath a preopen (argv[1]).
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
  struct stat st;
  char c;
  CHECK_ERRNO(read(99, &c, 1), EBADF);
  CHECK_ERRNO(fstat(42, &st), EBADF);
  CHECK_ERRNO(close(77), EBADF);
  CHECK_ERRNO(open(P(a, root, "missing"), O_RDONLY), ENOENT);
  CHECK_ERRNO(mkdir(P(a, root, "no/such/parent"), 0755), ENOENT);

  int fd = open(P(a, root, "file"), O_CREAT | O_WRONLY, 0644);
  CHECK(fd >= 0);
  CHECK(close(fd) == 0);
  CHECK_ERRNO(open(P(a, root, "file/x"), O_RDONLY), ENOTDIR);
  CHECK_ERRNO(open(P(a, root, "file"), O_RDONLY | O_DIRECTORY), ENOTDIR);
  CHECK_ERRNO(rmdir(P(a, root, "file")), ENOTDIR);
  CHECK_ERRNO(mkdir(P(a, root, "file"), 0755), EEXIST);
  CHECK_ERRNO(open(P(a, root, "file"), O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);

  CHECK(mkdir(P(a, root, "dir"), 0755) == 0);
  CHECK_ERRNO(open(P(a, root, "dir"), O_WRONLY), EISDIR);
  CHECK_ERRNO(unlink(P(a, root, "dir")), EISDIR);
  CHECK(mkdir(P(a, root, "dir/sub"), 0755) == 0);
  CHECK_ERRNO(rmdir(P(a, root, "dir")), ENOTEMPTY);
  CHECK_ERRNO(rename(P(a, root, "dir"), P(b, root, "dir/sub/inside")), EINVAL);

  CHECK(symlink("self", P(a, root, "self")) == 0);
  CHECK_ERRNO(open(P(a, root, "self"), O_RDONLY), ELOOP);

  static char longpath[5000];
  memset(longpath, 'x', sizeof longpath - 1);
  memcpy(longpath, root, strlen(root));
  longpath[strlen(root)] = '/';
  CHECK_ERRNO(open(longpath, O_RDONLY), ENAMETOOLONG);
  printf("fs_errors ok\n");
  return 0;
}
