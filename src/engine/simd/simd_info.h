// What the validator and compiler need to know about a SIMD opcode beyond
// its immediates and signature (simd_opcodes.def): how it is emitted, the
// bytes of memory it touches, how many lanes a lane immediate may name.
#pragma once

#include "base/types.h"
#include "engine/instr.h"

namespace deja::engine {

enum class SimdShape : u8 {
  kNone,  // not a SIMD opcode
  kBin,
  kUn,
  kTern,
  kTest,
  kSplat,
  kShift,
  kExtract,
  kReplace,
  kConst,
  kShuffle,
  kLoad,
  kLoadLane,
  kStore,
  kStoreLane,
};

// 2.0 SIMD (0xFDxx) and relaxed SIMD (0xFExx).
constexpr bool IsSimd(Opcode op) {
  return (static_cast<u16>(op) >> 8) == 0xfd || (static_cast<u16>(op) >> 8) == 0xfe;
}

constexpr SimdShape SimdShapeOf(Opcode op) {
  switch (op) {
#define DEJA_SIMD(name, sub, imm, text, sig, shape, n) \
  case Opcode::k##name:                                \
    return SimdShape::k##shape;
#include "engine/simd/simd_opcodes.def"
#undef DEJA_SIMD
    default:
      return SimdShape::kNone;
  }
}

// The table's `n` column for `op` (bytes for memory shapes, lanes for lane
// shapes); 0 for opcodes outside the table.
constexpr u32 SimdTableN(Opcode op) {
  switch (op) {
#define DEJA_SIMD(name, sub, imm, text, sig, shape, n) \
  case Opcode::k##name:                                \
    return n;
#include "engine/simd/simd_opcodes.def"
#undef DEJA_SIMD
    default:
      return 0;
  }
}

// Memory shapes: bytes accessed; 0 for the others.
constexpr u32 SimdAccessBytes(Opcode op) {
  switch (SimdShapeOf(op)) {
    case SimdShape::kLoad:
    case SimdShape::kLoadLane:
    case SimdShape::kStore:
    case SimdShape::kStoreLane:
      break;
    default:
      return 0;
  }
  return SimdTableN(op);
}

// The number of lanes a lane immediate of `op` may name (its lane index is
// below it); 0 for opcodes without one.
constexpr u32 SimdLaneCount(Opcode op) {
  switch (SimdShapeOf(op)) {
    case SimdShape::kLoadLane:
    case SimdShape::kStoreLane:
      return 16 / SimdAccessBytes(op);
    case SimdShape::kExtract:
    case SimdShape::kReplace:
      break;
    default:
      return 0;
  }
  return SimdTableN(op);
}

static_assert(SimdLaneCount(Opcode::kV128Load16Lane) == 8);
static_assert(SimdLaneCount(Opcode::kI64x2ReplaceLane) == 2);
static_assert(SimdAccessBytes(Opcode::kV128Load8x8S) == 8);

}  // namespace deja::engine
