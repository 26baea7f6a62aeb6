// The SIMD benchmark kernel (bench/simd/run): loops clang vectorises at
// -O3 -msimd128 — f32 saxpy and a dot product in four fixed partial sums,
// saturating byte adds and a byte sum, 32-bit multiply-xor mixing, and a
// 16-bit max |x|. Built three ways: wasm with SIMD, the same source without
// (-mno-simd128), and native. Every build computes the same bits: float sums
// are in a fixed order, so the checksum is one for all three.
#define KERNEL_NAME "simd_vec"
#define KERNEL_DEFAULT_N 60

#include "kernel.h"  // first: it sets _POSIX_C_SOURCE

#include <stdint.h>
#include <string.h>

enum { kLen = 1 << 14 };
static float xs[kLen], ys[kLen];
static uint8_t bytes[kLen], bright[kLen];
static uint32_t words[kLen];
static int16_t shorts[kLen];

static float dot(const float* a, const float* b, int n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int i = 0; i < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  return (s0 + s1) + (s2 + s3);
}

static void saxpy(float a, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = a * x[i] + y[i];
}

static void brighten(const uint8_t* in, uint8_t* out, int add, int n) {
  for (int i = 0; i < n; ++i) {
    int v = in[i] + add;
    out[i] = (uint8_t)(v > 255 ? 255 : v);
  }
}

static uint32_t byte_sum(const uint8_t* p, int n) {
  uint32_t s = 0;
  for (int i = 0; i < n; ++i) s += p[i];
  return s;
}

static void mix(uint32_t* w, int n, uint32_t k) {
  for (int i = 0; i < n; ++i) w[i] = (w[i] ^ (w[i] >> 7)) * k + (w[i] << 3);
}

static int32_t max_abs16(const int16_t* p, int n) {
  int32_t m = 0;
  for (int i = 0; i < n; ++i) {
    int32_t v = p[i] < 0 ? -p[i] : p[i];
    m = v > m ? v : m;
  }
  return m;
}

static uint64_t kernel(int n) {
  uint64_t state = 0x5eed;
  for (int i = 0; i < kLen; ++i) {
    uint64_t r = rng_next(&state);
    xs[i] = (float)(r % 1000) / 256.0f;
    ys[i] = (float)((r >> 16) % 1000) / 512.0f;
    bytes[i] = (uint8_t)(r >> 32);
    words[i] = (uint32_t)(r >> 24);
    shorts[i] = (int16_t)(r >> 40);
  }
  uint64_t h = 0;
  for (int round = 0; round < n; ++round) {
    saxpy(0.5f, xs, ys, kLen);
    float d = dot(xs, ys, kLen);
    uint32_t dbits;
    memcpy(&dbits, &d, sizeof dbits);
    brighten(bytes, bright, round * 7, kLen);
    mix(words, kLen, 2654435761u + (uint32_t)round);
    shorts[round % kLen] = (int16_t)(shorts[round % kLen] + round);
    h = mix64(h, dbits);
    h = mix64(h, byte_sum(bright, kLen));
    h = mix64(h, words[round % kLen]);
    h = mix64(h, (uint64_t)max_abs16(shorts, kLen));
  }
  return h;
}
