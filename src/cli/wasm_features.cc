#include "cli/wasm_features.h"

namespace deja::cli {

void AddWasmFeaturesOption(CLI::App* sub, std::vector<std::string>* values) {
  sub->add_option("--wasm", *values,
                  "turn a WebAssembly feature on (=y) or off (=n), e.g. bulk-memory=n;\n"
                  "repeatable. Names as wasmtime spells them; see docs/cli.md")
      ->type_name("FEATURE=y|n")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

Result<Features> ParseWasmFeatures(const std::vector<std::string>& values) {
  Features features;
  for (const std::string& value : values) {
    size_t eq = value.find('=');
    std::string name = value.substr(0, eq);
    std::string setting = eq == std::string::npos ? "y" : value.substr(eq + 1);
    std::optional<Feature> feature = ParseFeature(name);
    if (!feature) {
      return Status::InvalidArgument("--wasm " + value + ": unknown feature \"" + name +
                                     "\"; known features: " + AllFeatureNames());
    }
    bool on;
    if (setting == "y" || setting == "yes" || setting == "true") {
      on = true;
    } else if (setting == "n" || setting == "no" || setting == "false") {
      on = false;
    } else {
      return Status::InvalidArgument("--wasm " + value + ": expected " + name + "=y or " + name +
                                     "=n");
    }
    if (on && !FeatureImplemented(*feature)) {
      return Status::InvalidArgument("--wasm " + value + ": feature " + name +
                                     " is not implemented by deja (it can only be off)");
    }
    features.set(*feature, on);
  }
  return features;
}

}  // namespace deja::cli
