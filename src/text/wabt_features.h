// The libwabt feature set deja's text front end parses and encodes with:
// wabt's defaults (WebAssembly 2.0 and SIMD) plus the later proposals deja
// implements, so their modules reach deja, which alone decides whether a
// feature is turned on (--wasm) and whether the module is valid.
#pragma once

#include "wabt/feature.h"

namespace deja::text {

inline wabt::Features TextFeatures() {
  wabt::Features features;
  features.enable_relaxed_simd();
  features.enable_extended_const();
  features.enable_tail_call();
  features.enable_exceptions();  // the legacy form
  return features;
}

}  // namespace deja::text
