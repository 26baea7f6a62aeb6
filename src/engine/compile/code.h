// The internal code a function body is translated into (see compiler.h).
#pragma once

#include <vector>

#include "base/types.h"

namespace deja::engine {

struct CompiledFunc {
  std::vector<u64> code;  // handler words followed by immediates
  u32 num_params = 0;
  u32 num_results = 0;
  u32 frame_slots = 0;    // params + locals + maximum temporaries
};

}  // namespace deja::engine
