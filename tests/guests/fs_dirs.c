// Directories beneath a preopen (argv[1]): mkdir, readdir (with "." and
// "..", across many buffer refills), telldir/seekdir cookies, rmdir of a
// non-empty directory, rename, unlink.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

#define kFiles 300

static char path[512];
static const char* At(const char* root, const char* rel) {
  snprintf(path, sizeof path, "%s/%s", root, rel);
  return path;
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  const char* root = argv[1];
  CHECK(mkdir(At(root, "d"), 0755) == 0);
  CHECK_ERRNO(mkdir(At(root, "d"), 0755), EEXIST);
  for (int i = 0; i < kFiles; ++i) {
    char name[128];
    snprintf(name, sizeof name, "d/a_file_with_a_rather_long_name_%03d", i);
    int fd = open(At(root, name), O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    CHECK(close(fd) == 0);
  }

  DIR* dir = opendir(At(root, "d"));
  CHECK(dir != NULL);
  static char seen[kFiles];
  int dots = 0, files = 0;
  long cookie = -1;
  char after_cookie[256] = "";
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      CHECK(e->d_type == DT_DIR);
      ++dots;
      continue;
    }
    int n = -1;
    CHECK(sscanf(e->d_name, "a_file_with_a_rather_long_name_%d", &n) == 1);
    CHECK(n >= 0 && n < kFiles && !seen[n]);
    CHECK(e->d_type == DT_REG);
    seen[n] = 1;
    if (++files == 100) cookie = telldir(dir);
    if (files == 101) strcpy(after_cookie, e->d_name);
  }
  CHECK(dots == 2);
  CHECK(files == kFiles);
  seekdir(dir, cookie);
  e = readdir(dir);
  CHECK(e != NULL && strcmp(e->d_name, after_cookie) == 0);
  rewinddir(dir);
  CHECK(readdir(dir) != NULL);
  CHECK(closedir(dir) == 0);

  CHECK_ERRNO(rmdir(At(root, "d")), ENOTEMPTY);
  char from[512];
  strcpy(from, At(root, "d"));
  CHECK(rename(from, At(root, "e")) == 0);
  struct stat st;
  CHECK_ERRNO(stat(At(root, "d"), &st), ENOENT);
  CHECK(stat(At(root, "e"), &st) == 0 && S_ISDIR(st.st_mode));
  for (int i = 0; i < kFiles; ++i) {
    char name[128];
    snprintf(name, sizeof name, "e/a_file_with_a_rather_long_name_%03d", i);
    CHECK(unlink(At(root, name)) == 0);
  }
  CHECK(rmdir(At(root, "e")) == 0);
  CHECK_ERRNO(stat(At(root, "e"), &st), ENOENT);
  printf("fs_dirs ok\n");
  return 0;
}
