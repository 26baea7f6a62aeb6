// Exception-handling benchmark (docs/PERFORMANCE.md, "Exceptions"): a
// recursive descent over generated expressions where a bad token throws
// from several frames down, destructors run on the way, and every tenth
// expression is bad. Prints `eh_throw <N> checksum <hex>` (the same under
// deja and natively) and its elapsed time on stderr (`kernel_ns`).
// wasm32-wasi: clang-19 -fwasm-exceptions with tests/guests/eh_shim.h;
// native: g++ -O2 with the system's C++ runtime.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#ifdef __wasm__
#include "eh_shim.h"
#endif

namespace {

struct BadToken {
  int position;
};

uint64_t state = 0x9e3779b97f4a7c15ull;
uint64_t Next() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

int live = 0;
struct Scope {
  Scope() { ++live; }
  ~Scope() { --live; }
};

char text[64];
int pos = 0;

__attribute__((noinline)) int Atom() {
  Scope s;
  char c = text[pos++];
  if (c < '0' || c > '9') throw BadToken{pos - 1};
  return c - '0';
}

__attribute__((noinline)) int Product() {
  Scope s;
  int v = Atom();
  while (text[pos] == '*') {
    ++pos;
    v *= Atom();
  }
  return v;
}

__attribute__((noinline)) int Sum() {
  Scope s;
  int v = Product();
  while (text[pos] == '+') {
    ++pos;
    v += Product();
  }
  return v;
}

void Generate(bool bad) {
  int n = 0;
  int terms = 3 + static_cast<int>(Next() % 8);
  for (int t = 0; t < terms; ++t) {
    if (t > 0) text[n++] = (Next() & 1) ? '+' : '*';
    text[n++] = static_cast<char>('0' + Next() % 10);
  }
  if (bad) text[static_cast<int>(Next() % static_cast<uint64_t>(n))] = '?';
  text[n] = '\0';
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 20;
  auto start = std::chrono::steady_clock::now();
  uint64_t checksum = 0;
  for (int round = 0; round < n * 10000; ++round) {
    Generate(round % 10 == 0);
    pos = 0;
    try {
      checksum = checksum * 31 + static_cast<uint64_t>(Sum());
    } catch (const BadToken& e) {
      checksum = checksum * 37 + static_cast<uint64_t>(e.position) + 1000;
    }
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  std::printf("eh_throw %d checksum %016llx (live scopes %d)\n", n,
              static_cast<unsigned long long>(checksum), live);
  std::fprintf(stderr, "kernel_ns %lld\n", static_cast<long long>(ns));
  return 0;
}
