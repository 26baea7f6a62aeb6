// The time machine's output-heavy kernel (bench/record): N blocks of 64 KiB
// of text lines written to stdout, what a verbose program or a server
// streaming its log does, then a checksum line. Recording stores those
// bytes once (the buffer fd_write read; the output refers to it).
//
//   tm_output [N]    (N defaults to 256 blocks: 16 MiB)
#include <stdint.h>
#include <unistd.h>

#include "guest.h"

static const char kHex[] = "0123456789abcdef";

static char* Hex(char* at, uint64_t v, int digits) {
  for (int d = digits - 1; d >= 0; --d) *at++ = kHex[(v >> (4 * d)) & 15];
  return at;
}

int main(int argc, char** argv) {
  long n = argc >= 2 ? atol(argv[1]) : 256;
  static char block[65536];
  uint64_t state = 0x9e3779b97f4a7c15ull;
  uint64_t checksum = 1469598103934665603ull;
  for (long i = 0; i < n; ++i) {
    // Lines like a log's: a counter, a pseudo-random id and a status.
    char* at = block;
    while (at + 64 <= block + sizeof block) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      at = Hex(at, (uint64_t)i, 8);
      memcpy(at, " request ", 9);
      at = Hex(at + 9, state, 16);
      memcpy(at, " status 20", 10);
      at += 10;
      *at++ = (char)('0' + state % 5);
      *at++ = '\n';
    }
    size_t len = (size_t)(at - block);
    for (size_t b = 0; b < len; b += 8) {
      checksum ^= (unsigned char)block[b];
      checksum *= 1099511628211ull;
    }
    size_t done = 0;
    while (done < len) {
      ssize_t w = write(1, block + done, len - done);
      CHECK(w > 0);
      done += (size_t)w;
    }
  }
  printf("tm_output %ld blocks, checksum %016llx\n", n, (unsigned long long)checksum);
  return 0;
}
