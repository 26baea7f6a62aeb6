// One function per lane operator of simd_ops.inc, defined in simd_ops.cc.
// Each runs one instruction `[h, dst, operands...]` at `pc` on the frame at
// `fp`, a v128 in slot s being fp[s] (low) and fp[s + hoff] (high).
#pragma once

#include "engine/simd/v128.h"

namespace deja::engine::simd {

#define SIMD_OP_DECL(Name, ...) void Name(u64* fp, u64 hoff, const u64* pc);
#define SIMD_BIN SIMD_OP_DECL
#define SIMD_UN SIMD_OP_DECL
#define SIMD_TERN SIMD_OP_DECL
#define SIMD_TEST SIMD_OP_DECL
#define SIMD_SHIFT SIMD_OP_DECL
#include "engine/simd/simd_ops.inc"
#undef SIMD_BIN
#undef SIMD_UN
#undef SIMD_TERN
#undef SIMD_TEST
#undef SIMD_SHIFT
#undef SIMD_OP_DECL

}  // namespace deja::engine::simd
