#include "engine/validate/const_expr.h"

#include <vector>

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

// extended-const: i32/i64 add, sub and mul, each popping two operands of its
// own type. Returns false for any other instruction.
bool ExtendedConstType(const Instr& in, ValType* out) {
  switch (in.op) {
    case Opcode::kI32Add:
    case Opcode::kI32Sub:
    case Opcode::kI32Mul:
      *out = ValType::kI32;
      return true;
    case Opcode::kI64Add:
    case Opcode::kI64Sub:
    case Opcode::kI64Mul:
      *out = ValType::kI64;
      return true;
    default:
      return false;
  }
}

Status Mismatch(u32 offset, ValType expected) {
  std::string reason = "type mismatch: constant expression must produce one ";
  reason += ValTypeName(expected);
  return InvalidAt(offset, reason);
}

}  // namespace

bool IsExtendedConstInstr(const Instr& in) {
  ValType unused = ValType::kI32;
  return ExtendedConstType(in, &unused);
}

Status ValidateConstExpr(const Module& module, const ConstExpr& expr, ValType expected) {
  // Every instruction must be constant before the arity is judged, as in the
  // reference interpreter: `(i32.const 0) (i32.add)` with i32.add not constant
  // would be "constant expression required", `(i32.const 0) (i32.const 0)`
  // "type mismatch". The operand stack is typed as a function body's would be.
  std::vector<ValType> stack;
  bool mismatch = false;
  for (const Instr& in : expr.instrs) {
    ValType t = ValType::kI32;
    if (ExtendedConstType(in, &t)) {
      if (stack.size() < 2 || stack[stack.size() - 1] != t || stack[stack.size() - 2] != t) {
        mismatch = true;
        stack.clear();
      } else {
        stack.pop_back();
      }
      continue;
    }
    DEJA_TRY(ConstInstrType(module, in, &t));
    stack.push_back(t);
  }
  if (mismatch || stack.size() != 1 || stack[0] != expected) {
    return Mismatch(expr.instrs.empty() ? expr.offset : expr.instrs.back().offset, expected);
  }
  return Status();
}

}  // namespace deja::engine
