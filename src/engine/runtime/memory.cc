#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/runtime/objects.h"

namespace deja::engine {

namespace {

// Accesses just past the maximum fault instead of touching another mapping.
constexpr u64 kGuardBytes = kWasmPageSize;

u64 EffectiveMaxPages(const Limits& limits, u64 store_limit) {
  u64 max = std::min(limits.max.value_or(kMaxWasmPages), kMaxWasmPages);
  return std::min(max, store_limit);
}

}  // namespace

MemoryInst::~MemoryInst() {
  if (base != nullptr) munmap(base, reserved);
}

i64 MemoryInst::Grow(u64 delta_pages) {
  u64 old_pages = size / kWasmPageSize;
  // Invariant: old_pages <= max_pages, so the subtraction cannot wrap.
  if (delta_pages > max_pages - old_pages) return -1;
  if (delta_pages == 0) return static_cast<i64>(old_pages);
  u64 new_size = (old_pages + delta_pages) * kWasmPageSize;
  // The reservation is MAP_NORESERVE, so committing charges no swap up front.
  if (mprotect(base + size, new_size - size, PROT_READ | PROT_WRITE) != 0) return -1;
  size = new_size;
  return static_cast<i64>(old_pages);
}

Result<std::unique_ptr<MemoryInst>> NewMemory(const MemoryType& type, const StoreLimits& limits) {
  u64 max_pages = EffectiveMaxPages(type.limits, limits.max_memory_pages);
  if (type.limits.min > max_pages) {
    return Status::ResourceExhausted("memory of " + std::to_string(type.limits.min) +
                                     " pages exceeds the limit of " + std::to_string(max_pages) +
                                     " pages");
  }
  auto memory = std::make_unique<MemoryInst>();
  memory->type = type;
  memory->max_pages = max_pages;
  memory->reserved = max_pages * kWasmPageSize + kGuardBytes;
  void* p = mmap(nullptr, memory->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) {
    return Status::ResourceExhausted("cannot reserve " + std::to_string(memory->reserved) +
                                     " bytes of address space for a memory");
  }
  memory->base = static_cast<u8*>(p);
  if (memory->Grow(type.limits.min) < 0) {
    return Status::ResourceExhausted("cannot commit " + std::to_string(type.limits.min) +
                                     " pages of memory");
  }
  return memory;
}

Status ResetMemory(MemoryInst* memory, u64 pages) {
  if (pages > memory->max_pages) {
    return Status::InvalidArgument("memory of " + std::to_string(pages) +
                                   " pages exceeds its maximum of " +
                                   std::to_string(memory->max_pages));
  }
  u64 new_size = pages * kWasmPageSize;
  if (new_size < memory->size) {
    if (mprotect(memory->base + new_size, memory->size - new_size, PROT_NONE) != 0) {
      return Status::Internal("cannot shrink memory");
    }
    madvise(memory->base + new_size, memory->size - new_size, MADV_DONTNEED);
    memory->size = new_size;
  } else if (memory->Grow(pages - memory->size / kWasmPageSize) < 0) {
    return Status::ResourceExhausted("cannot commit " + std::to_string(pages) + " pages of memory");
  }
  // Dropping private anonymous pages makes them read back as zeros, without
  // touching the (possibly large) untouched parts of the memory.
  if (memory->size != 0 && madvise(memory->base, memory->size, MADV_DONTNEED) != 0) {
    std::memset(memory->base, 0, memory->size);
  }
  return Status();
}

TableInst::~TableInst() {
  if (budget != nullptr) budget->used -= elems.size();
}

i64 TableInst::Grow(u64 delta, RefBits init) {
  u64 old = elems.size();
  // Invariants: old <= max <= UINT32_MAX and budget->used <= budget->limit.
  if (delta > max - old) return -1;
  if (budget != nullptr && delta > budget->limit - budget->used) return -1;
  elems.resize(old + delta, init);
  if (budget != nullptr) budget->used += delta;
  return static_cast<i64>(old);
}

Result<std::unique_ptr<TableInst>> NewTable(const TableType& type, RefBits init,
                                            const StoreLimits& limits, TableBudget* budget) {
  u64 max = std::min<u64>({type.limits.max.value_or(UINT32_MAX), limits.max_table_elements,
                           UINT32_MAX});
  if (type.limits.min > max) {
    return Status::ResourceExhausted(
        "a table of " + std::to_string(type.limits.min) + " elements is more than " +
        (type.limits.min > limits.max_table_elements
             ? "the per-table limit of " + std::to_string(limits.max_table_elements) +
                   " elements (StoreLimits::max_table_elements)"
             : "its maximum of " + std::to_string(max)));
  }
  if (budget != nullptr && type.limits.min > budget->limit - budget->used) {
    return Status::ResourceExhausted(
        "a table of " + std::to_string(type.limits.min) + " elements is more than the " +
        std::to_string(budget->limit - budget->used) +
        " left of the store's table elements (StoreLimits::max_total_table_elements " +
        std::to_string(budget->limit) + ")");
  }
  auto table = std::make_unique<TableInst>();
  table->type = type;
  table->max = max;
  table->elems.assign(type.limits.min, init);
  table->budget = budget;
  if (budget != nullptr) budget->used += type.limits.min;
  return table;
}

Status CheckObjectCounts(const StoreImpl& s, size_t instances, size_t tables, size_t memories) {
  struct {
    size_t have, adding, limit;
    const char* what;
  } const counts[] = {
      {s.instances.size(), instances, s.limits.max_instances, "instances (max_instances"},
      {s.tables.size(), tables, s.limits.max_tables, "tables (max_tables"},
      {s.memories.size(), memories, s.limits.max_memories, "memories (max_memories"},
  };
  for (const auto& c : counts) {
    if (c.adding > 0 && (c.adding > c.limit || c.have > c.limit - c.adding)) {
      return Status::ResourceExhausted(
          "the store would hold " + std::to_string(c.have + c.adding) + " " + c.what +
          " in StoreLimits is " + std::to_string(c.limit) + ")");
    }
  }
  return Status();
}

bool LimitsMatch(const Limits& actual, const Limits& required) {
  if (actual.min < required.min) return false;
  if (!required.max) return true;
  return actual.max && *actual.max <= *required.max;
}

}  // namespace deja::engine
