// CheckFeatures: refuses a decoded module that uses a WebAssembly 2.0 feature
// the embedder turned off (CompileOptions::features), naming the feature and
// where it was found. Later proposals are refused by the decoder already.
#pragma once

#include "deja/features.h"
#include "deja/status.h"
#include "engine/module.h"

namespace deja::engine {

// Requires: `module` passed ValidateModule. Returns OK, or kUnsupported
// "feature turned off: NAME (what) at ..." for the first use found.
Status CheckFeatures(const Module& module, const Features& features);

}  // namespace deja::engine
