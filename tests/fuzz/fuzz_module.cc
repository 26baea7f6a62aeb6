// Fuzzes the whole pipeline on arbitrary bytes: decode, validate, compile,
// instantiate (imports satisfied by trapping host functions and fresh objects)
// and call every export with zero arguments under a small fuel budget.
// Anything but a clean Status, trap or result is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "deja/deja.h"

namespace {

deja::HostAction TrappingImport(deja::HostCall& call, std::span<uint64_t>) {
  return call.Trap("fuzz import called");
}

std::vector<deja::Value> ZeroArgs(const deja::FuncType& type) {
  std::vector<deja::Value> args;
  for (deja::ValType t : type.params) args.push_back(deja::Value{t, 0, 0});
  return args;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto module = deja::Module::Compile(std::span<const uint8_t>(data, size));
  if (!module.ok()) return 0;

  deja::StoreLimits limits;
  limits.max_memory_pages = 64;
  limits.max_table_elements = 4096;
  limits.max_call_depth = 2000;
  limits.max_stack_slots = 1 << 16;
  deja::Store store(limits);

  std::vector<deja::Extern> imports;
  for (const deja::ImportDesc& import : module->imports()) {
    switch (import.kind) {
      case deja::ExternKind::kFunc:
        imports.push_back(store.AddHostFunc(import.func, TrappingImport, nullptr, import.name));
        continue;
      case deja::ExternKind::kTable: {
        auto t = store.AddTable(import.table, deja::Value::NullRef(import.table.elem));
        if (!t.ok()) return 0;
        imports.push_back(*t);
        continue;
      }
      case deja::ExternKind::kMemory: {
        auto m = store.AddMemory(import.memory);
        if (!m.ok()) return 0;
        imports.push_back(*m);
        continue;
      }
      case deja::ExternKind::kGlobal: {
        auto g = store.AddGlobal(import.global, deja::Value{import.global.type, 0, 0});
        if (!g.ok()) return 0;
        imports.push_back(*g);
        continue;
      }
      case deja::ExternKind::kTag:
        return 0;  // only another module can export a tag: nothing to link here
    }
  }

  store.SetFuel(100'000);
  auto instance = store.Instantiate(*module, imports);
  if (!instance.ok()) return 0;
  for (const auto& [name, ext] : store.Exports(*instance)) {
    if (ext.kind != deja::ExternKind::kFunc) continue;
    std::vector<deja::Value> results;
    store.SetFuel(100'000);
    (void)store.Call(ext, ZeroArgs(store.GetFuncType(ext)), &results);
  }
  return 0;
}
