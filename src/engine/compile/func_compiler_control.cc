// FuncCompiler: blocks, branches, calls and returns, plus the emission and
// simulated-stack helpers they share.
#include <algorithm>

#include "engine/compile/func_compiler.h"
#include "engine/exec/interp.h"

namespace deja::engine {

u32 FuncCompiler::Emit(IOp op, std::initializer_list<u64> imms) {
  u32 start = static_cast<u32>(out_.code.size());
  // Instructions dropped by truncating the code (fusion) are dropped here.
  while (!out_.op_starts.empty() && out_.op_starts.back() >= start) out_.op_starts.pop_back();
  out_.op_starts.push_back(start);
  out_.code.push_back(HandlerWord(op));
  out_.code.insert(out_.code.end(), imms.begin(), imms.end());
  last_dst_word_ = SIZE_MAX;
  return start;
}

void FuncCompiler::EmitWithDst(IOp op, std::initializer_list<u64> imms) {
  u32 start = Emit(op, imms);
  last_dst_word_ = start + 1;
}

void FuncCompiler::BindFixup(const Fixup& f, u32 target) {
  out_.code[f.word] = static_cast<u64>(static_cast<i64>(target) - static_cast<i64>(f.start));
}

void FuncCompiler::BindLabel() { last_dst_word_ = SIZE_MAX; }

// Fuel is charged when a straight-line block is entered: at function entry,
// at loop headers (so every back-edge pays) and at labels reached by jumps.
void FuncCompiler::StartFuelBlock() {
  FinishFuelBlock();
  out_.fuel_ops.push_back(Emit(IOp::kFuel, {0}));
  pending_fuel_pc_ = out_.fuel_ops.back();
  fuel_word_ = out_.code.size() - 1;
  fuel_count_ = 0;
}

void FuncCompiler::AddResumePoint(ResumePoint::Kind kind, u32 pc, u32 wasm_offset, size_t height) {
  for (size_t i = 0; i < height; ++i) {
    const Entry& e = stack_[i];
    DeferredValue d;
    d.pos = static_cast<u32>(i);
    switch (e.where) {
      case Where::kSlot:
        continue;
      case Where::kLocal:
        d.where = DeferredValue::kLocal;
        d.base = e.local;
        break;
      case Where::kConst:
        d.where = DeferredValue::kConst;
        d.value = e.value;
        break;
      case Where::kAddend:
        d.where = DeferredValue::kAddend;
        d.base = e.local;
        d.value = e.value;
        break;
    }
    out_.deferred.push_back(d);
  }
  ResumePoint p;
  p.kind = kind;
  p.pc = pc;
  p.wasm_offset = wasm_offset;
  p.height = static_cast<u32>(height);
  p.deferred_end = static_cast<u32>(out_.deferred.size());
  out_.resume_points.push_back(p);
}

void FuncCompiler::DropResumePointsFrom(u32 pc) {
  if (pending_fuel_pc_ != UINT32_MAX && pending_fuel_pc_ >= pc) pending_fuel_pc_ = UINT32_MAX;
  // A call's point at exactly `pc` is its return address: the call ends
  // there and stays (`call; i32.eqz; br_if` keeps the call, fuses the rest).
  while (!out_.resume_points.empty() &&
         (out_.resume_points.back().pc > pc ||
          (out_.resume_points.back().pc == pc &&
           out_.resume_points.back().kind != ResumePoint::kCall))) {
    out_.resume_points.pop_back();
  }
  out_.deferred.resize(out_.resume_points.empty() ? 0 : out_.resume_points.back().deferred_end);
}

void FuncCompiler::FinishFuelBlock() {
  if (fuel_word_ != SIZE_MAX) out_.code[fuel_word_] = fuel_count_;
  fuel_word_ = SIZE_MAX;
}

void FuncCompiler::Push(Entry e) {
  stack_.push_back(e);
  max_height_ = std::max(max_height_, static_cast<u32>(stack_.size()));
  if (layout_variant_) Materialize(stack_.size() - 1);  // no deferred operands
}

void FuncCompiler::PushSlot() { Push({Where::kSlot, 0, 0}); }

void FuncCompiler::Pop(size_t n) { stack_.resize(stack_.size() - n); }

void FuncCompiler::EmitMove(const Entry& src, size_t src_pos, u32 dst_slot) {
  switch (src.where) {
    case Where::kConst:
      Emit(IOp::kConst, {dst_slot, src.value});
      break;
    case Where::kLocal:
      if (src.local != dst_slot) Emit(CopyOp(), {dst_slot, src.local});
      break;
    case Where::kSlot:
      if (SlotOf(src_pos) != dst_slot) Emit(CopyOp(), {dst_slot, SlotOf(src_pos)});
      break;
    case Where::kAddend:
      Emit(IOp::kI32Add_SI, {dst_slot, src.local, src.value});
      break;
  }
}

void FuncCompiler::Materialize(size_t pos) {
  Entry& e = stack_[pos];
  if (e.where == Where::kSlot) return;
  Entry copy = e;
  EmitMove(copy, pos, SlotOf(pos));
  stack_[pos] = Entry{};
}

void FuncCompiler::MaterializeAll() {
  for (size_t i = 0; i < stack_.size(); ++i) Materialize(i);
}

void FuncCompiler::MaterializeLocal(u32 local) {
  // The top entry is the value being stored; it is read before the store.
  for (size_t i = 0; i + 1 < stack_.size(); ++i) {
    const Entry& e = stack_[i];
    if ((e.where == Where::kLocal || e.where == Where::kAddend) && e.local == local) {
      Materialize(i);
    }
  }
}

u32 FuncCompiler::Operand(size_t pos) {
  Entry& e = stack_[pos];
  if (e.where == Where::kLocal) return e.local;
  Materialize(pos);
  return SlotOf(pos);
}

void FuncCompiler::BlockArity(const BlockType& bt, u32* params, u32* results) const {
  switch (bt.kind) {
    case BlockType::Kind::kEmpty:
      *params = *results = 0;
      return;
    case BlockType::Kind::kValue:
      *params = 0;
      *results = 1;
      return;
    case BlockType::Kind::kTypeIndex: {
      const FuncType& t = module_.types[bt.type_index];
      *params = static_cast<u32>(t.params.size());
      *results = static_cast<u32>(t.results.size());
      return;
    }
  }
}

bool FuncCompiler::MovesNeeded(const Ctrl& target) const {
  u32 n = target.label_arity();
  size_t first = stack_.size() - n;
  for (u32 i = 0; i < n; ++i) {
    const Entry& e = stack_[first + i];
    if (e.where != Where::kSlot || SlotOf(first + i) != SlotOf(target.height + i)) return true;
  }
  return false;
}

// Sources sit at or above their targets (or in locals / immediates), so
// copying in ascending order never overwrites a value still to be read.
void FuncCompiler::EmitBranchMoves(const Ctrl& target) {
  u32 n = target.label_arity();
  size_t first = stack_.size() - n;
  for (u32 i = 0; i < n; ++i) EmitMove(stack_[first + i], first + i, SlotOf(target.height + i));
}

// Emits `op` with `imms` followed by a branch offset to `target`'s label.
void FuncCompiler::EmitJumpTo(Ctrl& target, IOp op, std::initializer_list<u64> imms) {
  u32 start = Emit(op, imms);
  out_.code.push_back(0);
  Fixup f{static_cast<u32>(out_.code.size() - 1), start};
  if (target.kind == Opcode::kLoop) {
    BindFixup(f, target.loop_start);
  } else {
    target.fixups.push_back(f);
  }
}

// `cmp; br_if` becomes one BrIf<cmp>, `cmp; if` one BrUnless<cmp>, and
// i32.eqz flips BrIf/BrUnless, when the condition is the last op's result.
bool FuncCompiler::FusableCond(FusedCond* out) const {
  size_t start = last_generic_start_;
  if (start == SIZE_MAX || last_dst_word_ != start + 1) return false;
  if (stack_.back().where != Where::kSlot || out_.code[start + 1] != SlotOf(Top())) return false;
  if (last_generic_.kind == OpVariants::Kind::kCompare) {
    *out = FusedCond{start,
                     out_.code[start + 2],
                     out_.code[start + 3],
                     true,
                     last_generic_.FusedBrIf(last_generic_imm_),
                     last_generic_.FusedBrUnless(last_generic_imm_)};
    return true;
  }
  if (last_generic_.first == IOp::kI32Eqz_S) {
    *out = FusedCond{start, out_.code[start + 2], 0, false, IOp::kBrUnless, IOp::kBrIf};
    return true;
  }
  return false;
}

void FuncCompiler::DropFusedCond(const FusedCond& c) {
  Pop(1);
  out_.code.resize(c.start);
  while (!out_.offsets.empty() && out_.offsets.back().first > c.start) out_.offsets.pop_back();
  while (!out_.fuel_ops.empty() && out_.fuel_ops.back() >= c.start) out_.fuel_ops.pop_back();
  DropResumePointsFrom(static_cast<u32>(c.start));
  last_generic_start_ = SIZE_MAX;
  last_dst_word_ = SIZE_MAX;
}

// Emits the fused branch; its offset goes to `target`'s label or, without
// a target, is returned in `fixup` for the caller to bind.
void FuncCompiler::EmitFused(const FusedCond& c, bool when_true, Ctrl* target, Fixup* fixup) {
  IOp op = when_true ? c.if_true : c.if_false;
  if (target != nullptr) {
    if (c.has_b) {
      EmitJumpTo(*target, op, {c.a, c.b});
    } else {
      EmitJumpTo(*target, op, {c.a});
    }
    return;
  }
  u32 start = c.has_b ? Emit(op, {c.a, c.b, 0}) : Emit(op, {c.a, 0});
  *fixup = Fixup{static_cast<u32>(out_.code.size() - 1), start};
}

void FuncCompiler::EmitReturn() {
  u32 n = out_.num_results;
  size_t first = stack_.size() - n;
  if (n == 0) {
    Emit(IOp::kReturn, {});
    return;
  }
  if (n == 1) {
    const Entry& e = stack_[first];
    if (e.where == Where::kConst) {
      Emit(IOp::kReturn1I, {e.value});
    } else if (e.where == Where::kLocal) {
      Emit(wide_ ? IOp::kReturn1V : IOp::kReturn1, {e.local});
    } else {
      Materialize(first);  // a kAddend is computed into its slot
      Emit(wide_ ? IOp::kReturn1V : IOp::kReturn1, {SlotOf(first)});
    }
    return;
  }
  // Results go to slots 0..n, which may hold locals still to be read.
  for (u32 i = 0; i < n; ++i) {
    const Entry& e = stack_[first + i];
    if ((e.where == Where::kLocal || e.where == Where::kAddend) && e.local < n) {
      Materialize(first + i);
    }
  }
  for (u32 i = 0; i < n; ++i) EmitMove(stack_[first + i], first + i, i);
  Emit(IOp::kReturn, {});
}

Status FuncCompiler::StepControl(const Instr& in) {
  switch (in.op) {
    case Opcode::kUnreachable:
      Emit(IOp::kUnreachable, {});
      unreachable_ = true;
      return Status();
    case Opcode::kBlock:
    case Opcode::kLoop:
    case Opcode::kIf:
      BeginBlock(in);
      return Status();
    case Opcode::kElse:
      BeginElse();
      return Status();
    case Opcode::kEnd:
      EndBlock();
      return Status();
    case Opcode::kBr:
      if (in.index + 1 == ctrls_.size()) {
        EmitReturn();
      } else {
        Ctrl& target = Label(in.index);
        EmitBranchMoves(target);
        EmitJumpTo(target, IOp::kBr, {});
      }
      unreachable_ = true;
      return Status();
    case Opcode::kBrIf:
      BrIf(in.index);
      return Status();
    case Opcode::kBrTable:
      BrTable(in.targets);
      unreachable_ = true;
      return Status();
    case Opcode::kReturn:
      EmitReturn();
      unreachable_ = true;
      return Status();
    case Opcode::kCall:
    case Opcode::kCallIndirect:
      CallOp(in);
      return Status();
    case Opcode::kReturnCall:
    case Opcode::kReturnCallIndirect:
      CallOp(in);
      // Reached only when the callee was a host function (a Wasm callee
      // replaced this frame): its results, now on the stack, are returned.
      EmitReturn();
      unreachable_ = true;
      return Status();
    default:
      return Error(in.offset, std::string("cannot compile ") + OpcodeName(in.op));
  }
}

void FuncCompiler::BeginBlock(const Instr& in) {
  Ctrl c;
  c.kind = in.op;
  c.active = ctrls_.back().active;
  BlockArity(in.block_type, &c.num_params, &c.num_results);
  u32 cond = 0;
  FusedCond fused;
  bool is_fused = false;
  if (in.op == Opcode::kIf) {
    is_fused = FusableCond(&fused);
    if (is_fused) {
      DropFusedCond(fused);  // its operands are not overwritten below
    } else {
      cond = Operand(Top());
      Pop(1);
    }
  }
  MaterializeAll();
  c.height = static_cast<u32>(stack_.size()) - c.num_params;
  if (in.op == Opcode::kLoop) {
    BindLabel();
    StartFuelBlock();
    c.loop_start = static_cast<u32>(fuel_word_ - 1);
  } else if (in.op == Opcode::kIf) {
    c.has_else_fixup = true;
    if (is_fused) {
      EmitFused(fused, false, nullptr, &c.else_fixup);
    } else {
      u32 start = Emit(IOp::kBrUnless, {cond, 0});
      c.else_fixup = Fixup{start + 2, start};
    }
  }
  ctrls_.push_back(std::move(c));
}

void FuncCompiler::BeginElse() {
  Ctrl& c = ctrls_.back();
  if (!unreachable_) {
    for (u32 i = 0; i < c.num_results; ++i) Materialize(c.height + i);
    EmitJumpTo(c, IOp::kBr, {});
  }
  BindLabel();
  BindFixup(c.else_fixup, static_cast<u32>(out_.code.size()));
  c.has_else_fixup = false;
  c.kind = Opcode::kElse;
  StartFuelBlock();
  stack_.resize(c.height);
  for (u32 i = 0; i < c.num_params; ++i) PushSlot();
  unreachable_ = false;
}

void FuncCompiler::BrIf(u32 depth) {
  FusedCond fused;
  if (FusableCond(&fused)) {
    Pop(1);
    bool fusable = !MovesNeeded(Label(depth));
    PushSlot();
    if (fusable) {
      DropFusedCond(fused);
      EmitFused(fused, true, &Label(depth), nullptr);
      return;
    }
  }
  u32 cond = Operand(Top());
  Pop(1);
  Ctrl& target = Label(depth);
  if (!MovesNeeded(target)) {
    EmitJumpTo(target, IOp::kBrIf, {cond});
    return;
  }
  // Moves happen only on the taken path: the fall-through keeps its values.
  u32 skip = Emit(IOp::kBrUnless, {cond, 0});
  EmitBranchMoves(target);
  EmitJumpTo(target, IOp::kBr, {});
  BindLabel();
  BindFixup(Fixup{skip + 2, skip}, static_cast<u32>(out_.code.size()));
}

void FuncCompiler::BrTable(std::span<const u32> targets) {
  std::vector<u32> depths(targets.begin(), targets.end());
  u32 index = Operand(Top());
  Pop(1);
  u32 start = Emit(IOp::kBrTable, {index, depths.size() - 1});
  size_t table = out_.code.size();
  out_.code.resize(table + depths.size(), 0);
  for (size_t i = 0; i < depths.size(); ++i) {
    Ctrl& target = Label(depths[i]);
    Fixup f{static_cast<u32>(table + i), start};
    if (!MovesNeeded(target)) {
      if (target.kind == Opcode::kLoop) {
        BindFixup(f, target.loop_start);
      } else {
        target.fixups.push_back(f);
      }
      continue;
    }
    BindFixup(f, static_cast<u32>(out_.code.size()));  // a stub: moves, then jump
    EmitBranchMoves(target);
    EmitJumpTo(target, IOp::kBr, {});
  }
}

// Arguments are materialized in consecutive slots, which become the start
// of the callee's frame; results come back in the same place. A tail call
// (return_call*) emits the same operands: the interpreter moves the
// arguments down to the frame's base and replaces the frame instead.
void FuncCompiler::CallOp(const Instr& in) {
  bool indirect = in.op == Opcode::kCallIndirect || in.op == Opcode::kReturnCallIndirect;
  bool tail = in.op == Opcode::kReturnCall || in.op == Opcode::kReturnCallIndirect;
  const FuncType& t = indirect ? module_.types[in.index] : module_.func_type(in.index);
  u32 index_slot = indirect ? Operand(Top()) : 0;
  if (indirect) Pop(1);
  size_t first = stack_.size() - t.params.size();
  for (size_t i = first; i < stack_.size(); ++i) Materialize(i);
  u32 base = SlotOf(first);
  if (indirect) {
    Emit(tail ? IOp::kReturnCallIndirect : IOp::kCallIndirect,
         {in.index, in.index2, base, index_slot});
  } else {
    Emit(tail ? IOp::kReturnCall : IOp::kCall, {in.index, base});
  }
  AddResumePoint(ResumePoint::kCall, static_cast<u32>(out_.code.size()),
                 in.offset - func_.body_offset, first);
  Pop(t.params.size());
  for (size_t i = 0; i < t.results.size(); ++i) PushSlot();
}

void FuncCompiler::EndBlock() {
  if (IsTry(ctrls_.back().kind)) FinishTry(ctrls_.back());
  Ctrl c = std::move(ctrls_.back());
  ctrls_.pop_back();
  bool falls_through = !unreachable_;
  if (falls_through) {
    for (u32 i = 0; i < c.num_results; ++i) Materialize(c.height + i);
  }
  bool jumped_to = !c.fixups.empty() || c.has_else_fixup;
  if (c.kind != Opcode::kLoop) {
    BindLabel();
    u32 here = static_cast<u32>(out_.code.size());
    for (const Fixup& f : c.fixups) BindFixup(f, here);
    if (c.has_else_fixup) BindFixup(c.else_fixup, here);
  } else {
    jumped_to = false;
  }
  if (jumped_to) StartFuelBlock();
  stack_.resize(c.height);
  for (u32 i = 0; i < c.num_results; ++i) PushSlot();
  unreachable_ = !(falls_through || jumped_to);
  // The function's end: branches to its label return.
  if (ctrls_.empty() && !unreachable_) EmitReturn();
}

}  // namespace deja::engine
