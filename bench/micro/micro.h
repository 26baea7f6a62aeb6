// Shared helpers of the micro benchmarks (deja_micro).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "deja/deja.h"

namespace deja::bench {

// Stops the process: a benchmark whose setup fails measures nothing useful.
[[noreturn]] inline void Die(std::string_view what, const Status& status) {
  std::fprintf(stderr, "deja_micro: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               status.ToString().c_str());
  std::exit(1);
}

// Compiles a module written in the text format; dies on error.
Module CompileWat(std::string_view wat);

// Reads a whole file; dies on error.
std::vector<uint8_t> ReadFile(const std::string& path);

// A synthetic module of about `bytes` bytes of code: many functions whose
// bodies mix locals, integer, i64 and f64 arithmetic, loads, stores, loops,
// branches and calls, the instruction mix of compiled C.
std::vector<uint8_t> SyntheticModule(size_t bytes);

}  // namespace deja::bench
