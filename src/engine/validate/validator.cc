#include "engine/validate/validator.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "engine/validate/const_expr.h"
#include "engine/validate/error.h"
#include "engine/validate/func_validator.h"
#include "engine/validate/parallel.h"

namespace deja::engine {
namespace {

constexpr u64 kMaxMemoryPages = 65536;
constexpr u64 kMaxTableSize = 0xffffffffu;

// `what` names the item ("memory 0"); `range_reason` is the spec's wording for
// a limit above `range`.
Status CheckLimits(const Limits& limits, u64 range, std::string_view what,
                   std::string_view range_reason) {
  auto fail = [&](std::string_view reason) {
    std::string message(what);
    message += ": ";
    message += reason;
    return Status::Invalid(std::move(message));
  };
  if (limits.min > range || (limits.max && *limits.max > range)) return fail(range_reason);
  if (limits.max && limits.min > *limits.max) {
    return fail("size minimum must not be greater than maximum");
  }
  return Status();
}

Status CheckFuncTypes(const Module& m) {
  for (size_t i = 0; i < m.func_types.size(); ++i) {
    if (m.func_types[i] >= m.types.size()) {
      return Status::Invalid("func " + std::to_string(i) + ": " +
                             WithIndex("unknown type", m.func_types[i]));
    }
  }
  return Status();
}

Status CheckTablesAndMemories(const Module& m) {
  for (size_t i = 0; i < m.tables.size(); ++i) {
    DEJA_TRY(CheckLimits(m.tables[i].limits, kMaxTableSize, "table " + std::to_string(i),
                         "table size must be at most 2^32-1"));
  }
  if (m.memories.size() > 1) return Status::Invalid("multiple memories");
  for (size_t i = 0; i < m.memories.size(); ++i) {
    DEJA_TRY(CheckLimits(m.memories[i].limits, kMaxMemoryPages, "memory " + std::to_string(i),
                         "memory size must be at most 65536 pages (4GiB)"));
  }
  return Status();
}

Status CheckGlobals(const Module& m) {
  for (const Global& g : m.global_defs) DEJA_TRY(ValidateConstExpr(m, g.init, g.type.type));
  return Status();
}

Status CheckElems(const Module& m) {
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const ElemSegment& e = m.elems[i];
    if (e.mode == SegmentMode::kActive) {
      if (e.table >= m.tables.size()) {
        return InvalidAt(e.byte_offset, WithIndex("unknown table", e.table));
      }
      if (m.tables[e.table].elem != e.type) {
        return InvalidAt(e.byte_offset, std::string("type mismatch: elem segment of ") +
                                            ValTypeName(e.type) + " for a table of " +
                                            ValTypeName(m.tables[e.table].elem));
      }
      DEJA_TRY(ValidateConstExpr(m, e.offset, ValType::kI32));
    }
    for (const ConstExpr& init : e.init) DEJA_TRY(ValidateConstExpr(m, init, e.type));
  }
  return Status();
}

Status CheckDatas(const Module& m) {
  for (const DataSegment& d : m.datas) {
    if (d.mode != SegmentMode::kActive) continue;
    if (d.memory >= m.memories.size()) {
      return InvalidAt(d.byte_offset, WithIndex("unknown memory", d.memory));
    }
    DEJA_TRY(ValidateConstExpr(m, d.offset, ValType::kI32));
  }
  return Status();
}

Status CheckStart(const Module& m) {
  if (!m.start) return Status();
  if (*m.start >= m.func_types.size()) {
    return Status::Invalid("start function: " + WithIndex("unknown function", *m.start));
  }
  const FuncType& type = m.func_type(*m.start);
  if (!type.params.empty() || !type.results.empty()) {
    return Status::Invalid("start function " + std::to_string(*m.start) +
                           ": start function must have type [] -> [], has " + type.ToString());
  }
  return Status();
}

Status CheckExportIndex(const Module& m, const Export& e) {
  switch (e.kind) {
    case ExternKind::kFunc:
      if (e.index < m.func_types.size()) return Status();
      return Status::Invalid(WithIndex("unknown function", e.index));
    case ExternKind::kTable:
      if (e.index < m.tables.size()) return Status();
      return Status::Invalid(WithIndex("unknown table", e.index));
    case ExternKind::kMemory:
      if (e.index < m.memories.size()) return Status();
      return Status::Invalid(WithIndex("unknown memory", e.index));
    case ExternKind::kGlobal:
      if (e.index < m.globals.size()) return Status();
      return Status::Invalid(WithIndex("unknown global", e.index));
    case ExternKind::kTag:
      if (e.index < m.tags.size()) return Status();
      return Status::Invalid(WithIndex("unknown tag", e.index));
  }
  return Status::Invalid("unknown export kind");
}

Status CheckExports(const Module& m) {
  auto prefix = [](size_t i, const Export& e) {
    return "export " + std::to_string(i) + " \"" + e.name + "\"";
  };
  for (size_t i = 0; i < m.exports.size(); ++i) {
    Status s = CheckExportIndex(m, m.exports[i]);
    if (!s.ok()) return s.WithContext(prefix(i, m.exports[i]));
  }
  // Sorting indices by name finds duplicates in O(n log n) without copying names.
  std::vector<u32> order(m.exports.size());
  for (u32 i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](u32 a, u32 b) {
    return m.exports[a].name != m.exports[b].name ? m.exports[a].name < m.exports[b].name : a < b;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const Export& e = m.exports[order[i]];
    if (e.name == m.exports[order[i - 1]].name) {
      return Status::Invalid(prefix(order[i], e) + ": duplicate export name");
    }
  }
  return Status();
}

void MarkRefFuncs(const ConstExpr& expr, std::vector<bool>* declared) {
  for (const Instr& in : expr.instrs) {
    if (in.op == Opcode::kRefFunc && in.index < declared->size()) (*declared)[in.index] = true;
  }
}

// The functions a body may name with ref.func: those referenced anywhere in
// the module outside function bodies and the start section.
std::vector<bool> DeclaredFunctions(const Module& m) {
  std::vector<bool> declared(m.func_types.size(), false);
  for (const ElemSegment& e : m.elems) {
    for (const ConstExpr& init : e.init) MarkRefFuncs(init, &declared);
  }
  for (const Global& g : m.global_defs) MarkRefFuncs(g.init, &declared);
  for (const Export& e : m.exports) {
    if (e.kind == ExternKind::kFunc && e.index < declared.size()) declared[e.index] = true;
  }
  return declared;
}

}  // namespace

Status ValidateModule(const Module& module) {
  DEJA_TRY(CheckFuncTypes(module));
  DEJA_TRY(CheckTablesAndMemories(module));
  DEJA_TRY(CheckTags(module));  // exceptions.cc
  DEJA_TRY(CheckGlobals(module));
  DEJA_TRY(CheckElems(module));
  DEJA_TRY(CheckDatas(module));
  DEJA_TRY(CheckStart(module));
  DEJA_TRY(CheckExports(module));
  if (module.num_imported_funcs + module.code.size() != module.func_types.size()) {
    return Status::Internal("module has " + std::to_string(module.code.size()) + " bodies for " +
                            std::to_string(module.func_types.size()) + " functions");
  }
  std::vector<bool> declared = DeclaredFunctions(module);
  // One FuncValidator per thread, reused for all of that thread's functions.
  return ForEachFunction(static_cast<u32>(module.code.size()), FunctionWorkers(module.code), [&] {
    return [&module, funcs = FuncValidator(module, declared)](u32 i) mutable {
      return funcs.Validate(module.num_imported_funcs + i);
    };
  });
}

}  // namespace deja::engine
