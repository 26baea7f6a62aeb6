// Bit-exact helpers for the operator bodies: slot <-> typed value views,
// Wasm's min/max, truncation range checks, NaN canonicalization.
#pragma once

#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#include "base/types.h"

namespace deja::engine {

// Slots hold i32/f32 zero-extended and floats as their bit patterns.
template <typename T>
inline T Get(u64 slot) {
  if constexpr (std::is_same_v<T, u64>)
    return slot;
  else if constexpr (std::is_same_v<T, u32>)
    return static_cast<u32>(slot);
  else if constexpr (std::is_same_v<T, f32>)
    return std::bit_cast<f32>(static_cast<u32>(slot));
  else
    return std::bit_cast<f64>(slot);
}
inline u64 Put(u32 v) { return v; }
inline u64 Put(u64 v) { return v; }
inline u64 Put(f32 v) { return std::bit_cast<u32>(v); }
inline u64 Put(f64 v) { return std::bit_cast<u64>(v); }

// NaN in, NaN out (propagated by the hardware add); -0 < +0.
template <typename F>
inline F WasmMin(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <typename F>
inline F WasmMax(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

// The canonical NaN: positive, quiet bit only.
inline f32 Canon(f32 v) { return std::isnan(v) ? std::bit_cast<f32>(0x7fc00000u) : v; }
inline f64 Canon(f64 v) { return std::isnan(v) ? std::bit_cast<f64>(0x7ff8000000000000ull) : v; }

// True if trunc(x) is representable in I. Requires: x is not NaN. Bounds are
// exact doubles; f32 inputs convert to double exactly.
template <typename I, typename F>
inline bool TruncInRange(F x) {
  f64 d = static_cast<f64>(x);
  if constexpr (std::is_same_v<I, i32>)
    return d > -2147483649.0 && d < 2147483648.0;
  else if constexpr (std::is_same_v<I, u32>)
    return d > -1.0 && d < 4294967296.0;
  else if constexpr (std::is_same_v<I, i64>) {
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0;
  } else {
    return d > -1.0 && d < 18446744073709551616.0;
  }
}

template <typename I, typename F>
inline I TruncSat(F x) {
  if (std::isnan(x)) return 0;
  if (!TruncInRange<I>(x)) {
    return x < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max();
  }
  return static_cast<I>(x);
}

}  // namespace deja::engine
