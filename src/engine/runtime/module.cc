// Module::Compile: decode -> validate -> compile, into one shared CompiledModule.
#include "deja/module.h"

#include "engine/compile/code.h"
#include "engine/compile/compiler.h"
#include "engine/decode/decoder.h"
#include "engine/runtime/store_impl.h"
#include "engine/validate/features.h"
#include "engine/validate/validator.h"

namespace deja {

namespace engine {
CompiledModule::~CompiledModule() = default;
}  // namespace engine

Result<Module> Module::Compile(std::span<const uint8_t> wasm, const CompileOptions& options) {
  DEJA_ASSIGN_OR_RETURN(engine::Module decoded, engine::DecodeModule(wasm));
  DEJA_TRY(engine::ValidateModule(decoded));
  DEJA_TRY(engine::CheckFeatures(decoded, options.features));
  DEJA_ASSIGN_OR_RETURN(std::vector<engine::CompiledFunc> funcs,
                        engine::CompileModule(decoded, options));
  auto compiled = std::make_shared<engine::CompiledModule>();
  compiled->module = std::move(decoded);
  compiled->funcs = std::move(funcs);
  compiled->options = options;
  return Module(std::move(compiled));
}

std::vector<ImportDesc> Module::imports() const {
  const engine::Module& m = impl_->module;
  std::vector<ImportDesc> out;
  out.reserve(m.imports.size());
  for (const engine::Import& im : m.imports) {
    ImportDesc d;
    d.module = im.module;
    d.name = im.name;
    d.kind = im.kind;
    if (im.kind == ExternKind::kFunc) d.func = m.types[im.func_type];
    d.table = im.table;
    d.memory = im.memory;
    d.global = im.global;
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<ExportDesc> Module::exports() const {
  std::vector<ExportDesc> out;
  out.reserve(impl_->module.exports.size());
  for (const engine::Export& e : impl_->module.exports) out.push_back({e.name, e.kind});
  return out;
}

const std::string& Module::name() const { return impl_->module.name; }

}  // namespace deja
