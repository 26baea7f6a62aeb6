// The internal code a function body is translated into (see compiler.h): a
// stream of 64-bit words, each instruction a handler address followed by its
// immediates (frame slot indices, constants, relative branch offsets).
#pragma once

#include <utility>
#include <vector>

#include "base/types.h"

namespace deja::engine {

struct CompiledFunc {
  std::vector<u64> code;  // handler words followed by immediates
  u32 num_params = 0;
  u32 num_results = 0;
  u32 num_locals = 0;   // declared locals (zeroed on entry), after the params
  u32 frame_slots = 0;  // params + locals + maximum temporaries
  // (code offset of an instruction, Wasm byte offset in the module), sorted by
  // code offset; an instruction maps to the greatest entry at or before it.
  std::vector<std::pair<u32, u32>> offsets;
  // Code offsets of the Fuel ops, ascending: the safe points where a call
  // may be suspended and, when restored, resumed (exec/thread_save.cc).
  std::vector<u32> fuel_ops;
  // Code offsets of every instruction's handler word, ascending: the words a
  // saved compiled module (runtime/module_serialize.cc) must relocate, since
  // handler addresses differ from process to process.
  std::vector<u32> op_starts;

  // The module byte offset of the instruction at or before `code_offset`.
  u32 WasmOffset(u32 code_offset) const;
};

}  // namespace deja::engine
