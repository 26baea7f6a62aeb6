// A Store owns instances and everything they create (functions, tables,
// memories, globals) and runs guest code on one engine-owned thread of
// execution. All of its state is plain data: it can be saved to bytes while a
// call is suspended (in a host function or at a safe point) and restored in
// another process. A Store is not thread-safe, except Interrupt(),
// ClearInterrupt(), RequestSuspend() and ClearSuspendRequest().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deja/module.h"
#include "deja/status.h"
#include "deja/types.h"

namespace deja {

class Store;
namespace engine {
struct StoreImpl;
}

// A handle to a function, table, memory or global in a store (its address).
struct Extern {
  ExternKind kind = ExternKind::kFunc;
  uint32_t addr = 0;
  bool operator==(const Extern&) const = default;
};
using InstanceId = uint32_t;

enum class TrapKind : uint8_t {
  kUnreachable,                // "unreachable"
  kMemoryOutOfBounds,          // "out of bounds memory access"
  kTableOutOfBounds,           // "out of bounds table access"
  kUndefinedElement,           // "undefined element" (call_indirect index past the table)
  kUninitializedElement,       // "uninitialized element" (call_indirect on null)
  kIndirectCallTypeMismatch,   // "indirect call type mismatch"
  kIntegerDivideByZero,        // "integer divide by zero"
  kIntegerOverflow,            // "integer overflow"
  kInvalidConversion,          // "invalid conversion to integer"
  kCallStackExhausted,         // "call stack exhausted"
  kOutOfFuel,                  // "out of fuel"
  kInterrupted,                // "interrupted"
  kHost,                       // a host function trapped; message is its own
  kUncaughtException,          // a Wasm exception left the outermost call; message names the tag
};
const char* TrapKindMessage(TrapKind kind);

struct FrameInfo {
  uint32_t func_index = 0;     // in its module's function index space
  std::string func_name;       // from the name section, else empty
  std::string module_name;     // from the name section, else empty
  uint32_t module_offset = 0;  // byte offset of the current instruction in the module
};

struct Trap {
  TrapKind kind = TrapKind::kUnreachable;
  std::string message;
  std::vector<FrameInfo> backtrace;  // innermost frame first
  // The message followed by one "  at ..." line per frame.
  std::string ToString() const;
};

enum class Outcome : uint8_t {
  kReturned,   // results are available
  kTrapped,    // see Store::trap()
  kSuspended,  // stopped resumably; see Store::suspend_point, Resume, SaveState
  kExited,     // a host function ended the guest (e.g. proc_exit); see exit_code()
};

// Where a suspended call stopped (Store::suspend_point).
enum class SuspendPoint : uint8_t {
  kNone,       // not suspended
  kHostCall,   // a host function returned HostAction::kSuspend; Resume takes its results
  kSafePoint,  // RequestSuspend or SetSuspendOnOutOfFuel; Resume takes no results
};

enum class HostAction : uint8_t { kContinue, kTrap, kExit, kSuspend };

// What a host function sees of its caller.
class HostCall {
 public:
  HostCall(Store* store, void* data, uint32_t caller_instance)
      : store_(store), data_(data), caller_instance_(caller_instance) {}
  Store& store() const { return *store_; }
  void* data() const { return data_; }
  // The calling instance, or UINT32_MAX when called directly by the embedder.
  uint32_t caller_instance() const { return caller_instance_; }
  // Memory 0 of the calling instance (empty when it has none). Valid until
  // the guest runs again or memory grows.
  std::span<uint8_t> memory() const;

  HostAction Trap(std::string message) {
    message_ = std::move(message);
    return HostAction::kTrap;
  }
  HostAction Exit(int32_t code) {
    exit_code_ = code;
    return HostAction::kExit;
  }
  HostAction Suspend() { return HostAction::kSuspend; }

  const std::string& trap_message() const { return message_; }
  int32_t exit_code() const { return exit_code_; }

