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

const ResumePoint* CompiledFunc::PointAtPc(u32 pc, ResumePoint::Kind kind) const {
  // A call's return address may also be the pc of the Fuel op right after it.
  auto it = std::lower_bound(resume_points.begin(), resume_points.end(), pc,
                             [](const ResumePoint& p, u32 x) { return p.pc < x; });
  for (; it != resume_points.end() && it->pc == pc; ++it) {
    if (it->kind == kind) return &*it;
  }
  return nullptr;
}

const ResumePoint* CompiledFunc::PointAt(u32 wasm_offset, ResumePoint::Kind kind) const {
  auto key = [](u32 off, ResumePoint::Kind k) { return (static_cast<u64>(off) << 8) | k; };
  u64 want = key(wasm_offset, kind);
  auto it =
      std::lower_bound(resume_points.begin(), resume_points.end(), want,
                       [&](const ResumePoint& p, u64 x) { return key(p.wasm_offset, p.kind) < x; });
  return it != resume_points.end() && key(it->wasm_offset, it->kind) == want ? &*it : nullptr;
}

std::pair<const DeferredValue*, const DeferredValue*> CompiledFunc::DeferredOf(
    const ResumePoint& p) const {
  size_t i = static_cast<size_t>(&p - resume_points.data());
  u32 begin = i == 0 ? 0 : resume_points[i - 1].deferred_end;
  return {deferred.data() + begin, deferred.data() + p.deferred_end};
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
