// How large a snapshot's engine state can honestly be, from its module
// (issue 13, item 3: a 146 KB zstd bomb took 4.2 GB and 13 s before it was
// refused). The state holds each memory's non-zero pages, every table
// element, global and segment reference, and the suspended thread; each of
// these is bounded by the module's declarations and the store's limits, so
// a declared size above their sum is refused before anything is allocated.
// Layout: src/engine/runtime/state.cc (and exec/thread_save.cc for the
// thread part, which is given a generous fixed allowance).
#include <algorithm>

#include "engine/decode/decoder.h"
#include "engine/runtime/objects.h"
#include "engine/runtime/state_format.h"
#include "snapshot/snapshot_bounds.h"

namespace deja::snapshot {
namespace {

constexpr u64 kPageEntry = 4 + engine::kWasmPageSize;  // index, bytes
// Functions the resuming run adds besides the module's (WASI, deja.snapshot,
// stand-ins for unknown imports, which are among the module's own), and
// instances beyond the one `deja run` makes: shape entries only.
constexpr u64 kHostFuncAllowance = 4096;
constexpr u64 kInstanceAllowance = 16;

u64 Sat(u64 a, u64 b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
u64 SatMul(u64 a, u64 b) { return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

u64 MemoryPages(const MemoryType& t, u64 max_memory_pages) {
  return std::min({t.limits.max.value_or(engine::kMaxWasmPages), engine::kMaxWasmPages,
                   max_memory_pages});
}

}  // namespace

u64 ThreadStateAllowance() {
  const StoreLimits limits;
  // Frames (a few words each) and 64-bit value-stack slots, at twice what
  // today's format needs: the format may grow.
  return Sat(SatMul(limits.max_call_depth, 64), SatMul(limits.max_stack_slots, 16)) + (1 << 20);
}

Result<StateBound> EngineStateBound(std::span<const u8> wasm, u64 max_memory_pages) {
  DEJA_ASSIGN_OR_RETURN(engine::Module m, engine::DecodeModule(wasm));
  const StoreLimits limits;
  StateBound b;
  b.funcs = m.code.size();
  b.imported_funcs = m.num_imported_funcs;
  b.tables = m.tables.size();
  b.memories = m.memories.size();
  b.globals = m.globals.size();
  for (const MemoryType& t : m.memories) b.memory_pages.push_back(MemoryPages(t, max_memory_pages));

  u64 n = engine::StateHeaderSize(engine::kStateVersion) + 20;
  n = Sat(n, SatMul(Sat(m.func_types.size(), kHostFuncAllowance), 5));
  n = Sat(n, SatMul(kInstanceAllowance, 8));
  for (u64 pages : b.memory_pages) n = Sat(n, Sat(12, SatMul(pages, kPageEntry)));
  n = Sat(n, SatMul(b.globals, 16));
  u64 elements = 0;
  for (const TableType& t : m.tables) {
    u64 max = std::min<u64>(t.limits.max.value_or(UINT32_MAX), limits.max_table_elements);
    elements = Sat(elements, max);
    n = Sat(n, 4);
  }
  n = Sat(n, SatMul(std::min(elements, limits.max_total_table_elements), 8));
  for (const engine::ElemSegment& seg : m.elems) n = Sat(n, Sat(4, SatMul(seg.init.size(), 8)));
  n = Sat(n, m.datas.size());
  n = Sat(n, 4);  // the suspended call's function
  b.bytes = Sat(n, ThreadStateAllowance());
  return b;
}

Status CheckStatePrefix(std::span<const u8> prefix, u64 raw_size, const StateBound& b) {
  engine::StateReader r(prefix);
  std::span<const u8> magic;
  u32 version;
  u64 size;
  if (!r.Bytes(sizeof engine::kStateMagic, &magic) || !r.U32(&version) || !r.U64(&size)) {
    return raw_size < engine::kStateHeaderSize
               ? Status::Corruption("engine state is too short for its header")
               : Status();  // not enough output yet: nothing to check
  }
  if (!std::equal(magic.begin(), magic.end(), engine::kStateMagic)) {
    return Status::Corruption("engine state does not start with its magic");
  }
  if (version < engine::kOldestStateVersion || version > engine::kStateVersion) {
    return Status::Corruption("engine state has version " + std::to_string(version));
  }
  const u64 header = engine::StateHeaderSize(version);
  if (raw_size < header || size != raw_size - header) {
    return Status::Corruption("engine state header says " + std::to_string(size) +
                              " payload bytes, the section " + std::to_string(raw_size) +
                              " in all");
  }
  if (b.bytes == 0) return Status();  // no module to compare with
  engine::StateReader p(prefix.subspan(header));
  u32 counts[5];
  for (u32& c : counts) {
    if (!p.U32(&c)) return Status();
  }
  // A store built from the module has exactly its tables, memories and
  // globals (imports are satisfied by one object each).
  const u64 want[3] = {b.tables, b.memories, b.globals};
  const char* names[3] = {"tables", "memories", "globals"};
  for (int i = 0; i < 3; ++i) {
    if (counts[i + 1] != want[i]) {
      return Status::Corruption("engine state has " + std::to_string(counts[i + 1]) + " " +
                                names[i] + ", its module " + std::to_string(want[i]));
    }
  }
  if (counts[0] < b.funcs || counts[0] - b.funcs > kHostFuncAllowance + b.imported_funcs ||
      counts[4] == 0 || counts[4] > kInstanceAllowance) {
    return Status::Corruption("engine state has " + std::to_string(counts[0]) +
                              " functions and " + std::to_string(counts[4]) +
                              " instances, which its module cannot make");
  }
  // The first memory's stored pages: with its count known, the section's
  // size is bounded much more tightly than by the memory's maximum.
  std::span<const u8> skip;
  if (b.memory_pages.empty() ||
      !p.Bytes(u64{counts[0]} * 5 + u64{counts[4]} * 8, &skip)) {
    return Status();
  }
  u64 pages;
  u32 stored;
  if (!p.U64(&pages) || !p.U32(&stored)) return Status();
  if (pages > b.memory_pages[0] || stored > pages) {
    return Status::Corruption("engine state's memory 0 has " + std::to_string(pages) +
                              " pages (" + std::to_string(stored) + " stored), its module allows " +
                              std::to_string(b.memory_pages[0]));
  }
  const u64 before = prefix.size() - p.rest().size();
  const u64 others = b.bytes - Sat(12, SatMul(b.memory_pages[0], kPageEntry));
  const u64 most = Sat(Sat(before, SatMul(stored, kPageEntry)), others);
  if (raw_size > most) {
    return Status::Corruption("engine state declares " + std::to_string(raw_size) +
                              " bytes, more than the " + std::to_string(most) +
                              " its module and " + std::to_string(stored) +
                              " stored pages of memory 0 can take");
  }
  return Status();
}

}  // namespace deja::snapshot