 private:
  Store* store_;
  void* data_;
  uint32_t caller_instance_;
  int32_t exit_code_ = 0;
  std::string message_;
};

// A host function. Arguments arrive in slots[0..params) in order (i32 zero-
// extended, floats as raw bits, references as RefBits); results are written to
// slots[0..results). `slots` aliases the guest's value stack: no copying.
// A host function must not call back into the same store.
using HostFn = HostAction (*)(HostCall& call, std::span<uint64_t> slots);

// Caps on what guests (and the modules they come in) may make a store hold.
// A table or memory whose minimum is above its cap, or one object too many,
// fails instantiation (kUninstantiable, naming the object and the limit);
// growing past a cap fails as Wasm says (memory.grow / table.grow give -1).
// Table elements take 8 bytes each, outside --max-memory: without these caps
// 16 tables of 10 M elements took 1.25 GB (docs/embedding.md, "Limits").
struct StoreLimits {
  uint64_t max_memory_pages = 65536;     // per memory; memory.grow past it fails with -1
  uint64_t max_table_elements = 1'000'000;         // per table (8 MiB)
  uint64_t max_total_table_elements = 4'000'000;   // all tables together (32 MiB)
  uint32_t max_tables = 10'000;          // tables in the store, imported ones included
  uint32_t max_memories = 1'000;         // each reserves its maximum's address space
  uint32_t max_instances = 10'000;
  uint32_t max_call_depth = 20'000;      // Wasm frames; deeper is "call stack exhausted"
  uint32_t max_stack_slots = 1u << 22;   // 64-bit value-stack slots (32 MiB)
};

class Store {
 public:
  explicit Store(StoreLimits limits = {});
  ~Store();
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;

  // --- Objects made by the embedder, to satisfy imports.
  Extern AddHostFunc(FuncType type, HostFn fn, void* data, std::string debug_name);
  Result<Extern> AddTable(TableType type, Value init);
  Result<Extern> AddMemory(MemoryType type);
  Result<Extern> AddGlobal(GlobalType type, Value value);

  // Instantiates `module`; `imports` are given in the module's import order.
  // Runs active segments and the start function. Errors: kUnlinkable (wrong
  // kind or type: "incompatible import type ..."), kUninstantiable (a
  // segment is out of bounds, the start function trapped, a limit was hit).
  Result<InstanceId> Instantiate(const Module& module, std::span<const Extern> imports);
  std::optional<Extern> GetExport(InstanceId instance, std::string_view name) const;
  std::vector<std::pair<std::string, Extern>> Exports(InstanceId instance) const;

  // Types of objects (for linking and for calling).
  FuncType GetFuncType(Extern func) const;
  TableType GetTableType(Extern table) const;      // limits.min = current size
  MemoryType GetMemoryType(Extern memory) const;   // limits.min = current pages
  GlobalType GetGlobalType(Extern global) const;

  // --- Running guest code. Only one call is active at a time.
  // Errors in the arguments (count or types) are reported as a kHost trap.
  Outcome Call(Extern func, std::span<const Value> args, std::vector<Value>* results);
  // Continues a suspended call. At kHostCall, `host_results` are the suspended
  // host function's results; at kSafePoint it must be empty (else a kHost
  // trap, and the call stays suspended). Not suspended: a kHost trap.
  Outcome Resume(std::span<const Value> host_results, std::vector<Value>* results);
  bool suspended() const;
  SuspendPoint suspend_point() const;
  const Trap& trap() const;   // after kTrapped
  int32_t exit_code() const;  // after kExited

  // Fuel: a deterministic budget of executed work (about one unit per Wasm
  // instruction). nullopt = unlimited (the default). Running out traps with
  // kOutOfFuel (or suspends: SetSuspendOnOutOfFuel) at the same point every
  // time.
  void SetFuel(std::optional<uint64_t> fuel);
  std::optional<uint64_t> fuel_remaining() const;
  uint64_t fuel_consumed() const;

  // Makes the running (or next) call trap with kInterrupted within about a
  // millisecond. Safe to call from any thread while the Store is alive.
  // For deadlines, use one DeadlineTimer for all stores (deja/deadline.h).
  void Interrupt();
  // Clears a pending interrupt.
  void ClearInterrupt();

