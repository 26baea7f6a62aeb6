// Differential execution of one module in deja and in wabt's reference
// interpreter (wabt::interp). See docs/FUZZING.md for what is compared.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace deja::fuzz {

struct DiffOptions {
  // Compile deja's side with CompileOptions::canonicalize_nans; NaN results
  // from deja must then be canonical (wabt's may be any NaN).
  bool canonicalize_nans = false;
  // Fuel per call on deja's side. A call that runs out is not run in wabt
  // (which has no comparable bound) and ends the module's comparison.
  uint64_t fuel_per_call = 20'000'000;
  // When non-zero, a module with a memory that could grow past this many
  // pages (no maximum, or a larger one), or a table past this many elements,
  // is validated in both engines but not run (kSkipped): wabt has no limits
  // of its own and would allocate whatever a mutated memory.grow or
  // table.grow asks for, where deja fails the growth at its StoreLimits.
  uint64_t max_memory_pages = 0;
  uint64_t max_table_elements = 0;
};

enum class DiffVerdict : uint8_t {
  kMatch,     // every compared step agreed
  kSkipped,   // nothing comparable (unsupported feature, non-function imports, ...)
  kMismatch,  // the engines disagreed; see report
};

struct DiffResult {
  DiffVerdict verdict = DiffVerdict::kMatch;
  std::string report;     // the mismatch, or why the module was skipped
  uint64_t calls = 0;          // calls run and compared in both engines
  uint64_t skipped_calls = 0;  // calls not compared (out of fuel, stack exhaustion)
};

// Runs `wasm` in both engines: validation, instantiation, then every exported
// function with a few fixed argument sets, comparing results, traps, host
// call logs, memory 0 and every global after each call.
DiffResult RunDiff(std::span<const uint8_t> wasm, const DiffOptions& options);

// Writes <out_dir>/mismatch-<hash>.wasm and .txt (the report); returns the
// .wasm path, or an empty string if the files could not be written.
std::string WriteReproducer(std::span<const uint8_t> wasm, const DiffResult& result,
                            const std::string& out_dir);

}  // namespace deja::fuzz
