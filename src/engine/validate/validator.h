// Validation of a decoded module against the WebAssembly 2.0 rules (no SIMD):
// module-level rules (types, limits, imports, exports, segments, constant
// expressions) and the typing of every function body.
#pragma once

#include "deja/status.h"
#include "engine/module.h"

namespace deja::engine {

// Every tag's type exists and has no results ("non-empty tag result type").
Status CheckTags(const Module& module);

// Requires: `module` was produced by DecodeModule (bodies are still raw bytes
// and are read here with InstrReader).
// Returns OK, or kInvalid with "func N offset 0xHEX: reason" for a function
// body (N in the function index space, imports included), "offset 0xHEX:
// reason" or a message naming the item for module-level rules. A malformed
// instruction met while reading a body is passed through (kMalformed /
// kUnsupported) with the function prefix added.
Status ValidateModule(const Module& module);

}  // namespace deja::engine
