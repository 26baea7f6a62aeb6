// `deja run --listen`: the pre-opened listener is the first descriptor after
// stdio and the preopens (argv[1], default 3). Prints its type and what a
// non-blocking accept says while nobody connects.
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

int main(int argc, char** argv) {
  __wasi_fd_t fd = argc > 1 ? (__wasi_fd_t)atoi(argv[1]) : 3;
  __wasi_fdstat_t stat;
  __wasi_errno_t err = __wasi_fd_fdstat_get(fd, &stat);
  if (err != __WASI_ERRNO_SUCCESS) {
    printf("fd %u: errno %u\n", fd, err);
    return 1;
  }
  printf("fd %u: %s\n", fd,
         stat.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM ? "stream socket" : "not a socket");
  // Accept's flags are for the new connection: the listener itself must be
  // made non-blocking for accept to return at once.
  err = __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_NONBLOCK);
  if (err != __WASI_ERRNO_SUCCESS) {
    printf("fd %u: set nonblock: errno %u\n", fd, err);
    return 1;
  }
  __wasi_fd_t conn = 0;
  err = __wasi_sock_accept(fd, 0, &conn);
  printf("accept: %s\n", err == __WASI_ERRNO_AGAIN ? "nothing pending" : "unexpected");
  return 0;
}
