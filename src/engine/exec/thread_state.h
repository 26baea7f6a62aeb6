// The plain-data state of a Thread, shared by thread.cc (setup, save and
// restore) and interp.cc (the dispatch loop). No pointers into guest state
// outlive a run: frames hold store addresses, code offsets and slot indices.
#pragma once

#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "base/types.h"
#include "deja/store.h"

namespace deja::engine {

struct StoreImpl;

// The value stack comes from calloc: zeroed without touching pages (large
// blocks are fresh mappings), so slots a run never wrote read as zero and a
// saved state's bytes are a function of the run alone, not of old heap data.
struct FreeSlots {
  void operator()(u64* p) const { std::free(p); }
};
using SlotArray = std::unique_ptr<u64[], FreeSlots>;

struct Frame {
  u32 func = 0;  // store function address
  u32 pc = 0;    // code offset: resume point (callers) or current instruction
  u32 fp = 0;    // slot index of the frame's base
};

// An exception a catch clause caught, kept for rethrow while the clause's
// exn slot refers to it (exec/unwind.cc).
struct CaughtException {
  u32 tag = 0;  // store address
  std::vector<u64> payload;
  std::vector<u64> payload_hi;  // the high halves (v128 values), same size
};

struct ThreadState {
  explicit ThreadState(StoreImpl& s);

  StoreImpl& store;
  // 2 * max_slots entries, zeroed; pages are touched on use. Slot s holds a
  // value's low 64 bits, slot s + max_slots a v128's high 64 bits.
  SlotArray slots;
  u32 max_slots = 0;
  std::vector<Frame> frames;

  // kSafePoint: the top frame's pc is a Fuel op that has not charged its
  // block yet; no results are pending (pending_slot and pending_results 0).
  SuspendPoint suspend = SuspendPoint::kNone;
  u32 pending_slot = 0;     // where a suspended host call's results go
  u32 pending_results = 0;  // how many
  u32 num_results = 0;      // of the invoked function, for results()

  Trap trap;
  i32 exit_code = 0;

  // Fuel: `budget` is what is left of the chunk granted from `fuel_left`
  // (nullopt = unlimited); consumed = `consumed` + granted - budget.
  std::optional<u64> fuel_left;
  u64 consumed = 0;
  i64 granted = 0;
  i64 budget = 0;
  // Out of fuel suspends at a safe point instead of trapping.
  bool suspend_on_out_of_fuel = false;

  // Caught exceptions; exn slots hold index + 1. Compacted when it reaches
  // `exceptions_gc_at` (only entries some frame's exn slot names survive).
  std::vector<CaughtException> exceptions;
  size_t exceptions_gc_at = 64;

  // Store type id of each module type index, per instance (call_indirect);
  // derived data, rebuilt on demand.
  std::vector<std::vector<u32>> type_ids;
};

// Units granted per refill when fuel allows: bounds how long the guest runs
// between two polls of the interrupt flag (well under a millisecond).
inline constexpr i64 kFuelChunk = 1 << 14;

// Gives the unspent part of the current fuel chunk (state.budget) back, so
// that the next Fuel op takes the slow path, where the interrupt and suspend
// flags are polled. Changes neither fuel_consumed() nor fuel_remaining().
inline void ReleaseChunk(ThreadState& st) {
  st.consumed += static_cast<u64>(st.granted - st.budget);
  if (st.fuel_left) *st.fuel_left += static_cast<u64>(st.budget);
  st.granted = st.budget = 0;
}

// Fills state.trap (kind, message, backtrace from state.frames).
void RecordTrap(ThreadState& state, TrapKind kind, std::string message);

}  // namespace deja::engine
