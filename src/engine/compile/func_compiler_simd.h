// SIMD support shared by the compiler's files.
#pragma once

#include "deja/types.h"
#include "engine/module.h"

namespace deja::engine {

// True if a function may hold a v128 in a slot: v128 in its type or locals,
// in any function type or global of the module (a call, block or global.get
// may produce one), or a 0xFD byte in its body (every SIMD instruction has
// one; an immediate that happens to contain the byte only costs the wider
// moves). Such a function is compiled with moves that copy both halves.
bool TouchesV128(const Module& module, const Function& func, const FuncType& type);

}  // namespace deja::engine
