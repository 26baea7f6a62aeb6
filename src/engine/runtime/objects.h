// Creation of store objects (memories, tables) with the store's limits
// applied, and the import subtyping rule for limits. Shared by the embedder
// API (Store::Add*), instantiation and RestoreState.
#pragma once

#include <memory>

#include "deja/status.h"
#include "engine/runtime/store_impl.h"

namespace deja::engine {

inline constexpr u64 kWasmPageSize = 65536;
inline constexpr u64 kMaxWasmPages = 65536;  // 4 GiB: the 32-bit address space

// Reserves the memory's whole maximum (type max capped by the store limit)
// plus a guard region, and commits `type.limits.min` pages.
// Errors: kResourceExhausted (min above the limit, or no address space).
Result<std::unique_ptr<MemoryInst>> NewMemory(const MemoryType& type, const StoreLimits& limits);

// Sets the accessible size to exactly `pages` (growing or shrinking) and
// zeroes all of it. Used by RestoreState. Errors: kInvalidArgument.
Status ResetMemory(MemoryInst* memory, u64 pages);

// A table of `type.limits.min` elements, all `init`, counted in `budget`.
// Errors: kResourceExhausted (min above the per-table limit or the store's
// remaining budget of elements), before anything is allocated.
Result<std::unique_ptr<TableInst>> NewTable(const TableType& type, RefBits init,
                                            const StoreLimits& limits, TableBudget* budget);

// Whether `instances`, `tables` and `memories` more objects fit the store's
// limits (StoreLimits::max_instances, max_tables, max_memories).
// Errors: kResourceExhausted naming the limit.
Status CheckObjectCounts(const StoreImpl& s, size_t instances, size_t tables, size_t memories);

// Import matching for limits: `actual` (the provided object's current size
// and declared max) fits `required` (the import's declared limits).
bool LimitsMatch(const Limits& actual, const Limits& required);

// A value from the embedder may enter the store: a funcref must be null or
// name a function of this store (the interpreter trusts funcrefs it finds).
inline bool RefIsValid(const StoreImpl& s, const Value& v) {
  return v.type != ValType::kFuncRef || v.lo == kNullRef || v.lo - 1 < s.funcs.size();
}

}  // namespace deja::engine
