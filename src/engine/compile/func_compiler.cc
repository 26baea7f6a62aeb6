#include "engine/compile/func_compiler.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/compile/func_compiler_simd.h"
#include "engine/exec/interp.h"
#include "engine/simd/simd_info.h"

namespace deja::engine {

FuncCompiler::FuncCompiler(const Module& module, u32 func_index, const CompileOptions& options)
    : module_(module),
      func_index_(func_index),
      func_(module.code[func_index - module.num_imported_funcs]),
      type_(module.func_type(func_index)),
      canonical_nans_(options.canonicalize_nans),
      layout_variant_(options.test_layout_variant != 0),
      wide_(TouchesV128(module, func_, type_)) {}

namespace {

// Integer operators whose operands may swap, so a constant first operand
// can still be an immediate. (Float ones are left alone: which NaN operand
// propagates depends on the order.)
bool IsCommutative(Opcode op) {
  switch (op) {
    case Opcode::kI32Add:
    case Opcode::kI32Mul:
    case Opcode::kI32And:
    case Opcode::kI32Or:
    case Opcode::kI32Xor:
    case Opcode::kI32Eq:
    case Opcode::kI32Ne:
    case Opcode::kI64Add:
    case Opcode::kI64Mul:
    case Opcode::kI64And:
    case Opcode::kI64Or:
    case Opcode::kI64Xor:
    case Opcode::kI64Eq:
    case Opcode::kI64Ne:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string FuncCompiler::Where(u32 offset) const {
  char where[64];
  std::snprintf(where, sizeof where, "func %u offset 0x%x: ", func_index_, offset);
  return where;
}

Status FuncCompiler::Error(u32 offset, const std::string& reason) const {
  return Status::Internal(Where(offset) + reason);
}

Result<CompiledFunc> FuncCompiler::Compile() {
  u64 total = type_.params.size() + func_.num_locals;
  if (total > (1u << 24)) {
    return Status::ResourceExhausted(Where(func_.body_offset) + "too many locals");
  }
  num_locals_total_ = static_cast<u32>(total);
  u32 try_depth = func_.try_depth;
  if (try_depth == kTryDepthUnknown) DEJA_TRY(CountTryDepth(&try_depth));
  out_.num_exn_slots = try_depth;
  stack_base_ = num_locals_total_ + try_depth;
  out_.num_params = static_cast<u32>(type_.params.size());
  out_.num_results = static_cast<u32>(type_.results.size());
  out_.num_locals = static_cast<u32>(func_.num_locals);
  Ctrl fn;
  fn.kind = Opcode::kBlock;
  fn.num_results = out_.num_results;
  ctrls_.push_back(std::move(fn));
  StartFuelBlock();
  if (wide_) ZeroV128Locals();
  InstrReader reader(module_.body(func_), func_.body_offset);
  while (!reader.AtEnd() && !ctrls_.empty()) {
    Instr in;
    DEJA_TRY(reader.Next(&in));
    if (pending_fuel_pc_ != UINT32_MAX) {
      AddResumePoint(ResumePoint::kSafePoint, pending_fuel_pc_, in.offset - func_.body_offset,
                     stack_.size());
      pending_fuel_pc_ = UINT32_MAX;
    }
    if (unreachable_) {
      Skip(in);
      continue;
    }
    if (layout_variant_) Emit(IOp::kBr, {2});  // jumps to the next instruction
    if (!out_.offsets.empty() && out_.offsets.back().first == out_.code.size()) {
      out_.offsets.back().second = in.offset;
    } else {
      out_.offsets.emplace_back(static_cast<u32>(out_.code.size()), in.offset);
    }
    ++fuel_count_;
    DEJA_TRY(Step(in));
  }
  FinishFuelBlock();
  if (pending_fuel_pc_ != UINT32_MAX) {  // a Fuel op before the final return
    AddResumePoint(ResumePoint::kSafePoint, pending_fuel_pc_,
                   static_cast<u32>(module_.body(func_).size()), stack_.size());
  }
  if (!ctrls_.empty()) {
    return Error(func_.body_offset, "body ends inside a block");
  }
  // Every Fuel op must be a resume point, or a guest suspended there could
  // not be saved.
  size_t safe_points = 0;
  for (const ResumePoint& p : out_.resume_points) safe_points += p.kind == ResumePoint::kSafePoint;
  if (safe_points != out_.fuel_ops.size()) {
    return Error(func_.body_offset, "a Fuel op without a resume point");
  }
  u64 frame = static_cast<u64>(stack_base_) + max_height_;
  if (frame > (1u << 30)) {
    return Status::ResourceExhausted(Where(func_.body_offset) + "frame too large");
  }
  out_.frame_slots = static_cast<u32>(frame);
  while (!out_.op_starts.empty() && out_.op_starts.back() >= out_.code.size()) {
    out_.op_starts.pop_back();
  }
  return std::move(out_);
}

// Dead code after br/return/unreachable emits nothing; only the block
// structure is followed so the matching else/end is found.
void FuncCompiler::Skip(const Instr& in) {
  switch (in.op) {
    case Opcode::kBlock:
    case Opcode::kLoop:
    case Opcode::kIf:
    case Opcode::kTry:
      ++skip_depth_;
      return;
    case Opcode::kElse:
      if (skip_depth_ == 0) (void)StepControl(in);
      return;
    case Opcode::kCatch:
    case Opcode::kCatchAll:
      if (skip_depth_ == 0) (void)StepException(in);
      return;
    case Opcode::kEnd:
    case Opcode::kDelegate:
      if (skip_depth_ > 0) {
        --skip_depth_;
      } else if (in.op == Opcode::kDelegate) {
        (void)StepException(in);
      } else {
        (void)StepControl(in);
      }
      return;
    default:
      return;
  }
}

Status FuncCompiler::Step(const Instr& in) {
  if (IsSimd(in.op)) return StepSimd(in);
  OpVariants v = VariantsOf(in.op);
  if (v.kind != OpVariants::Kind::kNone) return StepGeneric(in, v);
  switch (in.op) {
    case Opcode::kLocalGet:
    case Opcode::kLocalSet:
    case Opcode::kLocalTee:
    case Opcode::kGlobalGet:
    case Opcode::kGlobalSet:
    case Opcode::kI32Const:
    case Opcode::kI64Const:
    case Opcode::kF32Const:
    case Opcode::kF64Const:
    case Opcode::kRefNull:
    case Opcode::kRefFunc:
    case Opcode::kDrop:
    case Opcode::kSelect:
    case Opcode::kSelectT:
    case Opcode::kNop:
      return StepVariable(in);
    case Opcode::kUnreachable:
    case Opcode::kBlock:
    case Opcode::kLoop:
    case Opcode::kIf:
    case Opcode::kElse:
    case Opcode::kEnd:
    case Opcode::kBr:
    case Opcode::kBrIf:
    case Opcode::kBrTable:
    case Opcode::kReturn:
    case Opcode::kCall:
    case Opcode::kCallIndirect:
    case Opcode::kReturnCall:
    case Opcode::kReturnCallIndirect:
      return StepControl(in);
    case Opcode::kTry:
    case Opcode::kCatch:
    case Opcode::kCatchAll:
    case Opcode::kDelegate:
    case Opcode::kThrow:
    case Opcode::kRethrow:
      return StepException(in);
    default:
      return StepMemoryOrTable(in);
  }
}

Status FuncCompiler::StepGeneric(const Instr& in, const OpVariants& v) {
  using K = OpVariants::Kind;
  switch (v.kind) {
    case K::kBinary:
    case K::kCompare:
    case K::kFloatBinary: {
      if (!layout_variant_ && DeferAddend(in.op)) return Status();
      if (v.kind == K::kFloatBinary && FuseLoadOperand(in, v)) return Status();
      size_t a = stack_.size() - 2, b = stack_.size() - 1;
      bool imm = stack_[b].where == Where::kConst;
      if (imm) {
        u32 sa = Operand(a);
        EmitWithDst(v.Pick(true, canonical_nans_), {SlotOf(a), sa, stack_[b].value});
      } else if (stack_[a].where == Where::kConst && IsCommutative(in.op)) {
        imm = true;  // `const op x` as `x op const`
        u32 sb = Operand(b);
        EmitWithDst(v.Pick(true, canonical_nans_), {SlotOf(a), sb, stack_[a].value});
      } else {
        u32 sa = Operand(a), sb = Operand(b);
        EmitWithDst(v.Pick(false, canonical_nans_), {SlotOf(a), sa, sb});
      }
      last_generic_start_ = last_dst_word_ - 1;
      last_generic_ = v;
      last_generic_imm_ = imm;
      Pop(2);
      PushSlot();
      return Status();
    }
    case K::kUnary:
    case K::kFloatUnary: {
      size_t a = Top();
      u32 sa = Operand(a);
      EmitWithDst(v.Pick(false, canonical_nans_), {SlotOf(a), sa});
      last_generic_start_ = last_dst_word_ - 1;
      last_generic_ = v;
      last_generic_imm_ = false;
      Pop(1);
      PushSlot();
      return Status();
    }
    case K::kLoad:
    case K::kStore:
      StepMemAccess(in, v);
      return Status();
    case K::kNone:
      break;
  }
  return Error(in.offset, "unexpected operator kind");
}

Status FuncCompiler::StepVariable(const Instr& in) {
  switch (in.op) {
    case Opcode::kLocalGet:
      Push({Where::kLocal, in.index, 0});
      return Status();
    case Opcode::kLocalSet:
    case Opcode::kLocalTee: {
      u32 x = in.index;
      MaterializeLocal(x);
      Entry e = stack_.back();
      size_t pos = Top();
      bool retarget = e.where == Where::kSlot && last_dst_word_ != SIZE_MAX &&
                      out_.code[last_dst_word_] == SlotOf(pos);
      if (retarget) {
        out_.code[last_dst_word_] = x;
      } else if (!(e.where == Where::kLocal && e.local == x)) {
        EmitMove(e, pos, x);
      }
      last_dst_word_ = SIZE_MAX;
      Pop(1);
      if (in.op == Opcode::kLocalTee) Push({Where::kLocal, x, 0});
      return Status();
    }
    case Opcode::kGlobalGet:
      EmitWithDst(module_.globals[in.index].type == ValType::kV128 ? IOp::kGlobalGetV : IOp::kGlobalGet,
                  {SlotOf(stack_.size()), in.index});
      PushSlot();
      return Status();
    case Opcode::kGlobalSet:
      Emit(module_.globals[in.index].type == ValType::kV128 ? IOp::kGlobalSetV : IOp::kGlobalSet,
           {Operand(Top()), in.index});
      Pop(1);
      return Status();
    case Opcode::kI32Const:
      Push({Where::kConst, 0, static_cast<u32>(in.value)});
      return Status();
    case Opcode::kI64Const:
    case Opcode::kF32Const:
    case Opcode::kF64Const:
      Push({Where::kConst, 0, in.value});
      return Status();
    case Opcode::kRefNull:
      Push({Where::kConst, 0, kNullRef});
      return Status();
    case Opcode::kRefFunc:
      EmitWithDst(IOp::kRefFunc, {SlotOf(stack_.size()), in.index});
      PushSlot();
      return Status();
    case Opcode::kDrop:
      Pop(1);
      return Status();
    case Opcode::kSelect:
    case Opcode::kSelectT: {
      size_t a = stack_.size() - 3;
      u32 sa = Operand(a), sb = Operand(a + 1), sc = Operand(a + 2);
      EmitWithDst(wide_ ? IOp::kSelectV : IOp::kSelect, {SlotOf(a), sa, sb, sc});
      Pop(3);
      PushSlot();
      return Status();
    }
    default:
      return Status();  // nop
  }
}

}  // namespace deja::engine
