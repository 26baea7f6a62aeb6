// ImportStubs: host functions standing in for imports nothing provides.
#include "deja/imports.h"

namespace deja {

struct ImportStubs::Stub {
  std::string trap_message;
  bool trap = false;
  std::vector<uint64_t> results;  // raw slots, one per result
};

namespace {

using Stub = ImportStubs::Stub;

HostAction StubFn(HostCall& call, std::span<uint64_t> slots) {
  const auto* stub = static_cast<const Stub*>(call.data());
  if (stub->trap) return call.Trap(stub->trap_message);
  for (size_t i = 0; i < stub->results.size() && i < slots.size(); ++i) {
    slots[i] = stub->results[i];
  }
  return HostAction::kContinue;
}

Status CheckDefaults(const ImportStubOptions& options) {
  for (const auto& [type, values] : options.defaults) {
    bool match = values.size() == type.results.size();
    for (size_t i = 0; match && i < values.size(); ++i) {
      match = values[i].type == type.results[i] && values[i].type != ValType::kV128;
    }
    if (!match) {
      std::string got;
      for (const Value& v : values) got += (got.empty() ? "" : " ") + v.ToString();
      return Status::InvalidArgument("default results [" + got + "] do not match the type " +
                                     type.ToString() + " they are given for");
    }
  }
  return Status();
}

}  // namespace

std::string DescribeImport(const ImportDesc& import) {
  std::string text =
      "\"" + import.module + "\" \"" + import.name + "\" (" + ExternKindName(import.kind);
  if (import.kind == ExternKind::kFunc) text += " " + import.func.ToString();
  return text + ")";
}

ImportStubs::ImportStubs() = default;
ImportStubs::~ImportStubs() = default;
ImportStubs::ImportStubs(ImportStubs&&) noexcept = default;
ImportStubs& ImportStubs::operator=(ImportStubs&&) noexcept = default;

Status ImportStubs::Define(Store& store, Linker& linker, const Module& module,
                           const ImportStubOptions& options) {
  DEJA_TRY(CheckDefaults(options));
  for (const ImportDesc& import : module.imports()) {
    if (linker.Find(import.module, import.name) != nullptr) continue;
    if (options.mode == UnknownImports::kError) {
      std::string message = "unknown import " + DescribeImport(import);
      if (!options.error_hint.empty()) message += "; " + options.error_hint;
      return Status::Unlinkable(std::move(message));
    }
    if (import.kind != ExternKind::kFunc) {
      return Status::Unlinkable("unknown import " + DescribeImport(import) +
                                "; only functions can be stood in for");
    }
    auto stub = std::make_unique<Stub>();
    stub->trap_message =
        "unknown import \"" + import.module + "\" \"" + import.name + "\" was called";
    if (!options.trap_note.empty()) stub->trap_message += " (" + options.trap_note + ")";
    stub->trap = options.mode == UnknownImports::kTrap;
    // Zero bits are 0 for numbers, +0.0 for floats and null for references.
    stub->results.assign(import.func.results.size(), 0);
    for (const auto& [type, values] : options.defaults) {
      if (type != import.func) continue;
      stub->trap = false;
      for (size_t i = 0; i < values.size(); ++i) stub->results[i] = values[i].lo;
      break;
    }
    Extern func = store.AddHostFunc(import.func, StubFn, stub.get(), import.module + "." + import.name);
    linker.Define(import.module, import.name, func);
    stubs_.push_back(std::move(stub));
    stubbed_.push_back(import);
  }
  return Status();
}

}  // namespace deja
