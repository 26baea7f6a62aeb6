#include "engine/compile/compiler.h"

#include <algorithm>

#include "engine/compile/func_compiler.h"

namespace deja::engine {

u32 CompiledFunc::WasmOffset(u32 code_offset) const {
  auto it = std::upper_bound(offsets.begin(), offsets.end(), code_offset,
                             [](u32 x, const std::pair<u32, u32>& e) { return x < e.first; });
  if (it == offsets.begin()) return offsets.empty() ? 0 : offsets.front().second;
  return std::prev(it)->second;
}

Result<std::vector<CompiledFunc>> CompileModule(const Module& module,
                                                const CompileOptions& options) {
  std::vector<CompiledFunc> funcs;
  funcs.reserve(module.code.size());
  for (u32 i = 0; i < module.code.size(); ++i) {
    FuncCompiler compiler(module, module.num_imported_funcs + i, options);
    DEJA_ASSIGN_OR_RETURN(CompiledFunc f, compiler.Compile());
    funcs.push_back(std::move(f));
  }
  return funcs;
}

}  // namespace deja::engine
