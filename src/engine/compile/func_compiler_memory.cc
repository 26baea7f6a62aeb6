// FuncCompiler: loads, stores and the address arithmetic folded into them,
// and the other memory and table operators.
#include <bit>
#include <string>

#include "engine/compile/func_compiler.h"
#include "engine/exec/interp.h"
#include "engine/memory_access.h"

namespace deja::engine {

// `x + c` and `x - c` on i32, where x is a local, a value in its own slot or
// already such a sum, become a deferred kAddend entry instead of an add:
// a load or store takes it as its address for free (the _A variants), and
// anything else materializes it as the I32Add_SI it would have been. Wasm
// code computes nearly every address this way (`base + 8`, `p - 4`).
bool FuncCompiler::DeferAddend(Opcode op) {
  if (op != Opcode::kI32Add && op != Opcode::kI32Sub) return false;
  size_t a = stack_.size() - 2, b = stack_.size() - 1;
  Entry x = stack_[a], c = stack_[b];
  if (op == Opcode::kI32Add && (x.where == Where::kAddend) != (c.where == Where::kAddend) &&
      x.where != Where::kConst && c.where != Where::kConst) {
    // `(p + k) + q` is `(p + q) + k` modulo 2^32: add the two values and keep
    // k pending, so `base + k + (i << 3)` still folds k into a load.
    const Entry& sum = x.where == Where::kAddend ? x : c;
    u32 k = static_cast<u32>(sum.value);
    u32 p = sum.local;
    u32 q = x.where == Where::kAddend ? Operand(b) : Operand(a);
    EmitWithDst(IOp::kI32Add_SS, {SlotOf(a), p, q});
    Pop(2);
    Push({Where::kAddend, SlotOf(a), k});
    return true;
  }
  if (c.where != Where::kConst) {
    // `c + local`: the local is the base (a slot base would sit above the
    // result's position, where the next push overwrites it).
    if (op != Opcode::kI32Add || x.where != Where::kConst || c.where != Where::kLocal) {
      return false;
    }
    std::swap(x, c);
  }
  u32 k = static_cast<u32>(c.value);
  if (op == Opcode::kI32Sub) k = 0u - k;
  Entry sum{Where::kAddend, 0, k};
  switch (x.where) {
    case Where::kLocal:
      sum.local = x.local;
      break;
    case Where::kSlot:
      sum.local = SlotOf(a);
      break;
    case Where::kAddend:
      sum.local = x.local;
      sum.value = static_cast<u32>(x.value + k);
      break;
    case Where::kConst:
      return false;  // constant folding is not done here
  }
  Pop(2);
  Push(sum);
  return true;
}

// `load; store` where the store's value is the load's fresh result (not
// kept anywhere else) and both move the same number of bytes: one Move op
// copies them (the value's bits survive any extension and narrowing in
// between). wasi-libc's memcpy/memmove loops are made of these pairs.
bool FuncCompiler::FuseMove(const Instr& store) {
  size_t start = last_load_start_;
  if (start == SIZE_MAX || last_dst_word_ != start + 1) return false;
  size_t a = stack_.size() - 2;
  const Entry& addr = stack_[a];
  const Entry& value = stack_[a + 1];
  if (value.where != Where::kSlot || out_.code[start + 1] != SlotOf(a + 1)) return false;
  if (addr.where == Where::kConst || AccessBytes(store.op) != last_load_width_) return false;
  // The load: [h, dst, base, offset] or [h, dst, base, offset, addend].
  bool load_addend = out_.code.size() - start == 5;
  u64 src_base = out_.code[start + 2], src_offset = out_.code[start + 3];
  u64 src_addend = load_addend ? out_.code[start + 4] : 0;
  u32 dst_base = addr.where == Where::kAddend ? addr.local : Operand(a);
  u64 dst_addend = addr.where == Where::kAddend ? addr.value : 0;
  static constexpr IOp kMoves[] = {IOp::kMove1, IOp::kMove2, IOp::kMove4, IOp::kMove8};
  IOp op = kMoves[std::countr_zero(last_load_width_)];
  out_.code.resize(start);
  while (!out_.offsets.empty() && out_.offsets.back().first > start) out_.offsets.pop_back();
  Emit(op, {dst_base, src_base, src_offset, src_addend, store.value, dst_addend});
  // pc + 1 is where a store that is out of bounds traps (ops/memory.inc).
  out_.offsets.emplace_back(static_cast<u32>(start + 1), store.offset);
  last_load_start_ = SIZE_MAX;
  Pop(2);
  return true;
}

// `x; f64.load; f64.mul` (and the other float operators, f32 alike): the
// load becomes the operator's _SM variant, which reads its second operand
// from memory. The load must be the last op and its value used only here;
// the fused op sits where the load was, so a trap maps to the load's offset.
bool FuncCompiler::FuseLoadOperand(const Instr& in, const OpVariants& v) {
  size_t start = last_load_start_;
  if (start == SIZE_MAX || last_dst_word_ != start + 1) return false;
  size_t a = stack_.size() - 2, b = stack_.size() - 1;
  if (stack_[b].where != Where::kSlot || out_.code[start + 1] != SlotOf(b)) return false;
  if (stack_[a].where != Where::kSlot && stack_[a].where != Where::kLocal) return false;
  bool f64 = in.op == Opcode::kF64Add || in.op == Opcode::kF64Sub || in.op == Opcode::kF64Mul ||
             in.op == Opcode::kF64Div || in.op == Opcode::kF64Min || in.op == Opcode::kF64Max;
  if (last_load_op_ != (f64 ? Opcode::kF64Load : Opcode::kF32Load)) return false;
  bool load_addend = out_.code.size() - start == 5;
  u64 base = out_.code[start + 2], offset = out_.code[start + 3];
  u64 addend = load_addend ? out_.code[start + 4] : 0;
  out_.code.resize(start);
  while (!out_.offsets.empty() && out_.offsets.back().first > start) out_.offsets.pop_back();
  u32 sa = Operand(a);
  EmitWithDst(v.MemOperand(canonical_nans_), {SlotOf(a), sa, base, offset, addend});
  last_load_start_ = SIZE_MAX;
  last_generic_start_ = SIZE_MAX;
  Pop(2);
  PushSlot();
  return true;
}

// Load: [h, dst, addr, offset] or _A [h, dst, base, offset, addend]; store:
// [h, addr, value, offset] or _A [h, base, value, offset, addend].
void FuncCompiler::StepMemAccess(const Instr& in, const OpVariants& v) {
  bool load = v.kind == OpVariants::Kind::kLoad;
  size_t a = load ? Top() : stack_.size() - 2;
  const Entry addr = stack_[a];
  bool addend = addr.where == Where::kAddend;
  u32 sa = addend ? addr.local : Operand(a);
  if (!load && FuseMove(in)) return;
  if (load) {
    last_load_start_ = out_.code.size();
    last_load_width_ = AccessBytes(in.op);
    last_load_op_ = in.op;
    if (addend) {
      EmitWithDst(v.Access(true), {SlotOf(a), sa, in.value, addr.value});
    } else {
      EmitWithDst(v.Access(false), {SlotOf(a), sa, in.value});
    }
    Pop(1);
    PushSlot();
    return;
  }
  u32 sv = Operand(a + 1);
  if (addend) {
    Emit(v.Access(true), {sa, sv, in.value, addr.value});
  } else {
    Emit(v.Access(false), {sa, sv, in.value});
  }
  Pop(2);
}

Status FuncCompiler::StepMemoryOrTable(const Instr& in) {
  size_t h = stack_.size();
  switch (in.op) {
    case Opcode::kMemorySize:
      EmitWithDst(IOp::kMemorySize, {SlotOf(h)});
      PushSlot();
      return Status();
    case Opcode::kMemoryGrow:
      EmitWithDst(IOp::kMemoryGrow, {SlotOf(h - 1), Operand(h - 1)});
      Pop(1);
      PushSlot();
      return Status();
    case Opcode::kTableGet:
      EmitWithDst(IOp::kTableGet, {SlotOf(h - 1), Operand(h - 1), in.index});
      Pop(1);
      PushSlot();
      return Status();
    case Opcode::kTableSet:
      Emit(IOp::kTableSet, {Operand(h - 2), Operand(h - 1), in.index});
      Pop(2);
      return Status();
    case Opcode::kTableSize:
      EmitWithDst(IOp::kTableSize, {SlotOf(h), in.index});
      PushSlot();
      return Status();
    case Opcode::kTableGrow:
      EmitWithDst(IOp::kTableGrow, {SlotOf(h - 2), Operand(h - 2), Operand(h - 1), in.index});
      Pop(2);
      PushSlot();
      return Status();
    case Opcode::kDataDrop:
      Emit(IOp::kDataDrop, {in.index});
      return Status();
    case Opcode::kElemDrop:
      Emit(IOp::kElemDrop, {in.index});
      return Status();
    default:
      break;
  }
  // The three-operand bulk operations.
  u32 a = Operand(h - 3), b = Operand(h - 2), c = Operand(h - 1);
  switch (in.op) {
    case Opcode::kMemoryFill:
      Emit(IOp::kMemoryFill, {a, b, c});
      break;
    case Opcode::kMemoryCopy:
      Emit(IOp::kMemoryCopy, {a, b, c});
      break;
    case Opcode::kMemoryInit:
      Emit(IOp::kMemoryInit, {a, b, c, in.index});
      break;
    case Opcode::kTableFill:
      Emit(IOp::kTableFill, {a, b, c, in.index});
      break;
    case Opcode::kTableCopy:
      Emit(IOp::kTableCopy, {a, b, c, in.index, in.index2});
      break;
    case Opcode::kTableInit:
      Emit(IOp::kTableInit, {a, b, c, in.index, in.index2});
      break;
    default:
      return Error(in.offset, std::string("cannot compile ") + OpcodeName(in.op));
  }
  Pop(3);
  return Status();
}

}  // namespace deja::engine
