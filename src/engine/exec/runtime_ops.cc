#include "engine/exec/runtime_ops.h"

#include <algorithm>
#include <cstring>

namespace deja::engine {
namespace {

// [start, start + n) fits in `size` (64-bit arithmetic: no wrap-around).
bool InRange(u64 start, u64 n, u64 size) { return start + n <= size; }

}  // namespace

bool MemFill(MemoryInst* mem, u32 dst, u8 value, u32 n) {
  if (!InRange(dst, n, mem->size)) return false;
  std::memset(mem->base + dst, value, n);
  return true;
}

bool MemCopy(MemoryInst* mem, u32 dst, u32 src, u32 n) {
  if (!InRange(dst, n, mem->size) || !InRange(src, n, mem->size)) return false;
  std::memmove(mem->base + dst, mem->base + src, n);
  return true;
}

bool MemInit(MemoryInst* mem, const DataInst& data, u32 dst, u32 src, u32 n) {
  if (!InRange(src, n, data.bytes.size()) || !InRange(dst, n, mem->size)) return false;
  if (n > 0) std::memcpy(mem->base + dst, data.bytes.data() + src, n);
  return true;
}

i64 TableGrowBy(TableInst& table, RefBits init, u32 n) { return table.Grow(n, init); }

bool TableFillRange(TableInst& table, u32 dst, RefBits value, u32 n) {
  if (!InRange(dst, n, table.elems.size())) return false;
  std::fill_n(table.elems.begin() + dst, n, value);
  return true;
}

bool TableCopyRange(TableInst& dst_table, TableInst& src_table, u32 dst, u32 src, u32 n) {
  if (!InRange(dst, n, dst_table.elems.size()) || !InRange(src, n, src_table.elems.size())) {
    return false;
  }
  if (n == 0) return true;
  // memmove semantics: the ranges may overlap within one table.
  std::memmove(dst_table.elems.data() + dst, src_table.elems.data() + src, n * sizeof(RefBits));
  return true;
}

bool TableInitRange(TableInst& table, const ElemInst& elem, u32 dst, u32 src, u32 n) {
  if (!InRange(src, n, elem.refs.size()) || !InRange(dst, n, table.elems.size())) return false;
  std::copy_n(elem.refs.begin() + src, n, table.elems.begin() + dst);
  return true;
}

u32 TypeId(ThreadState& state, u32 instance, u32 type_index) {
  if (state.type_ids.size() <= instance) state.type_ids.resize(instance + 1);
  std::vector<u32>& ids = state.type_ids[instance];
  if (ids.empty()) {
    const Module& m = state.store.instances[instance].module->module;
    ids.reserve(m.types.size());
    for (const FuncType& t : m.types) ids.push_back(state.store.InternType(t));
  }
  return ids[type_index];
}

}  // namespace deja::engine
