// Which internal op variants implement a Wasm operator that has a generic
// body in exec/ops/*.inc (numeric, compare, convert, load, store).
#pragma once

#include "engine/exec/op_ids.h"
#include "engine/instr.h"

namespace deja::engine {

struct OpVariants {
  enum class Kind : u8 {
    kNone,
    kBinary,
    kCompare,
    kFloatBinary,
    kUnary,
    kFloatUnary,
    kLoad,
    kStore
  };
  Kind kind = Kind::kNone;
  // kBinary: _SS, _SI follow; kCompare: _SS, _SI, BrIf_SS, BrIf_SI,
  // BrUnless_SS, BrUnless_SI;
  // kFloatBinary: _SS, _SI, _SS_C, _SI_C, _SM, _SM_C;
  // kUnary: _S; kFloatUnary: _S, _S_C; kLoad/kStore: the op, _A (the
  // address is `slot + addend`; see ops/memory.inc).
  IOp first = IOp::kCount;

  // kLoad/kStore: the op, or its _A variant when `addend`.
  IOp Access(bool addend) const {
    return static_cast<IOp>(static_cast<u16>(first) + (addend ? 1 : 0));
  }
  IOp Pick(bool immediate, bool canonical) const {
    u16 i = static_cast<u16>(first) + (immediate ? 1 : 0);
    if (canonical) i += kind == Kind::kFloatBinary ? 2 : kind == Kind::kFloatUnary ? 1 : 0;
    return static_cast<IOp>(i);
  }
  // kFloatBinary: the variant whose second operand is loaded from memory.
  IOp MemOperand(bool canonical) const {
    return static_cast<IOp>(static_cast<u16>(first) + 4 + (canonical ? 1 : 0));
  }
  // kCompare: the variants fused with a conditional branch taken when the
  // comparison holds (br_if) or fails (if).
  IOp FusedBrIf(bool immediate) const {
    return static_cast<IOp>(static_cast<u16>(first) + 2 + (immediate ? 1 : 0));
  }
  IOp FusedBrUnless(bool immediate) const {
    return static_cast<IOp>(static_cast<u16>(first) + 4 + (immediate ? 1 : 0));
  }
};

OpVariants VariantsOf(Opcode op);

}  // namespace deja::engine
