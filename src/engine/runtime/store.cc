// Store: construction, embedder-made objects, exports, types and guest state.
// Running code is in call.cc, instantiation in instantiate.cc, saving in state.cc.
#include "deja/store.h"

#include <string>

#include "engine/exec/thread.h"
#include "engine/runtime/objects.h"
#include "engine/runtime/store_impl.h"

namespace deja {

namespace engine {

StoreImpl::StoreImpl(StoreLimits l) : limits(l) {
  table_budget.limit = l.max_total_table_elements;
  thread = std::make_unique<Thread>(*this);
}

StoreImpl::~StoreImpl() = default;

u32 StoreImpl::InternType(const FuncType& t) {
  // Key: the parameter bytes, a separator that is no type code, the results.
  std::string key;
  for (ValType v : t.params) key.push_back(static_cast<char>(v));
  key.push_back('\0');
  for (ValType v : t.results) key.push_back(static_cast<char>(v));
  auto [it, inserted] = type_ids.try_emplace(std::move(key), static_cast<u32>(types.size()));
  if (inserted) types.push_back(t);
  return it->second;
}

}  // namespace engine

namespace {

Status CheckValue(const engine::StoreImpl& s, const Value& v, ValType t, const char* what) {
  if (v.type != t) {
    return Status::InvalidArgument(std::string(what) + " of type " + ValTypeName(t) +
                                   " cannot hold a " + ValTypeName(v.type));
  }
  if (!engine::RefIsValid(s, v)) {
    return Status::InvalidArgument(std::string(what) + ": funcref " + std::to_string(v.lo - 1) +
                                   " is not a function of this store");
  }
  return Status();
}

}  // namespace

Store::Store(StoreLimits limits) : impl_(std::make_unique<engine::StoreImpl>(limits)) {
  impl_->owner = this;
}

Store::~Store() = default;

Store::Store(Store&& other) noexcept : impl_(std::move(other.impl_)) {
  if (impl_) impl_->owner = this;
}

Store& Store::operator=(Store&& other) noexcept {
  impl_ = std::move(other.impl_);
  if (impl_) impl_->owner = this;
  return *this;
}

Extern Store::AddHostFunc(FuncType type, HostFn fn, void* data, std::string debug_name) {
  engine::FuncInst f;
  f.type_id = impl_->InternType(type);
  f.host = fn;
  f.host_data = data;
  f.debug_name = std::move(debug_name);
  impl_->funcs.push_back(std::move(f));
  return {ExternKind::kFunc, static_cast<uint32_t>(impl_->funcs.size() - 1)};
}

Result<Extern> Store::AddTable(TableType type, Value init) {
  if (!IsRefType(type.elem)) return Status::InvalidArgument("table elements must be references");
  DEJA_TRY(CheckValue(*impl_, init, type.elem, "table"));
  DEJA_TRY(engine::CheckObjectCounts(*impl_, 0, 1, 0));
  DEJA_ASSIGN_OR_RETURN(auto table,
                        engine::NewTable(type, init.lo, impl_->limits, &impl_->table_budget));
  impl_->tables.push_back(std::move(table));
  return Extern{ExternKind::kTable, static_cast<uint32_t>(impl_->tables.size() - 1)};
}

Result<Extern> Store::AddMemory(MemoryType type) {
  DEJA_TRY(engine::CheckObjectCounts(*impl_, 0, 0, 1));
  DEJA_ASSIGN_OR_RETURN(auto memory, engine::NewMemory(type, impl_->limits));
  impl_->memories.push_back(std::move(memory));
  return Extern{ExternKind::kMemory, static_cast<uint32_t>(impl_->memories.size() - 1)};
}

Result<Extern> Store::AddGlobal(GlobalType type, Value value) {
  DEJA_TRY(CheckValue(*impl_, value, type.type, "global"));
  auto g = std::make_unique<engine::GlobalInst>();
  g->type = type;
  g->lo = value.lo;
  g->hi = value.hi;
  impl_->globals.push_back(std::move(g));
  return Extern{ExternKind::kGlobal, static_cast<uint32_t>(impl_->globals.size() - 1)};
}

std::optional<Extern> Store::GetExport(InstanceId instance, std::string_view name) const {
  if (instance >= impl_->instances.size()) return std::nullopt;
  for (const auto& [export_name, ext] : impl_->instances[instance].exports) {
    if (export_name == name) return ext;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, Extern>> Store::Exports(InstanceId instance) const {
  if (instance >= impl_->instances.size()) return {};
  return impl_->instances[instance].exports;
}

FuncType Store::GetFuncType(Extern func) const { return impl_->func_type(func.addr); }

TableType Store::GetTableType(Extern table) const {
  const engine::TableInst& t = *impl_->tables[table.addr];
  TableType type = t.type;
  type.limits.min = t.elems.size();
  return type;
}

MemoryType Store::GetMemoryType(Extern memory) const {
  const engine::MemoryInst& m = *impl_->memories[memory.addr];
  MemoryType type = m.type;
  type.limits.min = m.size / engine::kWasmPageSize;
  return type;
}

GlobalType Store::GetGlobalType(Extern global) const { return impl_->globals[global.addr]->type; }

std::span<uint8_t> Store::MemoryData(Extern memory) {
  engine::MemoryInst& m = *impl_->memories[memory.addr];
  return {m.base, m.size};
}

uint64_t Store::MemoryPages(Extern memory) const {
  return impl_->memories[memory.addr]->size / engine::kWasmPageSize;
}

Value Store::GetGlobal(Extern global) const {
  const engine::GlobalInst& g = *impl_->globals[global.addr];
  return {g.type.type, g.lo, g.hi};
}

Status Store::SetGlobal(Extern global, Value value) {
  if (global.kind != ExternKind::kGlobal || global.addr >= impl_->globals.size()) {
    return Status::InvalidArgument("not a global");
  }
  engine::GlobalInst& g = *impl_->globals[global.addr];
  if (!g.type.mut) return Status::InvalidArgument("global is immutable");
  DEJA_TRY(CheckValue(*impl_, value, g.type.type, "global"));
  g.lo = value.lo;
  g.hi = value.hi;
  return Status();
}

uint32_t Store::TableSize(Extern table) const {
  return static_cast<uint32_t>(impl_->tables[table.addr]->elems.size());
}

Result<Value> Store::TableGet(Extern table, uint32_t index) const {
  const engine::TableInst& t = *impl_->tables[table.addr];
  if (index >= t.elems.size()) {
    return Status::InvalidArgument("table index " + std::to_string(index) +
                                   " out of bounds (size " + std::to_string(t.elems.size()) + ")");
  }
  return Value{t.type.elem, t.elems[index], 0};
}

Store::InstanceObjects Store::GetInstanceObjects(InstanceId instance) const {
  InstanceObjects out;
  if (instance >= impl_->instances.size()) return out;
  const engine::InstanceInst& inst = impl_->instances[instance];
  auto externs = [](ExternKind kind, const std::vector<u32>& addrs, std::vector<Extern>* to) {
    for (u32 addr : addrs) to->push_back(Extern{kind, addr});
  };
  externs(ExternKind::kFunc, inst.funcs, &out.funcs);
  externs(ExternKind::kTable, inst.tables, &out.tables);
  externs(ExternKind::kMemory, inst.memories, &out.memories);
  externs(ExternKind::kGlobal, inst.globals, &out.globals);
  for (const engine::DataInst& d : inst.datas) out.data_dropped.push_back(d.bytes.empty());
  for (const engine::ElemInst& e : inst.elems) out.elem_dropped.push_back(e.refs.empty());
  return out;
}

}  // namespace deja
