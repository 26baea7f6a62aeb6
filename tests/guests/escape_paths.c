// A hostile guest: tries every way out of its preopen (argv[1], fd 3) that
// a path can express, through wasi-libc and through raw imports with inputs
// wasi-libc would never produce. Exits 0 only if every attempt failed.
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) int32_t
RawPathOpen(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
            int64_t base, int64_t inheriting, int32_t fdflags, int32_t out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_rename"))) int32_t
RawPathRename(int32_t fd, int32_t old_path, int32_t old_len, int32_t new_fd, int32_t new_path,
              int32_t new_len);

enum { kPerm = 63, kInval = 28, kFault = 21, kPreopen = 3 };
#define PTR(p) ((int32_t)(uintptr_t)(p))

static int32_t Open(const char* path, int32_t len, int32_t follow) {
  static int32_t fd;
  return RawPathOpen(kPreopen, follow, PTR(path), len, 0, 2 /* fd_read */, 0, 0, PTR(&fd));
}
static char a[512], b[512];
static const char* P(char* buf, const char* root, const char* rel) {
  snprintf(buf, 512, "%s/%s", root, rel);
  return buf;
}
// Every way of opening `path` through wasi-libc must fail.
static void NoOpen(const char* path) {
  errno = 0;
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    fprintf(stderr, "opened %s\n", path);
    exit(71);
  }
  CHECK(errno != 0);
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  const char* root = argv[1];
  // Raw: "..", absolute paths, NUL inside, lengths past memory.
  CHECK(mkdir(P(a, root, "a"), 0755) == 0);
  CHECK(Open("../outside/secret", 17, 1) == kPerm);
  CHECK(Open("a/../../outside/secret", 22, 1) == kPerm);
  CHECK(Open("/etc/passwd", 11, 1) == kPerm);
  CHECK(Open("x\0/../../outside/secret", 23, 1) == kInval);
  CHECK(Open((const char*)0xfffffff0, 100, 1) == kFault);
  CHECK(RawPathRename(kPreopen, PTR("x"), 1, kPreopen, PTR("../outside/x"), 12) == kPerm);

  // Through wasi-libc.
  NoOpen(P(a, root, "../outside/secret"));
  NoOpen("/etc/passwd");
  CHECK(symlink("../outside/secret", P(a, root, "up")) == 0);  // stored as given...
  NoOpen(P(a, root, "up"));                                    // ...never followed out
  struct stat st;
  CHECK(stat(P(a, root, "up"), &st) != 0);
  CHECK(lstat(P(a, root, "up"), &st) == 0 && S_ISLNK(st.st_mode));
  // An absolute target is refused (EPERM, as wasmtime): host tools would
  // follow it to the host's root.
  CHECK(symlink("/", P(a, root, "root")) != 0 && errno == EPERM);
  CHECK(lstat(P(a, root, "root"), &st) != 0);
  NoOpen(P(a, root, "root/etc/passwd"));
  CHECK(symlink("..", P(a, root, "dotdot")) == 0);
  NoOpen(P(a, root, "dotdot/outside/secret"));
  CHECK(mkdir(P(a, root, "dotdot/evil"), 0755) != 0);
  CHECK(mkdir(P(a, root, "../evil"), 0755) != 0);
  CHECK(link(P(a, root, "../outside/secret"), P(b, root, "hard")) != 0);
  CHECK(mkdir(P(a, root, "dir"), 0755) == 0);
  CHECK(rename(P(a, root, "dir"), P(b, root, "../outside/dir")) != 0);
  CHECK(unlink(P(a, root, "../outside/secret")) != 0);
  printf("escape_paths ok\n");
  return 0;
}
