// libFuzzer target, source (b) of docs/FUZZING.md: the fuzzer's bytes become
// a valid module (wasm_gen.h), run in deja and in wabt's interpreter by the
// differential harness. Any mismatch, and any generated module that is not
// compared (rejected, or skipped), aborts after writing the module and the
// report to $DEJA_FUZZ_OUT (default: the current directory). Inputs whose
// length is a multiple of 3 run with deja's NaN canonicalization.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "diff_harness.h"
#include "wasm_gen.h"

namespace {

struct Totals {
  unsigned long long modules = 0, calls = 0, skipped_calls = 0;
  ~Totals() { Print(); }
  // Also every 2000 modules: libFuzzer skips destructors when interrupted.
  void Print() const {
    std::fprintf(stderr, "fuzz_gen: %llu modules, %llu calls compared, %llu calls skipped, 0 mismatches\n", modules,
                 calls, skipped_calls);
  }
};
Totals totals;
constexpr unsigned long long kReportEvery = 2000;

std::string OutDir() {
  const char* d = std::getenv("DEJA_FUZZ_OUT");
  return d != nullptr && *d != '\0' ? d : ".";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> wasm = deja::fuzz::GenerateModule(data, size);
  deja::fuzz::DiffOptions options;
  options.fuel_per_call = 1'000'000;
  // A third of the inputs (by length) compile with NaN canonicalization,
  // deja's other code path for float operators.
  options.canonicalize_nans = size % 3 == 0;
  deja::fuzz::DiffResult r = deja::fuzz::RunDiff(wasm, options);
  if (++totals.modules % kReportEvery == 0) totals.Print();
  totals.calls += r.calls;
  totals.skipped_calls += r.skipped_calls;
  if (r.verdict == deja::fuzz::DiffVerdict::kMatch) return 0;
  const char* what = r.verdict == deja::fuzz::DiffVerdict::kMismatch ? "MISMATCH" : "generated module not compared";
  std::string path = deja::fuzz::WriteReproducer(wasm, r, OutDir());
  std::fprintf(stderr, "fuzz_gen: %s: %s\n  module: %s\n", what, r.report.c_str(), path.c_str());
  std::abort();
}
