// Files beneath a preopen (argv[1]): create, write, seek, read, pwrite,
// truncate, stat, set times, append, exclusive create.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

int main(int argc, char** argv) {
  CHECK(argc == 2);
  char path[256];
  snprintf(path, sizeof path, "%s/data.txt", argv[1]);

  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "hello world", 11) == 11);
  CHECK(lseek(fd, 0, SEEK_CUR) == 11);
  CHECK(lseek(fd, 6, SEEK_SET) == 6);
  char buf[64] = {0};
  CHECK(read(fd, buf, 5) == 5);
  CHECK(memcmp(buf, "world", 5) == 0);
  CHECK(read(fd, buf, 5) == 0);  // end of file
  CHECK(pwrite(fd, "W", 1, 6) == 1);
  CHECK(ftruncate(fd, 7) == 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK(st.st_size == 7);
  CHECK(close(fd) == 0);

  CHECK(stat(path, &st) == 0);
  CHECK(st.st_size == 7);
  struct timespec times[2] = {{1000000, 0}, {2000000, 500}};
  CHECK(utimensat(AT_FDCWD, path, times, 0) == 0);
  CHECK(stat(path, &st) == 0);
  CHECK(st.st_atim.tv_sec == 1000000);
  CHECK(st.st_mtim.tv_sec == 2000000 && st.st_mtim.tv_nsec == 500);

  FILE* f = fopen(path, "a");
  CHECK(f != NULL);
  CHECK(fputs("!", f) >= 0);
  CHECK(fclose(f) == 0);
  f = fopen(path, "r");
  CHECK(f != NULL);
  CHECK(fgets(buf, sizeof buf, f) != NULL);
  CHECK(strcmp(buf, "hello W!") == 0);
  CHECK(fclose(f) == 0);

  CHECK_ERRNO(open(path, O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
  fd = open(path, O_WRONLY | O_TRUNC);
  CHECK(fd >= 0);
  CHECK(fstat(fd, &st) == 0 && st.st_size == 0);
  CHECK(close(fd) == 0);
  printf("fs_files ok\n");
  return 0;
}