  // --- Suspending a running guest at a safe point (docs/DETERMINISM.md,
  // "Suspension"). A safe point is the entry of a straight-line block (a
  // function entry, a loop header, a label reached by a jump): every value is
  // in its slot, so the call can be saved (SaveState), restored in another
  // process and continued with Resume({}) exactly as if it never stopped;
  // fuel_consumed() ends up the same.
  //
  // Makes the running (or next) call return kSuspended at its next safe point
  // that polls the request: within one fuel chunk (16,384 units, well under a
  // millisecond), or the first block after a host call that is running now.
  // The request is used up by the suspension it causes; until then it stays
  // pending, also across calls that end before reaching a safe point (e.g. a
  // host function called directly); a start function run by Instantiate
  // also stops, and Instantiate returns with that call suspended. A pending
  // Interrupt() wins: the call traps and the request stays pending. Safe to
  // call from any thread (and from a signal handler: one lock-free atomic
  // store). Per store: of many stores in one process, only this one stops.
  // `deja run --snapshot-to` calls it on SIGUSR1 and on a `deja hibernate`
  // request; an embedder calls it directly (e.g. a server draining).
  void RequestSuspend();
  // Withdraws a pending suspend request.
  void ClearSuspendRequest();
  // When on, running out of fuel returns kSuspended (suspend_point()
  // kSafePoint) instead of trapping with kOutOfFuel, at exactly the point
  // where it would have trapped: the same module with the same fuel suspends
  // at the same instruction every run. SetFuel(more or nullopt), then
  // Resume({}). Off by default; a setting of the embedder, not saved by
  // SaveState.
  void SetSuspendOnOutOfFuel(bool on);

  // --- Guest state.
  std::span<uint8_t> MemoryData(Extern memory);
  uint64_t MemoryPages(Extern memory) const;
  Value GetGlobal(Extern global) const;
  Status SetGlobal(Extern global, Value value);  // kInvalidArgument if immutable or mistyped
  uint32_t TableSize(Extern table) const;
  Result<Value> TableGet(Extern table, uint32_t index) const;

  // What an instance holds, for tools that turn its state back into a module
  // (deja snapshot --emit-wasm): the store objects of each index space,
  // imports first, and which of its data and element segments are dropped
  // (by data.drop / elem.drop; active and declarative ones by instantiation;
  // an empty segment counts as dropped, since it behaves the same). Empty
  // for an unknown instance.
  struct InstanceObjects {
    std::vector<Extern> funcs, tables, memories, globals;
    std::vector<bool> data_dropped, elem_dropped;
  };
  InstanceObjects GetInstanceObjects(InstanceId instance) const;

  // A digest of all guest-visible state: every memory (size and bytes),
  // global (type and bits) and table (size and elements) in address order,
  // as 32 lowercase hex digits (XXH3-128). Equal stores give equal digests;
  // the time machine compares them after a replay.
  std::string StateDigest() const;

  // Saves every mutable part of the store (memories, globals, tables, dropped
  // segments) and, when suspended, the execution state (value stack, frames,
  // program counters, fuel, suspend point). RestoreState() applies such bytes
  // to a store that was built the same way: the same modules instantiated, in
  // the same order, with the same host functions. Errors: kCorruption,
  // kInvalidArgument (also for a format version this build does not know).
  Result<std::vector<uint8_t>> SaveState() const;
  Status RestoreState(std::span<const uint8_t> bytes);

  engine::StoreImpl& impl() { return *impl_; }
  const engine::StoreImpl& impl() const { return *impl_; }

 private:
  std::unique_ptr<engine::StoreImpl> impl_;
};

// Resolves imports by (module, name), like a WAST script's `register` or a
// WASI host binding.
class Linker {
 public:
  void Define(std::string module, std::string name, Extern value);
  // Defines every export of `instance` under `module`.
  void DefineInstance(const Store& store, std::string module, InstanceId instance);
  // Errors: kUnlinkable "unknown import: \"m\" \"n\"" or "incompatible import
  // type for \"m\" \"n\": ...", plus everything Store::Instantiate reports.
  Result<InstanceId> Instantiate(Store& store, const Module& module) const;
  const Extern* Find(std::string_view module, std::string_view name) const;

 private:
  std::vector<std::pair<std::pair<std::string, std::string>, Extern>> defs_;
};

}  // namespace deja
