// The internal operations the compiler emits and the interpreter runs, one
// enumerator per generated variant (e.g. kI32Add_SS, kI32Add_SI), listed once
// in ops/*.inc.
#pragma once

#include "base/types.h"

namespace deja::engine {

enum class IOp : u16 {
#define DEJA_BINOP(Name, T, R, ...) k##Name##_SS, k##Name##_SI,
#define DEJA_FBINOP(Name, T, ...) \
  k##Name##_SS, k##Name##_SI, k##Name##_SS_C, k##Name##_SI_C, k##Name##_SM, k##Name##_SM_C,
#define DEJA_CMP(Name, T, ...)                                                          \
  k##Name##_SS, k##Name##_SI, kBrIf##Name##_SS, kBrIf##Name##_SI, kBrUnless##Name##_SS, \
      kBrUnless##Name##_SI,
#define DEJA_UNOP(Name, T, R, ...) k##Name##_S,
#define DEJA_FUNOP(Name, T, R, ...) k##Name##_S, k##Name##_S_C,
#define DEJA_LOAD(Name, M, R) k##Name, k##Name##_A,
#define DEJA_STORE(Name, T, M) k##Name, k##Name##_A,
#define DEJA_OP(Name, ...) k##Name,
#include "engine/exec/ops/all.inc"
  kCount
};

}  // namespace deja::engine
