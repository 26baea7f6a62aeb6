// C++ exceptions compiled to Wasm exception handling (clang-19
// -fwasm-exceptions): throws across several functions, through frames that
// made host calls (fd_write, clock_time_get, random_get), destructors run
// while unwinding, catch by type and catch (...), rethrow. Deterministic
// output for a given recording: the clock and random values come from host
// calls that replay returns again. With the argument "snapshot" the guest
// asks deja for a snapshot (the "deja" "snapshot" import) twice: deep inside
// a try body, and inside a catch clause just before it rethrows; the output
// does not depend on whether snapshots were taken.
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <cstring>

#include "eh_shim.h"

__attribute__((import_module("deja"), import_name("snapshot"))) int32_t deja_snapshot(void);

namespace {

bool request_snapshots = false;

struct ParseError {
  int position;
  char found;
};
struct TooDeep {
  int depth;
};

int destroyed = 0;

struct Guard {
  const char* name;
  ~Guard() {
    ++destroyed;
    std::printf("  unwound %s\n", name);
  }
};

// Host calls in a frame the exception passes through.
__attribute__((noinline)) long HostTouch(int depth) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  unsigned char r = 0;
  arc4random_buf(&r, 1);
  std::fflush(stdout);
  return (ts.tv_nsec & 1) + r * 0 + depth;
}

__attribute__((noinline)) int Digit(const char* s, int i) {
  if (s[i] < '0' || s[i] > '9') throw ParseError{i, s[i]};
  return s[i] - '0';
}

__attribute__((noinline)) int Parse(const char* s, int i, int acc, int depth) {
  Guard g{depth == 3 ? "parse level 3" : "parse level"};
  if (depth > 40) throw TooDeep{depth};
  if (s[i] == '\0') return acc;
  if (request_snapshots && depth == 3 && acc == 123) (void)deja_snapshot();  // in a try body
  HostTouch(depth);
  return Parse(s, i + 1, acc * 10 + Digit(s, i), depth + 1);
}

__attribute__((noinline)) int ParseOrRethrow(const char* s) {
  try {
    return Parse(s, 0, 0, 0);
  } catch (const TooDeep& e) {
    std::printf("  too deep at %d, passing it on\n", e.depth);
    if (request_snapshots) {  // in a catch clause
      std::fflush(stdout);
      (void)deja_snapshot();
    }
    throw;
  }
}

int Run(const char* s) {
  std::printf("parse \"%s\"\n", s);
  try {
    int v = ParseOrRethrow(s);
    std::printf("  = %d\n", v);
    return v;
  } catch (const ParseError& e) {
    std::printf("  parse error at %d: '%c'\n", e.position, e.found);
  } catch (const TooDeep& e) {
    std::printf("  gave up at depth %d\n", e.depth);
  } catch (...) {
    std::printf("  something else\n");
  }
  return -1;
}

__attribute__((noinline)) void MaybeThrow(int i) {
  if (i % 3 == 0) throw i;
}

__attribute__((noinline)) void ThrowDouble() { throw 2.5; }

}  // namespace

int main(int argc, char** argv) {
  request_snapshots = argc > 1 && std::strcmp(argv[1], "snapshot") == 0;
  long sum = 0;
  sum += Run("12345");
  sum += Run("12x45");
  sum += Run("99999999999999999999999999999999999999999999999");
  for (int i = 0; i < 1000; ++i) {
    try {
      MaybeThrow(i);
      sum += i;
    } catch (int caught) {
      sum -= caught;
    }
  }
  try {
    ThrowDouble();
  } catch (...) {
    std::printf("caught a double with catch (...)\n");
  }
  std::printf("sum %ld, destructors run %d\n", sum, destroyed);
  return 0;
}
