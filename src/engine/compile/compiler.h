// Translates validated function bodies into internal slot code (code.h), once
// at load time: operands become frame slots, constants immediates, branch
// targets relative offsets; each Wasm operator picks a handler variant.
#pragma once

#include <vector>

#include "deja/module.h"
#include "deja/status.h"
#include "engine/compile/code.h"
#include "engine/module.h"

namespace deja::engine {

// Compiles every defined function of `module` (index = func index minus
// imported functions). Requires: `module` passed ValidateModule.
// Errors: kInternal if a body breaks an assumption validation guarantees,
// kResourceExhausted if a frame is too large to address.
Result<std::vector<CompiledFunc>> CompileModule(const Module& module,
                                                const CompileOptions& options);

}  // namespace deja::engine
