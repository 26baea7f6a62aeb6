// The internal code a function body is translated into (see compiler.h): a
// stream of 64-bit words, each instruction a handler address followed by its
// immediates (frame slot indices, constants, relative branch offsets).
#pragma once

#include <utility>
#include <vector>

#include "base/types.h"

namespace deja::engine {

// A place where a call may be suspended and resumed, described both in Wasm
// terms and in this build's code, so that a saved call stack names only Wasm
// positions and values (exec/thread_save.cc, docs/snapshots.md).
struct ResumePoint {
  enum Kind : u8 {
    kSafePoint = 0,  // a Fuel op: the instruction at wasm_offset runs next
    kCall = 1,       // suspended inside the call at wasm_offset
  };
  u32 wasm_offset = 0;   // relative to the function body's first byte
  u32 pc = 0;            // kSafePoint: the Fuel op; kCall: the return address
  u32 height = 0;        // Wasm operand stack height (below a call's arguments)
  u32 deferred_end = 0;  // end of this point's entries in `deferred`
  Kind kind = kSafePoint;
};

// An operand stack entry whose value is not in its canonical slot
// (params | locals | operand position) at a resume point: the compiler
// deferred it. Its value is slot[base] (kLocal), `value` (kConst) or the i32
// slot[base] + value (kAddend; base is a local or the entry's own slot).
struct DeferredValue {
  enum Where : u8 { kLocal = 1, kConst = 2, kAddend = 3 };
  u32 pos = 0;   // Wasm operand stack position
  u32 base = 0;  // slot index in the frame
  u64 value = 0;
  Where where = kConst;
};

// One try block (exceptions, legacy form; exec/unwind.cc). A `throw` at a code
// position in [begin, end) (a caller's position is its return address - 1)
// is offered to the innermost such handler: a delegate passes it on to
// `target`; otherwise its catch clauses are tried in order, then catch_all,
// and without a match it goes to `parent`. kNoHandler: to the caller.
inline constexpr u32 kNoHandler = UINT32_MAX;
struct Handler {
  u32 begin = 0;              // first code word of the try body
  u32 end = 0;                // past the try body (where the first catch starts)
  u32 region_end = 0;         // past the last catch clause (the try's end)
  u32 parent = kNoHandler;    // the handler around this try
  u32 target = kNoHandler;    // delegate: the handler that receives the exception
  bool delegate = false;
  u32 catches_begin = 0;      // [catches_begin, catches_end) in CompiledFunc::catches
  u32 catches_end = 0;
  u32 catch_all_pc = kNoHandler;
  u32 height = 0;             // Wasm operand stack height below the try's params
  u32 level = 0;              // try nesting level: the caught exception is in exn slot `level`
  u32 wasm_offset = 0;        // of the `try`, relative to the function body
};
struct CatchClause {
  u32 tag = 0;  // tag index in the module
  u32 pc = 0;   // the clause's first instruction (a Fuel op)
};

struct CompiledFunc {
  std::vector<u64> code;  // handler words followed by immediates
  u32 num_params = 0;
  u32 num_results = 0;
  u32 num_locals = 0;   // declared locals (zeroed on entry), after the params
  u32 frame_slots = 0;  // params + locals + exn slots + maximum temporaries
  // Exceptions: one slot per try nesting level after the locals, holding the
  // exception a catch clause caught (index + 1 into ThreadState::exceptions)
  // for rethrow; zeroed on entry with the locals. The operand stack follows.
  u32 num_exn_slots = 0;
  std::vector<Handler> handlers;      // in order of the tries' starts
  std::vector<CatchClause> catches;
  u32 exn_base() const { return num_params + num_locals; }
  // (code offset of an instruction, Wasm byte offset in the module), sorted by
  // code offset; an instruction maps to the greatest entry at or before it.
  std::vector<std::pair<u32, u32>> offsets;
  // Code offsets of the Fuel ops, ascending: the safe points where a call
  // may be suspended and, when restored, resumed (exec/thread_save.cc).
  std::vector<u32> fuel_ops;
  // Every call site and Fuel op, in code order (so ascending by pc, and by
  // (wasm_offset, kind); a call's return address may be the pc of the Fuel
  // op after it); most points defer nothing, so `deferred` is short.
  std::vector<ResumePoint> resume_points;
  std::vector<DeferredValue> deferred;
  // Code offsets of every instruction's handler word, ascending: the words a
  // saved compiled module (runtime/module_serialize.cc) must relocate, since
  // handler addresses differ from process to process.
  std::vector<u32> op_starts;

  // The module byte offset of the instruction at or before `code_offset`.
  u32 WasmOffset(u32 code_offset) const;
  // The point of `kind` whose pc is `pc`, or nullptr.
  const ResumePoint* PointAtPc(u32 pc, ResumePoint::Kind kind) const;
  // The point of `kind` at `wasm_offset` (body-relative), or nullptr.
  const ResumePoint* PointAt(u32 wasm_offset, ResumePoint::Kind kind) const;
  // The deferred entries of `p`, ascending by position.
  std::pair<const DeferredValue*, const DeferredValue*> DeferredOf(const ResumePoint& p) const;
};

}  // namespace deja::engine
