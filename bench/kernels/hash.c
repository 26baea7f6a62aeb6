// Integer hashing over a large buffer: table-driven CRC-32, FNV-1a and a
// 64-bit multiply-rotate hash (byte loads, shifts, table lookups, multiplies).
#define KERNEL_NAME "hash"
#define KERNEL_DEFAULT_N 120

#include "kernel.h"  // first: it sets _POSIX_C_SOURCE

#include <stdint.h>
#include <string.h>

enum { kBufSize = 1 << 20 };
static uint8_t buf[kBufSize];
static uint32_t crc_table[256];

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32(const uint8_t* p, size_t len) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < len; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

static uint32_t fnv1a(const uint8_t* p, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t mulhash(const uint8_t* p, size_t len) {
  uint64_t h = 0x243F6A8885A308D3ull;
  for (size_t i = 0; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = rotl(h ^ (w * 0x87C37B91114253D5ull), 31) * 0x4CF5AD432745937Full + 0x52DCE729;
  }
  return h ^ (h >> 29);
}

static uint64_t kernel(int n) {
  crc_init();
  uint64_t state = 0x1234567;
  for (size_t i = 0; i < kBufSize; i += 8) {
    uint64_t r = rng_next(&state);
    memcpy(buf + i, &r, 8);
  }
  // N=1 hashes 1/8 of the buffer once; each further unit is another pass
  // over a 128 KiB window, changed a little each time.
  uint64_t sum = 0;
  const size_t window = kBufSize / 8;
  for (int round = 0; round < n; round++) {
    const uint8_t* p = buf + (size_t)(round % 8) * window;
    sum = mix64(sum, crc32(p, window));
    sum = mix64(sum, fnv1a(p, window));
    sum = mix64(sum, mulhash(p, window));
    buf[(sum >> 7) % kBufSize] ^= (uint8_t)sum;
  }
  return sum;
}

