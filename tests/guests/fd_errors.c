// The errors wasi-libc passes through from descriptor calls: EBADF, EFAULT,
// EINVAL, ENOTCAPABLE after dropping rights, ENOTSUP for sync flags.
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest.h"

int main(void) {
  char c = 'x';
  CHECK_ERRNO(write(99, &c, 1), EBADF);
  CHECK_ERRNO(read(-1, &c, 1), EBADF);
  CHECK_ERRNO(lseek(99, 0, SEEK_SET), EBADF);
  CHECK_ERRNO(close(99), EBADF);
  CHECK_ERRNO(fsync(42), EBADF);

  // A buffer past the end of memory.
  CHECK_ERRNO(read(0, (void*)0xfffffff0u, 100), EFAULT);
  CHECK_ERRNO(write(1, (void*)0xfffffff0u, 100), EFAULT);

  CHECK_ERRNO(lseek(0, -100, SEEK_SET), EINVAL);
  CHECK_ERRNO(lseek(0, 0, 7), EINVAL);
  CHECK_ERRNO(fcntl(0, F_SETFL, O_SYNC), ENOTSUP);

  // Dropping rights is for good: reading and re-granting both fail.
  __wasi_fdstat_t st;
  CHECK(__wasi_fd_fdstat_get(0, &st) == 0);
  CHECK(st.fs_rights_base & __WASI_RIGHTS_FD_READ);
  CHECK(__wasi_fd_fdstat_set_rights(0, st.fs_rights_base & ~__WASI_RIGHTS_FD_READ, 0) == 0);
  // wasi-libc reports a read without the right as POSIX does: EBADF.
  CHECK_ERRNO(read(0, &c, 1), EBADF);
  CHECK(__wasi_fd_read(0, &(__wasi_iovec_t){(uint8_t*)&c, 1}, 1, &(__wasi_size_t){0}) ==
        __WASI_ERRNO_NOTCAPABLE);
  CHECK(__wasi_fd_fdstat_set_rights(0, st.fs_rights_base, 0) == __WASI_ERRNO_NOTCAPABLE);

  CHECK(close(0) == 0);
  CHECK_ERRNO(read(0, &c, 1), EBADF);
  printf("errors ok\n");
  return 0;
}
