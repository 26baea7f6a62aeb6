// The engine's thread of execution: an engine-owned value stack and frame
// stack (no native recursion per Wasm call), run by the interpreter in
// interp.cc. All state is plain data so a suspended call can be saved and
// restored in another process.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "deja/store.h"

namespace deja::engine {

struct StoreImpl;
struct ThreadState;  // thread_state.h

class Thread {
 public:
  explicit Thread(StoreImpl& store);
  ~Thread();

  // Calls the function at store address `func_addr` (Wasm or host) with raw
  // argument slots. Requires: not suspended; args match the function's type.
  Outcome Invoke(u32 func_addr, std::span<const u64> args);
  // As Invoke; `highs[i]` is the high half of argument i (v128; 0 otherwise).
  Outcome Invoke(u32 func_addr, std::span<const u64> args, std::span<const u64> highs);
  // Continues after kSuspended with the suspended host function's results
  // (none at a safe point).
  Outcome Resume(std::span<const u64> host_results);

  bool suspended() const;
  SuspendPoint suspend_point() const;
  std::span<const u64> results() const;  // after kReturned: one slot per result
  std::span<const u64> result_highs() const;  // their high halves (v128)
  const Trap& trap() const;
  i32 exit_code() const;

  void SetFuel(std::optional<u64> fuel);
  void SetSuspendOnOutOfFuel(bool on);
  std::optional<u64> fuel_remaining() const;
  u64 fuel_consumed() const;

  // Appends the execution state (frames in Wasm terms: function, offset,
  // typed locals and operands; fuel; pending host call) to `out`;
  // RestoreState reads it back from the front of `in` and advances it,
  // checking every frame and value against the code and the store (any
  // build's code layout will do). Requires: the store holds the same
  // instances.
  void SaveState(std::vector<u8>* out) const;
  Status RestoreState(std::span<const u8>* in);

 private:
  std::unique_ptr<ThreadState> s_;
};

}  // namespace deja::engine
