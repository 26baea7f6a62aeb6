// The interpreter's dispatch function (interp.cc) and its handler table: the
// compiler writes handler addresses from this table into the code it emits.
#pragma once

#include "base/types.h"
#include "deja/store.h"
#include "engine/exec/op_ids.h"

namespace deja::engine {

struct ThreadState;

// Handler address of each internal op, indexed by IOp.
const void* const* HandlerTable();
inline u64 HandlerWord(IOp op) {
  return reinterpret_cast<u64>(HandlerTable()[static_cast<u16>(op)]);
}

// Runs from the top frame's saved pc until the entry frame returns, a trap,
// an exit or a suspension. Requires: at least one frame.
Outcome Interpret(ThreadState& state);

}  // namespace deja::engine
