#include "session/unknown_imports.h"

namespace deja::session {
namespace {

using Stub = UnknownImportStubs::Stub;

HostAction TrapStub(HostCall& call, std::span<uint64_t>) {
  return call.Trap(static_cast<const Stub*>(call.data())->trap_message);
}

// Zero bits are 0 for numbers, +0.0 for floats and null for references.
HostAction DefaultValuesStub(HostCall& call, std::span<uint64_t> slots) {
  size_t count = static_cast<const Stub*>(call.data())->result_count;
  for (size_t i = 0; i < count && i < slots.size(); ++i) slots[i] = 0;
  return HostAction::kContinue;
}

std::string Describe(const ImportDesc& import) {
  std::string text =
      "\"" + import.module + "\" \"" + import.name + "\" (" + ExternKindName(import.kind);
  if (import.kind == ExternKind::kFunc) text += " " + import.func.ToString();
  return text + ")";
}

}  // namespace

Status UnknownImportStubs::Define(Store& store, Linker& linker, const Module& module,
                                  UnknownImports mode) {
  for (const ImportDesc& import : module.imports()) {
    if (linker.Find(import.module, import.name) != nullptr) continue;
    if (mode == UnknownImports::kError) {
      return Status::Unlinkable("unknown import " + Describe(import) +
                                "; deja run provides wasi_snapshot_preview1 only (stand in for "
                                "unknown functions with --trap-unknown-imports or "
                                "--default-values-unknown-imports)");
    }
    if (import.kind != ExternKind::kFunc) {
      return Status::Unlinkable("unknown import " + Describe(import) +
                                "; only functions can be stood in for");
    }
    auto stub = std::make_unique<Stub>();
    stub->trap_message = "unknown import \"" + import.module + "\" \"" + import.name +
                         "\" was called (stood in for by --trap-unknown-imports)";
    stub->result_count = import.func.results.size();
    HostFn fn = mode == UnknownImports::kTrap ? TrapStub : DefaultValuesStub;
    Extern func = store.AddHostFunc(import.func, fn, stub.get(), import.module + "." + import.name);
    linker.Define(import.module, import.name, func);
    stubs_.push_back(std::move(stub));
  }
  return Status();
}

}  // namespace deja::session
