// memcpy, memmove and memset of every size from a few bytes to 64 KiB over a
// 4 MiB buffer, the way buffer-shuffling code (serializers, allocators,
// string builders) uses them.
#define KERNEL_NAME "memops"
#define KERNEL_DEFAULT_N 60

#include "kernel.h"  // first: it sets _POSIX_C_SOURCE

#include <stdint.h>
#include <string.h>

enum { kBufSize = 4 << 20, kMaxBlock = 64 << 10 };
static uint8_t buf[kBufSize];

static size_t block_size(uint64_t r) {
  // Mostly small blocks, some large: sizes 1..64 KiB on a log scale.
  int shift = (int)(r % 17);
  size_t size = ((size_t)1 << shift) + (size_t)((r >> 8) & (((size_t)1 << shift) - 1));
  return size > kMaxBlock ? kMaxBlock : size;
}

static uint64_t kernel(int n) {
  uint64_t state = 99;
  for (size_t i = 0; i < kBufSize; i++) buf[i] = (uint8_t)(i * 131 + (i >> 9));
  uint64_t sum = 0;
  for (int round = 0; round < n; round++) {
    for (int op = 0; op < 2000; op++) {
      uint64_t r = rng_next(&state);
      size_t size = block_size(r);
      size_t src = (size_t)((r >> 24) % (kBufSize - size));
      size_t dst = (size_t)((r >> 44) * 977 % (kBufSize - size));
      switch (op % 4) {
        case 0:
        case 1:
          if (src + size <= dst || dst + size <= src) {
            memcpy(buf + dst, buf + src, size);
          } else {
            memmove(buf + dst, buf + src, size);
          }
          break;
        case 2:
          memmove(buf + dst, buf + dst / 2, size);
          break;
        default:
          memset(buf + dst, (int)(r >> 56), size / 2 + 1);
          break;
      }
      sum = mix64(sum, buf[dst] + ((uint64_t)buf[dst + size - 1] << 8));
    }
    for (size_t i = 0; i < kBufSize; i += 4093) sum = mix64(sum, buf[i]);
  }
  return sum;
}

