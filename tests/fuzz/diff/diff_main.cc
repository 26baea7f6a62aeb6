// deja_diff: runs each module given on the command line in deja and in wabt's
// interpreter and reports every disagreement (see docs/FUZZING.md).
//
//   deja_diff [--canonical-nans] [--fuel N] [--out DIR] [--verbose] FILE.wasm...
//
// Exit status: 0 if no module showed a mismatch, 1 if one did, 2 on usage or
// I/O errors. The last line is a summary that scripts/diff-campaign parses.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "diff_harness.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: deja_diff [--canonical-nans] [--fuel N] [--out DIR] [--verbose] FILE.wasm...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  deja::fuzz::DiffOptions options;
  std::string out_dir;
  bool verbose = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--canonical-nans") {
      options.canonicalize_nans = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--fuel" && i + 1 < argc) {
      options.fuel_per_call = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--out" && i + 1 < argc) {
      out_dir = argv[++i];
    } else if (a.starts_with("-")) {
      return Usage();
    } else {
      files.emplace_back(a);
    }
  }
  if (files.empty()) return Usage();

  uint64_t matched = 0, skipped = 0, mismatches = 0, calls = 0, skipped_calls = 0;
  auto start = std::chrono::steady_clock::now();
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "deja_diff: cannot read %s\n", file.c_str());
      return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    deja::fuzz::DiffResult r = deja::fuzz::RunDiff(bytes, options);
    calls += r.calls;
    skipped_calls += r.skipped_calls;
    switch (r.verdict) {
      case deja::fuzz::DiffVerdict::kMatch:
        ++matched;
        if (verbose) std::printf("match %s: %llu calls\n", file.c_str(), static_cast<unsigned long long>(r.calls));
        break;
      case deja::fuzz::DiffVerdict::kSkipped:
        ++skipped;
        if (verbose) std::printf("skip %s: %s\n", file.c_str(), r.report.c_str());
        break;
      case deja::fuzz::DiffVerdict::kMismatch: {
        ++mismatches;
        std::printf("MISMATCH %s: %s\n", file.c_str(), r.report.c_str());
        if (!out_dir.empty()) {
          std::string path = deja::fuzz::WriteReproducer(bytes, r, out_dir);
          if (path.empty()) {
            std::fprintf(stderr, "deja_diff: cannot write to %s\n", out_dir.c_str());
            return 2;
          }
          std::printf("  reproducer: %s\n", path.c_str());
        }
        break;
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("summary: modules=%zu matched=%llu skipped=%llu mismatches=%llu calls=%llu skipped_calls=%llu "
              "seconds=%.3f\n",
              files.size(), static_cast<unsigned long long>(matched), static_cast<unsigned long long>(skipped),
              static_cast<unsigned long long>(mismatches), static_cast<unsigned long long>(calls),
              static_cast<unsigned long long>(skipped_calls), secs);
  return mismatches == 0 ? 0 : 1;
}
