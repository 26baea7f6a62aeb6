// The time machine's round-trip guest: touches every kind of nondeterminism a
// WASI program meets (wall and monotonic clocks, randomness, a file it writes
// and reads back, a directory listing, stdin, the environment, sleeping) and
// prints what it saw with a digest of it all. Two runs print different
// things; a replay of a recorded run must print exactly the recorded bytes.
//
//   tm_mixed DIR EXIT_CODE [SLEEP_MS]
//
// DIR is a writable preopen (e.g. "/data"); the guest sleeps SLEEP_MS in
// total (default 1500) in three naps, and exits with EXIT_CODE.
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest.h"

static uint64_t digest = 1469598103934665603ull;  // FNV-1a 64

static void Mix(const void* data, size_t len) {
  const unsigned char* p = data;
  for (size_t i = 0; i < len; ++i) {
    digest ^= p[i];
    digest *= 1099511628211ull;
  }
}

static long long Nanos(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static char path[512];
static const char* At(const char* root, const char* rel) {
  snprintf(path, sizeof path, "%s/%s", root, rel);
  return path;
}

int main(int argc, char** argv) {
  CHECK(argc >= 3);
  const char* root = argv[1];
  int exit_code = atoi(argv[2]);
  long sleep_ms = argc >= 4 ? atol(argv[3]) : 1500;
  for (int i = 0; i < argc; ++i) Mix(argv[i], strlen(argv[i]) + 1);

  // Clocks.
  struct timespec real, mono_start, mono_end;
  CHECK(clock_gettime(CLOCK_REALTIME, &real) == 0);
  CHECK(clock_gettime(CLOCK_MONOTONIC, &mono_start) == 0);
  Mix(&real, sizeof real);
  Mix(&mono_start, sizeof mono_start);
  printf("realtime %lld.%09ld\n", (long long)real.tv_sec, (long)real.tv_nsec);

  // Randomness: libc's getentropy and the raw call.
  unsigned char r1[16], r2[16];
  CHECK(getentropy(r1, sizeof r1) == 0);
  CHECK(__wasi_random_get(r2, sizeof r2) == 0);
  Mix(r1, sizeof r1);
  Mix(r2, sizeof r2);
  printf("random ");
  for (size_t i = 0; i < sizeof r1; ++i) printf("%02x", r1[i]);
  printf(" ");
  for (size_t i = 0; i < sizeof r2; ++i) printf("%02x", r2[i]);
  printf("\n");

  // Environment.
  const char* mode = getenv("TM_MODE");
  printf("TM_MODE=%s\n", mode != NULL ? mode : "(unset)");
  if (mode != NULL) Mix(mode, strlen(mode));

  // A file written and read back: its contents depend on the clock.
  char note[128];
  int note_len = snprintf(note, sizeof note, "written at %lld\n", Nanos(real));
  int fd = open(At(root, "tm_note.txt"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, note, (size_t)note_len) == note_len);
  CHECK(close(fd) == 0);
  char back[128];
  fd = open(At(root, "tm_note.txt"), O_RDONLY);
  CHECK(fd >= 0);
  ssize_t got = read(fd, back, sizeof back);
  CHECK(got == note_len && memcmp(back, note, (size_t)got) == 0);
  CHECK(close(fd) == 0);
  Mix(back, (size_t)got);

  // A directory listing (whatever the host put there, in the host's order).
  DIR* dir = opendir(root);
  CHECK(dir != NULL);
  int entries = 0;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    Mix(e->d_name, strlen(e->d_name) + 1);
    ++entries;
  }
  CHECK(closedir(dir) == 0);
  printf("%d entries in %s\n", entries, root);

  // All of stdin.
  size_t in_bytes = 0;
  unsigned char buf[4096];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    CHECK(n >= 0);
    if (n == 0) break;
    Mix(buf, (size_t)n);
    in_bytes += (size_t)n;
  }
  printf("stdin: %zu bytes\n", in_bytes);
  fprintf(stderr, "tm_mixed: read %zu bytes of stdin, now sleeping %ld ms\n", in_bytes, sleep_ms);

  // Sleeping, in three naps.
  for (int i = 0; i < 3; ++i) {
    long ms = sleep_ms / 3 + (i == 2 ? sleep_ms % 3 : 0);
    struct timespec nap = {ms / 1000, (ms % 1000) * 1000000L};
    CHECK(nanosleep(&nap, NULL) == 0);
  }
  CHECK(clock_gettime(CLOCK_MONOTONIC, &mono_end) == 0);
  long long slept = Nanos(mono_end) - Nanos(mono_start);
  CHECK(slept >= sleep_ms * 1000000LL);
  Mix(&mono_end, sizeof mono_end);
  printf("slept %lld ns\n", slept);

  printf("digest %016llx\n", (unsigned long long)digest);
  fprintf(stderr, "tm_mixed: exiting with %d\n", exit_code);
  return exit_code;
}
