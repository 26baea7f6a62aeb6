#include "engine/compile/compiler.h"

#include <algorithm>

#include "engine/compile/func_compiler.h"
#include "engine/validate/parallel.h"

namespace deja::engine {

u32 CompiledFunc::WasmOffset(u32 code_offset) const {
  auto it = std::upper_bound(offsets.begin(), offsets.end(), code_offset,
                             [](u32 x, const std::pair<u32, u32>& e) { return x < e.first; });
  if (it == offsets.begin()) return offsets.empty() ? 0 : offsets.front().second;
  return std::prev(it)->second;
}

Result<std::vector<CompiledFunc>> CompileModule(const Module& module,
                                                const CompileOptions& options) {
  // Large modules compile on several threads (engine/validate/parallel.h);
  // each function's code lands in its own slot, so the result is the same.
  std::vector<CompiledFunc> funcs(module.code.size());
  DEJA_TRY(ForEachFunction(static_cast<u32>(module.code.size()), FunctionWorkers(module.code), [&] {
    return [&](u32 i) -> Status {
      FuncCompiler compiler(module, module.num_imported_funcs + i, options);
      DEJA_ASSIGN_OR_RETURN(funcs[i], compiler.Compile());
      return Status();
    };
  }));
  return funcs;
}

}  // namespace deja::engine
