// `deja run --dir/--dir-ro`: lists the preopened directories by descriptor
// number, in the order the guest sees them ("fd 3: /data"), then their count.
#include <stdio.h>
#include <wasi/api.h>

int main(void) {
  unsigned count = 0;
  for (__wasi_fd_t fd = 3;; ++fd, ++count) {
    __wasi_prestat_t prestat;
    if (__wasi_fd_prestat_get(fd, &prestat) != __WASI_ERRNO_SUCCESS) break;
    char name[256] = {0};
    size_t len = prestat.u.dir.pr_name_len;
    if (len >= sizeof name) len = sizeof name - 1;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t*)name, len) != __WASI_ERRNO_SUCCESS) break;
    printf("fd %u: %s\n", fd, name);
  }
  printf("%u preopens\n", count);
  return 0;
}
