// Store::Instantiate, per the WebAssembly 2.0 spec: match imports, allocate
// functions, tables, memories, globals and segment instances, apply active
// segments in order, then run the start function.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "base/hex.h"
#include "deja/store.h"
#include "engine/compile/code.h"
#include "engine/exec/thread.h"
#include "engine/runtime/objects.h"
#include "engine/runtime/store_impl.h"
#include "engine/validate/const_expr.h"

namespace deja {

namespace {

using engine::ConstExpr;
using engine::Import;
using engine::InstanceInst;
using engine::StoreImpl;

std::string LimitsText(const Limits& l) {
  std::string s = "{min " + std::to_string(l.min);
  if (l.max) s += ", max " + std::to_string(*l.max);
  return s + "}";
}

Status Incompatible(const Import& im, const std::string& why) {
  return Status::Unlinkable("incompatible import type for \"" + im.module + "\" \"" + im.name +
                            "\": " + why);
}

Status CheckImport(const StoreImpl& s, const engine::Module& m, const Import& im, Extern ext) {
  if (ext.kind != im.kind) {
    return Incompatible(im, std::string("expected a ") + ExternKindName(im.kind) + ", got a " +
                                ExternKindName(ext.kind));
  }
  size_t count = ext.kind == ExternKind::kFunc     ? s.funcs.size()
                 : ext.kind == ExternKind::kTable  ? s.tables.size()
                 : ext.kind == ExternKind::kMemory ? s.memories.size()
                 : ext.kind == ExternKind::kTag    ? s.tags.size()
                                                   : s.globals.size();
  if (ext.addr >= count) return Incompatible(im, "no such object in the store");
  switch (ext.kind) {
    case ExternKind::kFunc: {
      const FuncType& want = m.types[im.func_type];
      const FuncType& got = s.func_type(ext.addr);
      if (want != got) return Incompatible(im, "expected " + want.ToString() + ", got " + got.ToString());
      return Status();
    }
    case ExternKind::kTable: {
      const engine::TableInst& t = *s.tables[ext.addr];
      Limits actual{t.elems.size(), t.type.limits.max};
      if (t.type.elem != im.table.elem) {
        return Incompatible(im, std::string("expected ") + ValTypeName(im.table.elem) +
                                    " elements, got " + ValTypeName(t.type.elem));
      }
      if (!engine::LimitsMatch(actual, im.table.limits)) {
        return Incompatible(im, "table limits " + LimitsText(actual) + " do not fit " +
                                    LimitsText(im.table.limits));
      }
      return Status();
    }
    case ExternKind::kMemory: {
      const engine::MemoryInst& mem = *s.memories[ext.addr];
      Limits actual{mem.size / engine::kWasmPageSize, mem.type.limits.max};
      if (!engine::LimitsMatch(actual, im.memory.limits)) {
        return Incompatible(im, "memory limits " + LimitsText(actual) + " do not fit " +
                                    LimitsText(im.memory.limits));
      }
      return Status();
    }
    case ExternKind::kGlobal: {
      const GlobalType& got = s.globals[ext.addr]->type;
      if (got != im.global) {
        auto text = [](const GlobalType& g) {
          return std::string(g.mut ? "mut " : "") + ValTypeName(g.type);
        };
        return Incompatible(im, "expected global " + text(im.global) + ", got " + text(got));
      }
      return Status();
    }
    case ExternKind::kTag: {
      const FuncType& want = m.types[im.tag_type];
      const FuncType& got = s.types[s.tags[ext.addr].type_id];
      if (want != got) {
        return Incompatible(im, "expected tag " + want.ToString() + ", got tag " + got.ToString());
      }
      return Status();
    }
  }
  return Status();
}

// The value of one constant instruction; add/sub/mul (extended-const) are
// applied by EvalConst.
Result<u64> ConstValue(const StoreImpl& s, const InstanceInst& inst, const engine::Instr& in) {
  switch (in.op) {
    case engine::Opcode::kI32Const:
    case engine::Opcode::kF32Const: return in.value & 0xffffffffu;
    case engine::Opcode::kI64Const:
    case engine::Opcode::kF64Const: return in.value;
    case engine::Opcode::kV128Const: return in.value;  // the low half; ConstHigh the rest
    case engine::Opcode::kRefNull: return kNullRef;
    case engine::Opcode::kRefFunc: return u64{inst.funcs[in.index]} + 1;
    case engine::Opcode::kGlobalGet: return s.globals[inst.globals[in.index]]->lo;
    default: break;
  }
  return Status::Internal("offset " + Hex(in.offset) + ": unsupported constant instruction " +
                          engine::OpcodeName(in.op));
}

// Constant expressions: the validator has checked the form and the types, so
// every add/sub/mul finds two operands. i32 results wrap to 32 bits, as the
// slots hold i32 zero-extended.
Result<u64> EvalConst(const StoreImpl& s, const InstanceInst& inst, const ConstExpr& e) {
  std::vector<u64> stack;
  for (const engine::Instr& in : e.instrs) {
    using engine::Opcode;
    bool wide = in.op == Opcode::kI64Add || in.op == Opcode::kI64Sub || in.op == Opcode::kI64Mul;
    if (engine::IsExtendedConstInstr(in)) {
      if (stack.size() < 2) break;
      u64 b = stack.back();
      stack.pop_back();
      u64 a = stack.back();
      u64 r = in.op == Opcode::kI32Add || in.op == Opcode::kI64Add   ? a + b
              : in.op == Opcode::kI32Sub || in.op == Opcode::kI64Sub ? a - b
                                                                     : a * b;
      stack.back() = wide ? r : (r & 0xffffffffu);
      continue;
    }
    DEJA_ASSIGN_OR_RETURN(u64 v, ConstValue(s, inst, in));
    stack.push_back(v);
  }
  if (stack.size() != 1) {
    return Status::Internal("offset " + Hex(e.offset) + ": unsupported constant expression");
  }
  return stack[0];
}

// The high half of a v128 constant expression's value; 0 for other types.
u64 ConstHigh(const StoreImpl& s, const InstanceInst& inst, const ConstExpr& e) {
  if (e.instrs.size() != 1) return 0;
  const engine::Instr& in = e.instrs[0];
  if (in.op == engine::Opcode::kV128Const) return in.value2;
  if (in.op == engine::Opcode::kGlobalGet) return s.globals[inst.globals[in.index]]->hi;
  return 0;
}

// Creates the module's own tables and memories; nothing is added to the store
// unless all of them can be made.
Status AllocateTablesAndMemories(StoreImpl& s, const engine::Module& m, InstanceInst* inst) {
  std::vector<std::unique_ptr<engine::TableInst>> tables;
  std::vector<std::unique_ptr<engine::MemoryInst>> memories;
  DEJA_TRY(engine::CheckObjectCounts(s, 1, m.tables.size() - m.num_imported_tables,
                                     m.memories.size() - m.num_imported_memories));
  // Tables that fail or are discarded below give their elements back to the
  // store's budget when destroyed.
  for (size_t i = m.num_imported_tables; i < m.tables.size(); ++i) {
    auto t = engine::NewTable(m.tables[i], kNullRef, s.limits, &s.table_budget);
    if (!t.ok()) return t.status().WithContext("table " + std::to_string(i));
    tables.push_back(std::move(t).value());
  }
  for (size_t i = m.num_imported_memories; i < m.memories.size(); ++i) {
    auto mem = engine::NewMemory(m.memories[i], s.limits);
    if (!mem.ok()) return mem.status().WithContext("memory " + std::to_string(i));
    memories.push_back(std::move(mem).value());
  }
  for (auto& t : tables) {
    inst->tables.push_back(static_cast<u32>(s.tables.size()));
    s.tables.push_back(std::move(t));
  }
  for (auto& mem : memories) {
    inst->memories.push_back(static_cast<u32>(s.memories.size()));
    s.memories.push_back(std::move(mem));
  }
  return Status();
}

void AllocateFunctions(StoreImpl& s, const engine::CompiledModule& cm, u32 instance_id,
                       InstanceInst* inst) {
  const engine::Module& m = cm.module;
  for (size_t i = m.num_imported_tags; i < m.tags.size(); ++i) {
    engine::TagInst t;
    t.type_id = s.InternType(m.types[m.tags[i]]);
    t.instance = instance_id;
    t.tag_index = static_cast<u32>(i);
    inst->tags.push_back(static_cast<u32>(s.tags.size()));
    s.tags.push_back(t);
  }
  for (size_t i = 0; i < m.code.size(); ++i) {
    engine::FuncInst f;
    f.type_id = s.InternType(m.types[m.code[i].type]);
    f.instance = instance_id;
    f.func_index = m.num_imported_funcs + static_cast<u32>(i);
    f.code = &cm.funcs[i];
    inst->funcs.push_back(static_cast<u32>(s.funcs.size()));
    s.funcs.push_back(std::move(f));
  }
}

Status AllocateGlobalsAndSegments(StoreImpl& s, const engine::Module& m, InstanceInst* inst) {
  for (const engine::Global& g : m.global_defs) {
    DEJA_ASSIGN_OR_RETURN(u64 value, EvalConst(s, *inst, g.init));
    auto gi = std::make_unique<engine::GlobalInst>();
    gi->type = g.type;
    gi->lo = value;
    gi->hi = ConstHigh(s, *inst, g.init);
    inst->globals.push_back(static_cast<u32>(s.globals.size()));
    s.globals.push_back(std::move(gi));
  }
  for (const engine::ElemSegment& seg : m.elems) {
    engine::ElemInst e;
    e.type = seg.type;
    for (const ConstExpr& expr : seg.init) {
      DEJA_ASSIGN_OR_RETURN(u64 ref, EvalConst(s, *inst, expr));
      e.refs.push_back(ref);
    }
    inst->elems.push_back(std::move(e));
  }
  for (const engine::DataSegment& seg : m.datas) inst->datas.push_back({seg.bytes});
  return Status();
}

void AddExports(const engine::Module& m, InstanceInst* inst) {
  for (const engine::Export& e : m.exports) {
    const std::vector<u32>& space = e.kind == ExternKind::kFunc     ? inst->funcs
                                    : e.kind == ExternKind::kTable  ? inst->tables
                                    : e.kind == ExternKind::kMemory ? inst->memories
                                    : e.kind == ExternKind::kTag    ? inst->tags
                                                                    : inst->globals;
    inst->exports.push_back({e.name, Extern{e.kind, space[e.index]}});
  }
}

// table.init / memory.init of every active segment, then the drops. A segment
// out of bounds traps; the effects of earlier segments stay (spec 2.0).
Status ApplySegments(StoreImpl& s, u32 instance_id) {
  InstanceInst& inst = s.instances[instance_id];
  const engine::Module& m = inst.module->module;
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const engine::ElemSegment& seg = m.elems[i];
    engine::ElemInst& e = inst.elems[i];
    if (seg.mode == engine::SegmentMode::kPassive) continue;
    if (seg.mode == engine::SegmentMode::kActive) {
      DEJA_ASSIGN_OR_RETURN(u64 offset, EvalConst(s, inst, seg.offset));
      engine::TableInst& t = *s.tables[inst.tables[seg.table]];
      if (offset + e.refs.size() > t.elems.size()) {
        return Status::Uninstantiable("out of bounds table access (elem segment " +
                                      std::to_string(i) + " at offset " + Hex(seg.byte_offset) +
                                      ")");
      }
      std::copy(e.refs.begin(), e.refs.end(), t.elems.begin() + static_cast<i64>(offset));
    }
    e.refs.clear();
  }
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const engine::DataSegment& seg = m.datas[i];
    if (seg.mode != engine::SegmentMode::kActive) continue;
    engine::DataInst& d = inst.datas[i];
    DEJA_ASSIGN_OR_RETURN(u64 offset, EvalConst(s, inst, seg.offset));
    engine::MemoryInst& mem = *s.memories[inst.memories[seg.memory]];
    if (offset + d.bytes.size() > mem.size) {
      return Status::Uninstantiable("out of bounds memory access (data segment " +
                                    std::to_string(i) + " at offset " + Hex(seg.byte_offset) +
                                    ")");
    }
    if (!d.bytes.empty()) std::memcpy(mem.base + offset, d.bytes.data(), d.bytes.size());
    d.bytes = {};
  }
  return Status();
}

