// How many bytes each load and store touches: the one table the validator
// (natural alignment = log2 of it) and the compiler (which loads and stores
// may fuse into one Move) both read, so they cannot disagree.
#pragma once

#include <bit>

#include "base/types.h"
#include "engine/instr.h"
#include "engine/simd/simd_info.h"

namespace deja::engine {

// Bytes a memory load or store accesses; 0 for any other opcode.
constexpr u32 AccessBytes(Opcode op) {
  switch (op) {
    case Opcode::kI32Load8S:
    case Opcode::kI32Load8U:
    case Opcode::kI64Load8S:
    case Opcode::kI64Load8U:
    case Opcode::kI32Store8:
    case Opcode::kI64Store8:
      return 1;
    case Opcode::kI32Load16S:
    case Opcode::kI32Load16U:
    case Opcode::kI64Load16S:
    case Opcode::kI64Load16U:
    case Opcode::kI32Store16:
    case Opcode::kI64Store16:
      return 2;
    case Opcode::kI32Load:
    case Opcode::kF32Load:
    case Opcode::kI64Load32S:
    case Opcode::kI64Load32U:
    case Opcode::kI32Store:
    case Opcode::kF32Store:
    case Opcode::kI64Store32:
      return 4;
    case Opcode::kI64Load:
    case Opcode::kF64Load:
    case Opcode::kI64Store:
    case Opcode::kF64Store:
      return 8;
    default:
      return SimdAccessBytes(op);
  }
}

// log2 of AccessBytes: the largest alignment exponent a memarg may declare.
constexpr u32 NaturalAlignment(Opcode op) {
  return static_cast<u32>(std::countr_zero(AccessBytes(op)));
}

static_assert(NaturalAlignment(Opcode::kI64Load32U) == 2);
static_assert(NaturalAlignment(Opcode::kF64Store) == 3);

}  // namespace deja::engine
