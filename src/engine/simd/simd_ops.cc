// The lane operators, out of line. Inlined into the interpreter's one huge
// function, these loops were neither inlined fully nor vectorised (g++ gives
// up on growth there: f32x4.add cost ten scalar adds); in their own small
// functions, with everything they call flattened into them, each is a few
// vector instructions, and the call from the handler costs about what a
// dispatch does (docs/PERFORMANCE.md, "SIMD").
#include "engine/simd/simd_ops.h"

namespace deja::engine::simd {

namespace {

// Operands are read from memory here, in the function that computes on
// them, so the compiler loads each 16-byte value straight into a vector
// register (movq + movhps) and stores the result the same way.
inline V128 Get(const u64* fp, u64 hoff, u64 slot) { return V128{fp[slot], fp[slot + hoff]}; }
inline void Set(u64* fp, u64 hoff, u64 slot, V128 v) {
  fp[slot] = v.lo;
  fp[slot + hoff] = v.hi;
}

}  // namespace

#define SIMD_FN __attribute__((flatten)) void
#define SIMD_BIN(Name, ...)                                        \
  SIMD_FN Name(u64* fp, u64 hoff, const u64* pc) {                 \
    V128 a = Get(fp, hoff, pc[2]), b = Get(fp, hoff, pc[3]);       \
    Set(fp, hoff, pc[1], __VA_ARGS__);                             \
  }
#define SIMD_UN(Name, ...)                         \
  SIMD_FN Name(u64* fp, u64 hoff, const u64* pc) { \
    V128 a = Get(fp, hoff, pc[2]);                 \
    Set(fp, hoff, pc[1], __VA_ARGS__);             \
  }
#define SIMD_TERN(Name, ...)                                                                 \
  SIMD_FN Name(u64* fp, u64 hoff, const u64* pc) {                                           \
    V128 a = Get(fp, hoff, pc[2]), b = Get(fp, hoff, pc[3]), c = Get(fp, hoff, pc[4]);       \
    Set(fp, hoff, pc[1], __VA_ARGS__);                                                       \
  }
#define SIMD_TEST(Name, ...)                         \
  SIMD_FN Name(u64* fp, u64 hoff, const u64* pc) {   \
    V128 a = Get(fp, hoff, pc[2]);                   \
    fp[pc[1]] = static_cast<u32>(__VA_ARGS__);       \
  }
#define SIMD_SHIFT(Name, ...)                          \
  SIMD_FN Name(u64* fp, u64 hoff, const u64* pc) {     \
    V128 a = Get(fp, hoff, pc[2]);                     \
    u32 n = static_cast<u32>(fp[pc[3]]);               \
    Set(fp, hoff, pc[1], __VA_ARGS__);                 \
  }
#include "engine/simd/simd_ops.inc"

}  // namespace deja::engine::simd