Status RunStart(StoreImpl& s, u32 func_addr) {
  s.api_trap.reset();
  s.call_func = func_addr;
  Outcome outcome = s.thread->Invoke(func_addr, {});
  // A suspended start function is left for the embedder to Resume.
  if (outcome == Outcome::kSuspended) return Status();
  s.call_func = StoreImpl::kNoFunc;
  if (outcome == Outcome::kTrapped) {
    const Trap& trap = s.thread->trap();
    return Status::Uninstantiable(trap.message.empty() ? TrapKindMessage(trap.kind) : trap.message);
  }
  if (outcome == Outcome::kExited) {
    return Status::Uninstantiable("start function exited with code " +
                                  std::to_string(s.thread->exit_code()));
  }
  return Status();
}

}  // namespace

Result<InstanceId> Store::Instantiate(const Module& module, std::span<const Extern> imports) {
  StoreImpl& s = *impl_;
  const std::shared_ptr<const engine::CompiledModule>& cm = module.impl();
  const engine::Module& m = cm->module;
  if (imports.size() != m.imports.size()) {
    return Status::Unlinkable("module has " + std::to_string(m.imports.size()) +
                              " imports, but " + std::to_string(imports.size()) + " were given");
  }
  for (size_t i = 0; i < imports.size(); ++i) DEJA_TRY(CheckImport(s, m, m.imports[i], imports[i]));
  if (m.start && s.thread->suspended()) {
    return Status::InvalidArgument("cannot run a start function while a call is suspended");
  }

  InstanceInst inst;
  inst.module = cm;
  for (size_t i = 0; i < imports.size(); ++i) {
    std::vector<u32>* space = imports[i].kind == ExternKind::kFunc    ? &inst.funcs
                              : imports[i].kind == ExternKind::kTable ? &inst.tables
                              : imports[i].kind == ExternKind::kMemory ? &inst.memories
                              : imports[i].kind == ExternKind::kTag    ? &inst.tags
                                                                       : &inst.globals;
    space->push_back(imports[i].addr);
  }
  Status st = AllocateTablesAndMemories(s, m, &inst);
  if (!st.ok()) return Status::Uninstantiable(std::string(st.message()));
  u32 instance_id = static_cast<u32>(s.instances.size());
  AllocateFunctions(s, *cm, instance_id, &inst);
  // From here on the instance lives in the store even if instantiation fails:
  // its functions are in the store, and tables it wrote to may hold them.
  st = AllocateGlobalsAndSegments(s, m, &inst);
  if (st.ok()) AddExports(m, &inst);
  s.instances.push_back(std::move(inst));
  DEJA_TRY(st);
  DEJA_TRY(ApplySegments(s, instance_id));
  if (m.start) DEJA_TRY(RunStart(s, s.instances[instance_id].funcs[*m.start]));
  return instance_id;
}

}  // namespace deja
