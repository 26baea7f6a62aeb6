// Out-of-line helpers for the interpreter's less frequent operations (bulk
// memory, tables, call_indirect type ids). Each checks the spec's bounds
// before writing anything and returns false when it must trap.
#pragma once

#include "base/types.h"
#include "engine/exec/thread_state.h"
#include "engine/runtime/store_impl.h"

namespace deja::engine {

bool MemFill(MemoryInst* mem, u32 dst, u8 value, u32 n);
bool MemCopy(MemoryInst* mem, u32 dst, u32 src, u32 n);
bool MemInit(MemoryInst* mem, const DataInst& data, u32 dst, u32 src, u32 n);

// Returns the old size, or -1 when the table cannot grow by `n`.
i64 TableGrowBy(TableInst& table, RefBits init, u32 n);
bool TableFillRange(TableInst& table, u32 dst, RefBits value, u32 n);
bool TableCopyRange(TableInst& dst_table, TableInst& src_table, u32 dst, u32 src, u32 n);
bool TableInitRange(TableInst& table, const ElemInst& elem, u32 dst, u32 src, u32 n);

// The store type id of type index `type_index` of `instance`'s module.
u32 TypeId(ThreadState& state, u32 instance, u32 type_index);

}  // namespace deja::engine
