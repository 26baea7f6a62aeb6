// Linker: resolves a module's imports by (module, name) and instantiates it.
#include <string>

#include "deja/store.h"
#include "engine/runtime/store_impl.h"

namespace deja {

void Linker::Define(std::string module, std::string name, Extern value) {
  for (auto& [key, ext] : defs_) {
    if (key.first == module && key.second == name) {
      ext = value;  // a later definition replaces an earlier one
      return;
    }
  }
  defs_.push_back({{std::move(module), std::move(name)}, value});
}

void Linker::DefineInstance(const Store& store, std::string module, InstanceId instance) {
  for (auto& [name, ext] : store.Exports(instance)) Define(module, name, ext);
}

const Extern* Linker::Find(std::string_view module, std::string_view name) const {
  for (const auto& [key, ext] : defs_) {
    if (key.first == module && key.second == name) return &ext;
  }
  return nullptr;
}

Result<InstanceId> Linker::Instantiate(Store& store, const Module& module) const {
  const engine::Module& m = module.impl()->module;
  std::vector<Extern> externs;
  externs.reserve(m.imports.size());
  for (const engine::Import& im : m.imports) {
    const Extern* ext = Find(im.module, im.name);
    if (ext == nullptr) {
      return Status::Unlinkable("unknown import: \"" + im.module + "\" \"" + im.name + "\"");
    }
    externs.push_back(*ext);
  }
  return store.Instantiate(module, externs);
}

}  // namespace deja
