// `deja wast`: runs WebAssembly script (.wast) files, the format of the
// official spec suite, against deja's embedding API and counts the commands
// that passed and failed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "deja/features.h"

namespace deja::text {

struct WastOptions {
  bool verbose = false;            // report every command, not only failures
  size_t max_failures_shown = 50;  // per file; the counts always include all
  // Limit for each action and each module instantiation (its start function);
  // past it the call traps with "interrupted". Zero: no limit.
  std::chrono::nanoseconds timeout{0};
  // Features every module in the script is compiled with (`--wasm`).
  Features features{};
};

struct WastCounts {
  uint64_t passed = 0;
  uint64_t failed = 0;
  bool skipped = false;  // the file is out of scope (SIMD)

  WastCounts& operator+=(const WastCounts& o) {
    passed += o.passed;
    failed += o.failed;
    return *this;
  }
};

// Runs a script held in memory. Each command counts once; a script that does
// not parse counts as one failure. Failures (and, when verbose, every command)
// are written to `out` as "<filename>:<line>: <command>: <what happened>".
WastCounts RunWastScript(std::string_view text, std::string_view filename,
                         const WastOptions& options, std::ostream& out);

// Reads and runs a .wast file, then writes "<path>: N passed, N failed".
// Files named simd_*.wast are skipped (deja does not implement SIMD); a file
// that cannot be read counts as one failure.
WastCounts RunWastFile(const std::string& path, const WastOptions& options, std::ostream& out);

}  // namespace deja::text
