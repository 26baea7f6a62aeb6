// Throwing a WebAssembly exception (legacy exception handling): a search of
// the engine-owned frame records for a handler, never a native unwind. Used
// by the interpreter's Throw and Rethrow ops (exec/ops/eh.inc).
#pragma once

#include "base/types.h"
#include "engine/exec/thread_state.h"

namespace deja::engine {

// Throws tag `tag_addr` (a store address) with its payload read from
// `payload` (as many slots as the tag has parameters), from the top frame,
// whose pc is the throwing instruction. Returns true when a catch clause
// took it: the frames above the handler's are popped and the top frame's pc
// is the clause's first instruction, with the payload in its slots. Returns
// false when no frame handles it: a kUncaughtException trap naming the tag
// is recorded (backtrace from the throw) and the frames are cleared.
bool Throw(ThreadState& st, u32 tag_addr, const u64* payload);

// Throws again the exception caught at exn slot `level` of the top frame.
// Same results as Throw; a slot that holds no caught exception (possible
// only in a corrupt restored state) traps.
bool Rethrow(ThreadState& st, u32 level);

}  // namespace deja::engine
