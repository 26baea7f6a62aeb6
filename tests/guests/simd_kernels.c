// SIMD guest: loops that clang's auto-vectorizer turns into v128 code at
// -O3 -msimd128 (tests/guests/CMakeLists.txt builds simd_* that way): a
// float dot product and saxpy, byte saturation and a byte sum, 32-bit
// integer mixing, and min/max. Prints one checksum per kernel, so a run, its
// replay, a resumed snapshot, the scalar build and a native build can be
// compared line by line (one line per round, then the totals). argv[1]:
// rounds (default 4).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 4096

static float xs[N], ys[N];
static uint8_t bytes[N], bright[N];
static uint32_t words[N];
static int16_t shorts[N];

static uint32_t Lcg(uint32_t* s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

static float Dot(const float* a, const float* b, int n) {
  // Four partial sums in lanes: the order of additions is fixed by the
  // source, so every build (scalar, SIMD, native) gets the same bits.
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int i = 0; i < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  return (s0 + s1) + (s2 + s3);
}

static void Saxpy(float a, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = a * x[i] + y[i];
}

static void Brighten(const uint8_t* in, uint8_t* out, int add, int n) {
  for (int i = 0; i < n; ++i) {
    int v = in[i] + add;
    out[i] = (uint8_t)(v > 255 ? 255 : v);
  }
}

static uint32_t ByteSum(const uint8_t* p, int n) {
  uint32_t s = 0;
  for (int i = 0; i < n; ++i) s += p[i];
  return s;
}

static void Mix(uint32_t* w, int n, uint32_t k) {
  for (int i = 0; i < n; ++i) w[i] = (w[i] ^ (w[i] >> 7)) * k + (w[i] << 3);
}

static int32_t MaxAbs16(const int16_t* p, int n) {
  int32_t m = 0;
  for (int i = 0; i < n; ++i) {
    int32_t v = p[i] < 0 ? -p[i] : p[i];
    m = v > m ? v : m;
  }
  return m;
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 4;
  uint32_t seed = 12345;
  for (int i = 0; i < N; ++i) {
    xs[i] = (float)(Lcg(&seed) % 1000) / 256.0f;
    ys[i] = (float)(Lcg(&seed) % 1000) / 512.0f;
    bytes[i] = (uint8_t)Lcg(&seed);
    words[i] = Lcg(&seed);
    shorts[i] = (int16_t)(Lcg(&seed) - 0x8000);
  }
  float dot = 0;
  uint32_t sum = 0, mixed = 0;
  int32_t maxabs = 0;
  for (int r = 0; r < rounds; ++r) {
    Saxpy(0.5f, xs, ys, N);
    dot += Dot(xs, ys, N);
    Brighten(bytes, bright, r * 7, N);
    sum += ByteSum(bright, N);
    Mix(words, N, 2654435761u + (uint32_t)r);
    mixed ^= words[r % N] + words[N - 1 - r % N];
    shorts[r % N] = (int16_t)(shorts[r % N] + r);
    maxabs += MaxAbs16(shorts, N);
    // One line per round: a run suspended mid-way has printed some.
    printf("round %d %.6e %u %08x %d\n", r, (double)dot, sum, mixed, maxabs);
    fflush(stdout);
  }
  printf("dot %.6e\n", (double)dot);
  printf("bytes %u\n", sum);
  printf("mix %08x\n", mixed);
  printf("maxabs %d\n", maxabs);
  return 0;
}
