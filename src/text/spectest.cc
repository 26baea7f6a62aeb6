#include "text/spectest.h"

#include <array>
#include <string>

namespace deja::text {
namespace {

// Prints "spectest.<name>(v1, v2)" using the parameter types T...
template <ValType... T>
HostAction Print(HostCall& call, std::span<u64> slots) {
  auto* out = static_cast<std::ostream*>(call.data());
  if (out == nullptr) return HostAction::kContinue;
  constexpr std::array<ValType, sizeof...(T)> kTypes = {T...};
  *out << "spectest.print(";
  for (size_t i = 0; i < kTypes.size(); ++i) {
    Value v{kTypes[i], slots[i], 0};
    if (kTypes[i] == ValType::kI32) v.lo &= 0xffff'ffffu;
    *out << (i ? ", " : "") << v.ToString();
  }
  *out << ")\n";
  return HostAction::kContinue;
}

struct PrintFunc {
  const char* name;
  FuncType type;
  HostFn fn;
};

constexpr ValType kI32 = ValType::kI32;
constexpr ValType kI64 = ValType::kI64;
constexpr ValType kF32 = ValType::kF32;
constexpr ValType kF64 = ValType::kF64;

Status DefineGlobals(Store& store, Linker& linker) {
  struct GlobalDef {
    const char* name;
    Value value;
  };
  const GlobalDef globals[] = {
      {"global_i32", Value::I32(666)},
      {"global_i64", Value::I64(666)},
      {"global_f32", Value::F32(666.6f)},
      {"global_f64", Value::F64(666.6)},
  };
  for (const GlobalDef& g : globals) {
    DEJA_ASSIGN_OR_RETURN(Extern global, store.AddGlobal(GlobalType{g.value.type, false}, g.value));
    linker.Define("spectest", g.name, global);
  }
  return Status();
}

}  // namespace

Status DefineSpectest(Store& store, Linker& linker, std::ostream* print_to) {
  const PrintFunc funcs[] = {
      {"print", {{}, {}}, Print<>},
      {"print_i32", {{kI32}, {}}, Print<kI32>},
      {"print_i64", {{kI64}, {}}, Print<kI64>},
      {"print_f32", {{kF32}, {}}, Print<kF32>},
      {"print_f64", {{kF64}, {}}, Print<kF64>},
      {"print_i32_f32", {{kI32, kF32}, {}}, Print<kI32, kF32>},
      {"print_f64_f64", {{kF64, kF64}, {}}, Print<kF64, kF64>},
  };
  for (const PrintFunc& f : funcs) {
    Extern func = store.AddHostFunc(f.type, f.fn, print_to, std::string("spectest.") + f.name);
    linker.Define("spectest", f.name, func);
  }
  DEJA_TRY(DefineGlobals(store, linker));
  TableType table_type{ValType::kFuncRef, Limits{10, 20}};
  DEJA_ASSIGN_OR_RETURN(Extern table,
                        store.AddTable(table_type, Value::NullRef(ValType::kFuncRef)));
  linker.Define("spectest", "table", table);
  DEJA_ASSIGN_OR_RETURN(Extern memory, store.AddMemory(MemoryType{Limits{1, 2}}));
  linker.Define("spectest", "memory", memory);
  return Status();
}

}  // namespace deja::text
