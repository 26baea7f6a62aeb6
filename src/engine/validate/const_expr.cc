#include "engine/validate/const_expr.h"

#include "engine/validate/error.h"

namespace deja::engine {
namespace {

// The type `in` pushes if it is a constant instruction in WebAssembly 2.0.
Status ConstInstrType(const Module& module, const Instr& in, ValType* out) {
  switch (in.op) {
    case Opcode::kI32Const:
      *out = ValType::kI32;
      return Status();
    case Opcode::kI64Const:
      *out = ValType::kI64;
      return Status();
    case Opcode::kF32Const:
      *out = ValType::kF32;
      return Status();
    case Opcode::kF64Const:
      *out = ValType::kF64;
      return Status();
    case Opcode::kV128Const:
      *out = ValType::kV128;
      return Status();
    case Opcode::kRefNull:
      *out = in.type;
      return Status();
    case Opcode::kRefFunc:
      if (in.index >= module.func_types.size()) {
        return InvalidAt(in.offset, WithIndex("unknown function", in.index));
      }
      *out = ValType::kFuncRef;
      return Status();
    case Opcode::kGlobalGet: {
      // Only imported globals are visible to constant expressions in 2.0.
      if (in.index >= module.num_imported_globals) {
        return InvalidAt(in.offset, WithIndex("unknown global", in.index));
      }
      const GlobalType& g = module.globals[in.index];
      if (g.mut) {
        return InvalidAt(in.offset, "constant expression required: global.get of a mutable global");
      }
      *out = g.type;
      return Status();
    }
    default:
      return InvalidAt(in.offset, std::string("constant expression required: ") +
                                      OpcodeName(in.op) + " is not constant");
  }
}

}  // namespace

Status ValidateConstExpr(const Module& module, const ConstExpr& expr, ValType expected) {
  // Every instruction must be constant before the arity is judged, as in the
  // reference interpreter: `(i32.const 0) (i32.add)` is "constant expression
  // required", `(i32.const 0) (i32.const 0)` is "type mismatch".
  ValType last = ValType::kI32;
  for (const Instr& in : expr.instrs) DEJA_TRY(ConstInstrType(module, in, &last));
  if (expr.instrs.size() != 1 || last != expected) {
    std::string reason = "type mismatch: constant expression must produce one ";
    reason += ValTypeName(expected);
    return InvalidAt(expr.instrs.empty() ? expr.offset : expr.instrs.back().offset, reason);
  }
  return Status();
}

}  // namespace deja::engine
