// The repeatable `--wasm FEATURE=y|n` option of run, validate and wast.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "deja/features.h"
#include "deja/status.h"

namespace deja::cli {

// Adds `--wasm FEATURE=y|n` to `sub`, collecting the raw values in `values`.
void AddWasmFeaturesOption(CLI::App* sub, std::vector<std::string>* values);

// Applies the values in order to the defaults. kInvalidArgument (a usage
// error) for an unknown name (listing the known ones), a value other than
// y/n, or turning on a feature deja does not implement.
Result<Features> ParseWasmFeatures(const std::vector<std::string>& values);

}  // namespace deja::cli
