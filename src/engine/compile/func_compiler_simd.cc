// FuncCompiler: WebAssembly 2.0 SIMD. A v128 lives in one slot position like
// any value; its high half is the same slot in the upper half of the value
// stack (docs/INTERPRETER.md, "v128 values"), so the simulated stack, calls
// and branches need no change: only moves must copy both halves (CopyOp).
// Every SIMD operator is one internal op taking slot operands; operands the
// compiler deferred (locals, scalar constants) are read or materialized as
// for any operator.
#include <algorithm>
#include <cstring>

#include "engine/compile/func_compiler.h"
#include "engine/compile/func_compiler_simd.h"
#include "engine/exec/interp.h"
#include "engine/simd/simd_info.h"

namespace deja::engine {
namespace {

bool HasV128(const std::vector<ValType>& ts) {
  return std::find(ts.begin(), ts.end(), ValType::kV128) != ts.end();
}

// The internal op of a SIMD opcode: its handler has the opcode's name.
IOp SimdOp(Opcode op) {
  switch (op) {
#define DEJA_SIMD(name, sub, imm, text, sig, shape, n) \
  case Opcode::k##name:                                \
    return IOp::k##name;
#include "engine/simd/simd_opcodes.def"
#undef DEJA_SIMD
    default:
      return IOp::kCount;
  }
}

}  // namespace

bool TouchesV128(const Module& module, const Function& func, const FuncType& type) {
  if (HasV128(type.params) || HasV128(type.results)) return true;
  for (const LocalRun& run : func.locals) {
    if (run.type == ValType::kV128) return true;
  }
  for (const FuncType& t : module.types) {
    if (HasV128(t.params) || HasV128(t.results)) return true;
  }
  for (const GlobalType& g : module.globals) {
    if (g.type == ValType::kV128) return true;
  }
  std::span<const u8> body = module.body(func);
  return std::memchr(body.data(), 0xfd, body.size()) != nullptr;
}

void FuncCompiler::ZeroV128Locals() {
  bool any = false;
  for (const LocalRun& run : func_.locals) any = any || run.type == ValType::kV128;
  if (!any || out_.num_locals == 0) return;
  Emit(IOp::kZeroHi, {out_.num_params, out_.num_locals});
}

Status FuncCompiler::StepSimd(const Instr& in) {
  IOp op = SimdOp(in.op);
  if (op == IOp::kCount) return Error(in.offset, "no internal op for this SIMD instruction");
  size_t h = stack_.size();
  switch (SimdShapeOf(in.op)) {
    case SimdShape::kConst:
      EmitWithDst(op, {SlotOf(h), in.value, in.value2});
      PushSlot();
      return Status();
    case SimdShape::kUn:
    case SimdShape::kTest:
    case SimdShape::kSplat: {
      u32 a = Operand(h - 1);
      EmitWithDst(op, {SlotOf(h - 1), a});
      Pop(1);
      break;
    }
    case SimdShape::kBin:
    case SimdShape::kShift: {
      u32 a = Operand(h - 2), b = Operand(h - 1);
      EmitWithDst(op, {SlotOf(h - 2), a, b});
      Pop(2);
      break;
    }
    case SimdShape::kTern: {
      u32 a = Operand(h - 3), b = Operand(h - 2), c = Operand(h - 1);
      EmitWithDst(op, {SlotOf(h - 3), a, b, c});
      Pop(3);
      break;
    }
    case SimdShape::kShuffle: {
      u32 a = Operand(h - 2), b = Operand(h - 1);
      EmitWithDst(op, {SlotOf(h - 2), a, b, in.value, in.value2});
      Pop(2);
      break;
    }
    case SimdShape::kExtract: {
      u32 a = Operand(h - 1);
      EmitWithDst(op, {SlotOf(h - 1), a, in.index});
      Pop(1);
      break;
    }
    case SimdShape::kReplace: {
      u32 a = Operand(h - 2), x = Operand(h - 1);
      EmitWithDst(op, {SlotOf(h - 2), a, x, in.index});
      Pop(2);
      break;
    }
    case SimdShape::kLoad: {
      u32 addr = Operand(h - 1);
      EmitWithDst(op, {SlotOf(h - 1), addr, in.value});
      Pop(1);
      break;
    }
    case SimdShape::kLoadLane: {
      u32 addr = Operand(h - 2), v = Operand(h - 1);
      EmitWithDst(op, {SlotOf(h - 2), addr, v, in.value, in.index2});
      Pop(2);
      break;
    }
    case SimdShape::kStore: {
      u32 addr = Operand(h - 2), v = Operand(h - 1);
      Emit(op, {addr, v, in.value});
      Pop(2);
      return Status();
    }
    case SimdShape::kStoreLane: {
      u32 addr = Operand(h - 2), v = Operand(h - 1);
      Emit(op, {addr, v, in.value, in.index2});
      Pop(2);
      return Status();
    }
    case SimdShape::kNone:
      return Error(in.offset, "not a SIMD instruction");
  }
  PushSlot();
  return Status();
}

}  // namespace deja::engine
