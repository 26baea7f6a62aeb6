// Writes a large body (50 MiB unless QUERY_STRING says "mib=N") in 64 KiB
// writes, so the server must stream it rather than hold it. Byte i of the
// body is 'a' + i % 26, which lets the host check every byte.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  long mib = 50;
  const char* q = getenv("QUERY_STRING");
  if (q && strncmp(q, "mib=", 4) == 0) mib = atol(q + 4);
  // 64 KiB plus one period of the pattern: a write starting at phase p
  // sends block + p, so no byte is computed twice.
  enum { kWrite = 64 * 1024 };
  static char block[kWrite + 26];
  for (size_t i = 0; i < sizeof block; ++i) block[i] = (char)('a' + i % 26);
  const char head[] = "Content-Type: application/octet-stream\n\n";
  if (write(1, head, sizeof head - 1) != (ssize_t)(sizeof head - 1)) return 1;
  long long total = mib * 1024LL * 1024LL;
  long long done = 0;
  while (done < total) {
    size_t phase = (size_t)(done % 26);
    size_t n = total - done < kWrite ? (size_t)(total - done) : kWrite;
    ssize_t w = write(1, block + phase, n);
    if (w <= 0) return 1;
    done += w;
  }
  return 0;
}
