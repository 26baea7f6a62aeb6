#include "engine/compile/op_variants.h"

namespace deja::engine {

OpVariants VariantsOf(Opcode op) {
  using K = OpVariants::Kind;
  switch (op) {
#define DEJA_BINOP(Name, T, R, ...) \
  case Opcode::k##Name:             \
    return {K::kBinary, IOp::k##Name##_SS};
#define DEJA_CMP(Name, T, ...) \
  case Opcode::k##Name:        \
    return {K::kCompare, IOp::k##Name##_SS};
#define DEJA_FBINOP(Name, T, ...) \
  case Opcode::k##Name:           \
    return {K::kFloatBinary, IOp::k##Name##_SS};
#define DEJA_UNOP(Name, T, R, ...) \
  case Opcode::k##Name:            \
    return {K::kUnary, IOp::k##Name##_S};
#define DEJA_FUNOP(Name, T, R, ...) \
  case Opcode::k##Name:             \
    return {K::kFloatUnary, IOp::k##Name##_S};
#define DEJA_LOAD(Name, M, R) \
  case Opcode::k##Name:       \
    return {K::kLoad, IOp::k##Name};
#define DEJA_STORE(Name, T, M) \
  case Opcode::k##Name:        \
    return {K::kStore, IOp::k##Name};
#include "engine/exec/ops/all.inc"
    default:
      return {};
  }
}

}  // namespace deja::engine
