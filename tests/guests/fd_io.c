// Descriptor I/O through wasi-libc on the host's stdio files (stdin holds
// "line one\nline two\n"; stdout and stderr are empty files): reads, writes,
// seeks, positioned I/O, metadata, flags, sync, and renumbering.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest.h"

static void Reads(void) {
  char buf[64] = {0};
  CHECK(read(0, buf, 5) == 5 && memcmp(buf, "line ", 5) == 0);
  CHECK(lseek(0, 0, SEEK_CUR) == 5);
  char a[4] = {0}, b[20] = {0};
  struct iovec iov[2] = {{a, 4}, {b, sizeof b}};
  CHECK(readv(0, iov, 2) == 13);
  CHECK(memcmp(a, "one\n", 4) == 0 && memcmp(b, "line two\n", 9) == 0);
  CHECK(read(0, buf, sizeof buf) == 0);
  CHECK(pread(0, buf, 3, 14) == 3 && memcmp(buf, "two", 3) == 0);
  CHECK(lseek(0, 0, SEEK_CUR) == 18);
  CHECK(lseek(0, -4, SEEK_END) == 14);
  CHECK(read(0, buf, 3) == 3 && memcmp(buf, "two", 3) == 0);
}

static void Metadata(void) {
  struct stat st;
  CHECK(fstat(0, &st) == 0);
  CHECK(S_ISREG(st.st_mode) && st.st_size == 18);
  CHECK(!isatty(1));
  CHECK(ftruncate(0, 4) == 0);
  CHECK(fstat(0, &st) == 0 && st.st_size == 4);
  struct timespec times[2] = {{1000000000, 5}, {1200000000, 7}};
  CHECK(futimens(0, times) == 0);
  CHECK(fstat(0, &st) == 0);
  CHECK(st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 5);
  CHECK(st.st_mtim.tv_sec == 1200000000 && st.st_mtim.tv_nsec == 7);
  CHECK(fsync(0) == 0 && fdatasync(0) == 0);
  CHECK(posix_fadvise(0, 0, 4, POSIX_FADV_SEQUENTIAL) == 0);
  CHECK(posix_fallocate(0, 0, 64) == 0);
  CHECK(fstat(0, &st) == 0 && st.st_size == 64);
}

static void Writes(void) {
  CHECK(write(1, "first\n", 6) == 6);
  struct iovec iov[2] = {{"sec", 3}, {"ond\n", 4}};
  CHECK(writev(1, iov, 2) == 7);
  CHECK(pwrite(1, "F", 1, 0) == 1);
  CHECK(lseek(1, 0, SEEK_CUR) == 13);
  // With O_APPEND a write after seeking to 0 still lands at the end.
  CHECK(fcntl(1, F_SETFL, O_APPEND) == 0);
  CHECK(fcntl(1, F_GETFL) & O_APPEND);
  CHECK(lseek(1, 0, SEEK_SET) == 0);
  CHECK(write(1, "third\n", 6) == 6);
}

static void Renumber(void) {
  // stderr becomes what stdin was; stdin is then closed.
  CHECK(__wasi_fd_renumber(0, 2) == 0);
  char c;
  CHECK(pread(2, &c, 1, 0) == 1 && c == 'l');
  errno = 0;
  CHECK(read(0, &c, 1) == -1 && errno == EBADF);
}

int main(void) {
  Reads();
  Metadata();
  Writes();
  Renumber();
  return 0;
}
