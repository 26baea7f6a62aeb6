// The store's runtime objects, as plain data addressed by index (the spec's
// "store"). The interpreter (exec/) reads and writes these directly;
// instantiation (runtime/instantiate.cc) creates them.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/types.h"
#include "deja/store.h"
#include "engine/module.h"

namespace deja::engine {

struct CompiledFunc;  // compile/code.h
class Thread;         // exec/thread.h

// A module after decode, validate and compile; shared by every instance of it.
struct CompiledModule {
  Module module;
  std::vector<CompiledFunc> funcs;  // one per defined function (module.code)
  CompileOptions options;
  ~CompiledModule();
};

inline constexpr u32 kNoInstance = UINT32_MAX;

struct FuncInst {
  u32 type_id = 0;  // interned in StoreImpl::types; equal ids <=> equal types
  u32 instance = kNoInstance;        // Wasm functions: the defining instance
  u32 func_index = 0;                // Wasm functions: index in its module
  const CompiledFunc* code = nullptr;  // null for host functions
  HostFn host = nullptr;
  void* host_data = nullptr;
  std::string debug_name;            // host functions
};

// Every table element of a store, against StoreLimits::max_total_table_elements.
struct TableBudget {
  u64 used = 0;
  u64 limit = 0;
};

struct TableInst {
  TableType type;             // limits.min is the size at creation
  std::vector<RefBits> elems;
  u64 max = 0;                // effective maximum (type max capped by the store limit)
  TableBudget* budget = nullptr;  // the store's; elems.size() is counted in it
  TableInst() = default;
  TableInst(const TableInst&) = delete;
  TableInst& operator=(const TableInst&) = delete;
  ~TableInst();
  // Appends `delta` elements `init`. Returns the old size, or -1 past `max`
  // or the store's budget (nothing changes then).
  i64 Grow(u64 delta, RefBits init);
};

// Linear memory. The base address never moves: the whole maximum is reserved
// up front and growing only commits pages, so the interpreter may cache `base`.
struct MemoryInst {
  MemoryType type;
  u8* base = nullptr;
  u64 size = 0;       // bytes currently accessible
  u64 max_pages = 0;  // effective maximum (type max capped by the store limit)
  u64 reserved = 0;   // bytes of address space reserved at base
  MemoryInst() = default;
  MemoryInst(const MemoryInst&) = delete;
  MemoryInst& operator=(const MemoryInst&) = delete;
  ~MemoryInst();
  // Returns the old size in pages, or -1 if the growth is not allowed.
  i64 Grow(u64 delta_pages);
};

struct GlobalInst {
  GlobalType type;
  u64 lo = 0;
  u64 hi = 0;  // v128 upper half, later
};

// An exception tag. Identity is the store address: two modules share a tag
// only by importing the same one, even if their types are equal.
struct TagInst {
  u32 type_id = 0;              // interned in StoreImpl::types (params = payload)
  u32 instance = kNoInstance;   // the defining instance (kNoInstance: embedder's)
  u32 tag_index = 0;            // in the defining module's tag index space
};

struct ElemInst {
  ValType type = ValType::kFuncRef;
  std::vector<RefBits> refs;  // emptied by elem.drop (and after active/declarative init)
};

struct DataInst {
  std::span<const u8> bytes;  // into the module; emptied by data.drop
};

struct InstanceInst {
  std::shared_ptr<const CompiledModule> module;
  // Store addresses of each index space, imports first.
  std::vector<u32> funcs;
  std::vector<u32> tables;
  std::vector<u32> memories;
  std::vector<u32> globals;
  std::vector<u32> tags;
  std::vector<ElemInst> elems;
  std::vector<DataInst> datas;
  std::vector<std::pair<std::string, Extern>> exports;
};

struct StoreImpl {
  explicit StoreImpl(StoreLimits l);
  ~StoreImpl();

  StoreLimits limits;
  Store* owner = nullptr;  // the public object, handed to host functions

  std::vector<FuncType> types;  // interned
  std::vector<FuncInst> funcs;
  TableBudget table_budget;  // before `tables`: their destructors give elements back
  std::vector<std::unique_ptr<TableInst>> tables;
  std::vector<std::unique_ptr<MemoryInst>> memories;
  std::vector<std::unique_ptr<GlobalInst>> globals;
  std::vector<InstanceInst> instances;
  std::vector<TagInst> tags;

  std::unique_ptr<Thread> thread;
  std::atomic<bool> interrupt{false};
  // Store::RequestSuspend; used up by the safe-point suspension it causes.
  std::atomic<bool> suspend_request{false};

  // The function of the call in progress or suspended (Store::Call), so its
  // results can be typed after Resume; kNoFunc when idle. Saved with the state.
  static constexpr u32 kNoFunc = UINT32_MAX;
  u32 call_func = kNoFunc;
  // A trap raised by the Store API itself (e.g. mistyped arguments); when set,
  // Store::trap() reports it instead of the thread's.
  std::optional<Trap> api_trap;
  std::map<std::string, u32> type_ids;  // InternType's index: encoded type -> id

  u32 InternType(const FuncType& t);

  const FuncType& func_type(u32 func_addr) const { return types[funcs[func_addr].type_id]; }
};

}  // namespace deja::engine
