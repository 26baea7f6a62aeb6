// Body validation of the instructions without control effect: parametric,
// variables, calls, references, tables, memory, and everything typed by its
// opcodes.def signature.
#include <algorithm>
#include <cstring>

#include "engine/memory_access.h"
#include "engine/simd/simd_info.h"
#include "engine/validate/error.h"
#include "engine/validate/func_validator.h"

namespace deja::engine {
namespace {

// Numeric or vector: what an untyped select accepts.
bool IsNumeric(ValType t) {
  return t == ValType::kI32 || t == ValType::kI64 || t == ValType::kF32 || t == ValType::kF64 ||
         t == ValType::kV128 || t == static_cast<ValType>(0);
}

// Type of a value type character in an opcodes.def signature ('i' 'l' 'f' 'd').
std::string SimdLaneError(const Instr& in) {
  u32 lane = OpcodeImmKind(in.op) == ImmKind::kLane ? in.index : in.index2;
  return std::string("invalid lane index in ") + OpcodeName(in.op) + ": " + std::to_string(lane) +
         " (must be below " + std::to_string(SimdLaneCount(in.op)) + ")";
}

ValType SignatureType(char c) {
  switch (c) {
    case 'i':
      return ValType::kI32;
    case 'l':
      return ValType::kI64;
    case 'f':
      return ValType::kF32;
    case 'v':
      return ValType::kV128;
    default:
      return ValType::kF64;  // 'd'
  }
}

}  // namespace

// --- Index checks ---------------------------------------------------------------

Status FuncValidator::LocalType(u32 index, ValType* out) const {
  if (index < func_params_.size) {
    *out = func_params_[index];
    return Status();
  }
  auto it = std::upper_bound(local_ends_.begin(), local_ends_.end(), index);
  if (it == local_ends_.end()) return Error(WithIndex("unknown local", index));
  *out = local_types_[it - local_ends_.begin()];
  return Status();
}

Status FuncValidator::CheckMemory() const {
  if (module_.memories.empty()) return Error(WithIndex("unknown memory", 0));
  return Status();
}

Status FuncValidator::CheckTable(u32 index) const {
  if (index >= module_.tables.size()) return Error(WithIndex("unknown table", index));
  return Status();
}

Status FuncValidator::CheckData(u32 index) const {
  // Without a data count section a single pass could not check the index;
  // the binary format therefore requires the section (a malformed module).
  // With no data segments at all every index is unknown, which is what the
  // spec suite expects of such modules written as text.
  if (!module_.data_count && !module_.datas.empty()) {
    return Malformed(offset_, "data count section required");
  }
  if (index >= module_.datas.size()) return Error(WithIndex("unknown data segment", index));
  return Status();
}

Status FuncValidator::CheckElem(u32 index) const {
  if (index >= module_.elems.size()) return Error(WithIndex("unknown elem segment", index));
  return Status();
}

Status FuncValidator::CheckFunc(u32 index) const {
  if (index >= module_.func_types.size()) return Error(WithIndex("unknown function", index));
  return Status();
}

Status FuncValidator::CheckType(u32 index) const {
  if (index >= module_.types.size()) return Error(WithIndex("unknown type", index));
  return Status();
}

// --- Instruction families ---------------------------------------------------------

Status FuncValidator::StepParametric(const Instr& in) {
  ValType t1, t2;
  switch (in.op) {
    case Opcode::kDrop:
      return Pop(&t1);
    case Opcode::kSelect:
      DEJA_TRY(PopExpect(ValType::kI32));
      DEJA_TRY(Pop(&t1));
      DEJA_TRY(Pop(&t2));
      // Untyped select is only for numbers: a reference needs `select (result t)`.
      if (!IsNumeric(t1) || !IsNumeric(t2)) {
        return Error("type mismatch in select: operands of reference type need a typed select");
      }
      if (t1 != t2 && t1 != kUnknown && t2 != kUnknown) {
        return Error(std::string("type mismatch in select: ") + ValTypeName(t2) + " and " +
                     ValTypeName(t1));
      }
      Push(t1 == kUnknown ? t2 : t1);
      return Status();
    default:  // kSelectT
      if (in.index != 1) {
        return Error("invalid result arity: typed select must name exactly one type, not " +
                     std::to_string(in.index));
      }
      DEJA_TRY(PopExpect(ValType::kI32));
      DEJA_TRY(PopExpect(in.type));
      DEJA_TRY(PopExpect(in.type));
      Push(in.type);
      return Status();
  }
}

Status FuncValidator::StepVariable(const Instr& in) {
  ValType t;
  if (in.op == Opcode::kGlobalGet || in.op == Opcode::kGlobalSet) {
    if (in.index >= module_.globals.size()) return Error(WithIndex("unknown global", in.index));
    const GlobalType& g = module_.globals[in.index];
    if (in.op == Opcode::kGlobalGet) {
      Push(g.type);
      return Status();
    }
    if (!g.mut) return Error(WithIndex("global is immutable: global.set of global", in.index));
    return PopExpect(g.type);
  }
  DEJA_TRY(LocalType(in.index, &t));
  if (in.op == Opcode::kLocalGet) {
    Push(t);
    return Status();
  }
  DEJA_TRY(PopExpect(t));
  if (in.op == Opcode::kLocalTee) Push(t);
  return Status();
}

Status FuncValidator::StepCall(const Instr& in) {
  const FuncType* type;
  if (in.op == Opcode::kCall || in.op == Opcode::kReturnCall) {
    DEJA_TRY(CheckFunc(in.index));
    type = &module_.func_type(in.index);
  } else {
    DEJA_TRY(CheckTable(in.index2));
    DEJA_TRY(CheckType(in.index));
    if (module_.tables[in.index2].elem != ValType::kFuncRef) {
      return Error(WithIndex("type mismatch in call_indirect: not a funcref table:", in.index2));
    }
    type = &module_.types[in.index];
    DEJA_TRY(PopExpect(ValType::kI32));
  }
  DEJA_TRY(PopTypes({type->params.data(), static_cast<u32>(type->params.size())}));
  if (in.op == Opcode::kReturnCall || in.op == Opcode::kReturnCallIndirect) {
    // A tail call returns the callee's results as this function's own.
    Types own = ctrls_.front().results;
    bool same = own.size == type->results.size();
    for (u32 i = 0; same && i < own.size; ++i) same = own[i] == type->results[i];
    if (!same) {
      return Error(std::string("type mismatch in ") + OpcodeName(in.op) +
                   ": the callee's results are not the function's results");
    }
    SetUnreachable();
    return Status();
  }
  PushTypes({type->results.data(), static_cast<u32>(type->results.size())});
  return Status();
}

Status FuncValidator::StepRef(const Instr& in) {
  ValType t;
  switch (in.op) {
    case Opcode::kRefNull:
      Push(in.type);
      return Status();
    case Opcode::kRefIsNull:
      DEJA_TRY(Pop(&t));
      if (t != kUnknown && !IsRefType(t)) {
        return Error(std::string("type mismatch in ref.is_null: expected a reference, got ") +
                     ValTypeName(t));
      }
      Push(ValType::kI32);
      return Status();
    default:  // kRefFunc
      DEJA_TRY(CheckFunc(in.index));
      if (!declared_[in.index]) {
        return Error(WithIndex("undeclared function reference: ref.func of function", in.index));
      }
      Push(ValType::kFuncRef);
      return Status();
  }
}

Status FuncValidator::StepTable(const Instr& in) {
  if (in.op == Opcode::kElemDrop) return CheckElem(in.index);
  if (in.op == Opcode::kTableCopy || in.op == Opcode::kTableInit) {
    ValType dst, src;
    if (in.op == Opcode::kTableCopy) {  // index = destination, index2 = source
      DEJA_TRY(CheckTable(in.index));
      DEJA_TRY(CheckTable(in.index2));
      dst = module_.tables[in.index].elem;
      src = module_.tables[in.index2].elem;
    } else {  // index = elem segment, index2 = table
      DEJA_TRY(CheckTable(in.index2));
      DEJA_TRY(CheckElem(in.index));
      dst = module_.tables[in.index2].elem;
      src = module_.elems[in.index].type;
    }
    if (dst != src) {
      return Error(std::string("type mismatch in ") + OpcodeName(in.op) + ": " + ValTypeName(src) +
                   " into a table of " + ValTypeName(dst));
    }
    return StepBySignature("iii_");
  }
  DEJA_TRY(CheckTable(in.index));
  ValType elem = module_.tables[in.index].elem;
  switch (in.op) {
    case Opcode::kTableGet:
      DEJA_TRY(PopExpect(ValType::kI32));
      Push(elem);
      return Status();
    case Opcode::kTableSet:
      DEJA_TRY(PopExpect(elem));
      return PopExpect(ValType::kI32);
    case Opcode::kTableSize:
      Push(ValType::kI32);
      return Status();
    case Opcode::kTableGrow:
      DEJA_TRY(PopExpect(ValType::kI32));
      DEJA_TRY(PopExpect(elem));
      Push(ValType::kI32);
      return Status();
    default:  // kTableFill
      DEJA_TRY(PopExpect(ValType::kI32));
      DEJA_TRY(PopExpect(elem));
      return PopExpect(ValType::kI32);
  }
}

// Instructions with a fixed signature in opcodes.def (numeric, memory, bulk
// memory), after the checks their immediates need.
Status FuncValidator::StepFixed(const Instr& in) {
  switch (OpcodeImmKind(in.op)) {
    case ImmKind::kMemargLane:
      if (in.index2 >= SimdLaneCount(in.op)) return Error(SimdLaneError(in));
      [[fallthrough]];
    case ImmKind::kMemarg:
      DEJA_TRY(CheckMemory());
      if (in.index > NaturalAlignment(in.op)) {
        return Error(std::string("alignment must not be larger than natural in ") +
                     OpcodeName(in.op) + ": 2^" + std::to_string(in.index) + " bytes");
      }
      break;
    case ImmKind::kMemory:
    case ImmKind::kMemoryMemory:
      DEJA_TRY(CheckMemory());
      break;
    case ImmKind::kDataMemory:
      DEJA_TRY(CheckMemory());
      DEJA_TRY(CheckData(in.index));
      break;
    case ImmKind::kData:
      DEJA_TRY(CheckData(in.index));
      break;
    case ImmKind::kLane:
      if (in.index >= SimdLaneCount(in.op)) return Error(SimdLaneError(in));
      break;
    case ImmKind::kShuffle:
      for (u64 lanes : {in.value, in.value2}) {
        for (int i = 0; i < 8; ++i) {
          if (((lanes >> (8 * i)) & 0xff) >= 32) {
            return Error("invalid lane index in i8x16.shuffle: " +
                         std::to_string((lanes >> (8 * i)) & 0xff) + " (must be below 32)");
          }
        }
      }
      break;
    default:
      break;
  }
  return StepBySignature(OpcodeSignature(in.op));
}

Status FuncValidator::StepBySignature(const char* sig) {
  const char* split = std::strchr(sig, '_');
  if (split == nullptr) {
    return Status::Internal(std::string("validator has no typing rule for ") + OpcodeName(op_));
  }
  for (const char* p = split; p != sig; --p) DEJA_TRY(PopExpect(SignatureType(p[-1])));
  for (const char* p = split + 1; *p != '\0'; ++p) Push(SignatureType(*p));
  return Status();
}

}  // namespace deja::engine
