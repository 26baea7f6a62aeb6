// `deja wast FILE...`: runs WebAssembly script files (the spec suite's format).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/wasm_features.h"
#include "text/wast.h"

namespace deja::cli {
namespace {

struct WastArgs {
  std::vector<std::string> files;
  bool verbose = false;
  size_t max_failures = 50;
  std::string timeout;
  std::vector<std::string> wasm_features;
};

int RunWast(const WastArgs& args, const CliStreams& io) {
  text::WastOptions options;
  options.verbose = args.verbose;
  options.max_failures_shown = args.max_failures;
  Result<Features> features = ParseWasmFeatures(args.wasm_features);
  if (!features.ok()) {
    io.err << "deja wast: " << features.status().message() << "\n";
    return kExitUsage;
  }
  options.features = *features;
  if (!args.timeout.empty()) {
    Result<std::chrono::nanoseconds> timeout = ParseDuration(args.timeout);
    if (!timeout.ok()) {
      io.err << "deja wast: --timeout: " << timeout.status().message() << "\n";
      return kExitUsage;
    }
    options.timeout = *timeout;
  }
  text::WastCounts total;
  bool unreadable = false;
  for (const std::string& file : args.files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      io.err << "deja wast: cannot read " << file << ": not a regular file\n";
      unreadable = true;
    }
    total += text::RunWastFile(file, options, io.out);
  }
  io.out << total.passed << " passed, " << total.failed << " failed\n";
  if (unreadable) return kExitIoError;
  return total.failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace

Subcommand AddWastCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<WastArgs>();
  CLI::App* sub =
      app.add_subcommand("wast", "Run WebAssembly script (.wast) files, e.g. the spec suite");
  sub->add_option("FILE", args->files, "script files")->required();
  sub->add_flag("-v,--verbose", args->verbose, "report every command, not only failures");
  sub->add_option("--max-failures", args->max_failures, "failures shown per file (all are counted)")
      ->type_name("N")
      ->capture_default_str();
  sub->add_option("--timeout", args->timeout,
                  "limit each action and instantiation to DURATION (e.g. 10s); past it\n"
                  "the command fails with an \"interrupted\" trap")
      ->type_name("DURATION");
  AddWasmFeaturesOption(sub, &args->wasm_features);
  sub->footer(std::string("Prints \"<file>: N passed, N failed\" per file, each failure with\n"
                          "file:line, and a last line \"N passed, N failed\" for all files.\n"
                          "Files named simd_*.wast are skipped (SIMD is not supported).\n\n") +
              kExitCodesHelp);
  return {sub, [args, io] { return RunWast(*args, io); }};
}

}  // namespace deja::cli
