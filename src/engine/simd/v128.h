// The lanes of a v128, and every WebAssembly 2.0 SIMD operator as a plain
// function of them. This is the one place that says what a SIMD operator
// computes: portable C++ lane loops (the host compiler vectorises them), no
// intrinsics, so no result depends on the host CPU. Float results that are
// NaN are canonicalised (docs/DETERMINISM.md, "SIMD"); pmin/pmax, abs, neg
// and the lane moves only move bits and keep them.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "base/types.h"
#include "engine/exec/numeric.h"

namespace deja::engine::simd {

// Lane 0 is the least significant bytes of `lo` (WebAssembly lanes are
// little-endian, as deja's memory is).
struct V128 {
  u64 lo = 0;
  u64 hi = 0;
};

template <typename T>
using Lanes = std::array<T, 16 / sizeof(T)>;

// The two halves as one 16-byte vector value (a GCC/clang vector type,
// no CPU-specific intrinsic). Split and Join go through it rather than
// through two 8-byte stores and a 16-byte load, which would defeat the
// CPU's store forwarding and cost more than the operator itself.
typedef u64 U64x2 __attribute__((vector_size(16)));

template <typename T>
inline Lanes<T> Split(V128 v) {
  U64x2 x = {v.lo, v.hi};
  Lanes<T> l;
  std::memcpy(l.data(), &x, 16);
  return l;
}

template <typename T>
inline V128 Join(const Lanes<T>& l) {
  U64x2 x;
  std::memcpy(&x, l.data(), 16);
  return V128{x[0], x[1]};
}

template <typename T, typename Fn>
inline V128 Map(V128 a, Fn fn) {
  Lanes<T> x = Split<T>(a);
  for (T& e : x) e = fn(e);
  return Join<T>(x);
}

template <typename T, typename Fn>
inline V128 Zip(V128 a, V128 b, Fn fn) {
  Lanes<T> x = Split<T>(a), y = Split<T>(b);
  for (size_t i = 0; i < x.size(); ++i) x[i] = fn(x[i], y[i]);
  return Join<T>(x);
}

// Comparisons: all ones where `fn` holds. T is the lane type compared, U
// the same-width unsigned type of the mask.
template <typename T, typename Fn>
inline V128 Cmp(V128 a, V128 b, Fn fn) {
  using U = std::make_unsigned_t<
      std::conditional_t<sizeof(T) == 4, i32, std::conditional_t<sizeof(T) == 8, i64, T>>>;
  Lanes<T> x = Split<T>(a), y = Split<T>(b);
  Lanes<U> r;
  for (size_t i = 0; i < x.size(); ++i) r[i] = fn(x[i], y[i]) ? static_cast<U>(~U{0}) : U{0};
  return Join<U>(r);
}

template <typename T>
inline T Sat(i64 v) {
  if (v < static_cast<i64>(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
  if (v > static_cast<i64>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

// Floats: arithmetic results canonicalised when NaN.
template <typename F, typename Fn>
inline V128 FMap(V128 a, Fn fn) {
  return Map<F>(a, [&](F x) { return Canon(fn(x)); });
}
template <typename F, typename Fn>
inline V128 FZip(V128 a, V128 b, Fn fn) {
  return Zip<F>(a, b, [&](F x, F y) { return Canon(fn(x, y)); });
}

// Narrowing: a's lanes then b's, each saturated into the narrow type.
template <typename Wide, typename Narrow>
inline V128 NarrowSat(V128 a, V128 b) {
  Lanes<Wide> x = Split<Wide>(a), y = Split<Wide>(b);
  Lanes<Narrow> r;
  for (size_t i = 0; i < x.size(); ++i) {
    r[i] = Sat<Narrow>(x[i]);
    r[i + x.size()] = Sat<Narrow>(y[i]);
  }
  return Join<Narrow>(r);
}

// Widening the low or high half of the narrow lanes.
template <typename Narrow, typename Wide>
inline V128 Extend(V128 a, bool high) {
  Lanes<Narrow> x = Split<Narrow>(a);
  Lanes<Wide> r;
  size_t base = high ? r.size() : 0;
  for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<Wide>(x[base + i]);
  return Join<Wide>(r);
}

template <typename Narrow, typename Wide>
inline V128 ExtMul(V128 a, V128 b, bool high) {
  Lanes<Narrow> x = Split<Narrow>(a), y = Split<Narrow>(b);
  Lanes<Wide> r;
  size_t base = high ? r.size() : 0;
  for (size_t i = 0; i < r.size(); ++i) {
    // Products are formed in the wide type: they cannot overflow it.
    r[i] = static_cast<Wide>(static_cast<Wide>(x[base + i]) * static_cast<Wide>(y[base + i]));
  }
  return Join<Wide>(r);
}

template <typename Narrow, typename Wide>
inline V128 ExtAddPairwise(V128 a) {
  Lanes<Narrow> x = Split<Narrow>(a);
  Lanes<Wide> r;
  for (size_t i = 0; i < r.size(); ++i) {
    r[i] = static_cast<Wide>(static_cast<Wide>(x[2 * i]) + static_cast<Wide>(x[2 * i + 1]));
  }
  return Join<Wide>(r);
}

template <typename T>
inline u32 Bitmask(V128 a) {
  using S = std::make_signed_t<T>;
  Lanes<S> x = Split<S>(a);
  u32 m = 0;
  for (size_t i = 0; i < x.size(); ++i) m |= static_cast<u32>(x[i] < 0) << i;
  return m;
}

template <typename T>
inline u32 AllTrue(V128 a) {
  for (T e : Split<T>(a)) {
    if (e == 0) return 0;
  }
  return 1;
}

template <typename T>
inline V128 Splat(T v) {
  Lanes<T> l;
  l.fill(v);
  return Join<T>(l);
}

template <typename T>
inline T Lane(V128 a, u32 i) {
  return Split<T>(a)[i];
}
template <typename T>
inline V128 WithLane(V128 a, u32 i, T v) {
  Lanes<T> l = Split<T>(a);
  l[i] = v;
  return Join<T>(l);
}

// Shifts take the count modulo the lane width.
template <typename T>
inline V128 Shl(V128 a, u32 n) {
  using U = std::make_unsigned_t<T>;
  u32 s = n % (8 * sizeof(T));
  return Map<U>(a, [s](U x) { return static_cast<U>(x << s); });
}
template <typename T>
inline V128 Shr(V128 a, u32 n) {
  u32 s = n % (8 * sizeof(T));
  return Map<T>(a, [s](T x) { return static_cast<T>(x >> s); });
}

template <typename T>
inline T WrapAbs(T x) {
  using U = std::make_unsigned_t<T>;
  return x < 0 ? static_cast<T>(U{0} - static_cast<U>(x)) : x;
}
template <typename T>
inline T WrapNeg(T x) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(U{0} - static_cast<U>(x));
}

template <typename F>
inline F FAbs(F x) {
  using U = std::conditional_t<sizeof(F) == 4, u32, u64>;
  return std::bit_cast<F>(static_cast<U>(std::bit_cast<U>(x) & ~(U{1} << (8 * sizeof(F) - 1))));
}
template <typename F>
inline F FNeg(F x) {
  using U = std::conditional_t<sizeof(F) == 4, u32, u64>;
  return std::bit_cast<F>(std::bit_cast<U>(x) ^ (U{1} << (8 * sizeof(F) - 1)));
}
// Wasm's pmin/pmax: pure selects, b only when the comparison holds.
template <typename F>
inline F PMin(F a, F b) {
  return b < a ? b : a;
}
template <typename F>
inline F PMax(F a, F b) {
  return a < b ? b : a;
}

inline V128 Bitselect(V128 a, V128 b, V128 c) {
  return {(a.lo & c.lo) | (b.lo & ~c.lo), (a.hi & c.hi) | (b.hi & ~c.hi)};
}

inline V128 Swizzle(V128 a, V128 idx) {
  Lanes<u8> x = Split<u8>(a), s = Split<u8>(idx), r;
  for (size_t i = 0; i < 16; ++i) r[i] = s[i] < 16 ? x[s[i]] : 0;
  return Join<u8>(r);
}

// `lanes` holds 16 indices below 32 (the validator checked) into a ++ b.
inline V128 Shuffle(V128 a, V128 b, V128 lanes) {
  Lanes<u8> x = Split<u8>(a), y = Split<u8>(b), s = Split<u8>(lanes), r;
  for (size_t i = 0; i < 16; ++i) r[i] = s[i] < 16 ? x[s[i]] : y[(s[i] - 16) & 15];
  return Join<u8>(r);
}

inline V128 Q15MulrSat(V128 a, V128 b) {
  return Zip<i16>(a, b, [](i16 x, i16 y) {
    return Sat<i16>((i64{x} * i64{y} + 0x4000) >> 15);
  });
}

inline V128 Dot(V128 a, V128 b) {
  Lanes<i16> x = Split<i16>(a), y = Split<i16>(b);
  Lanes<u32> r;
  for (size_t i = 0; i < 4; ++i) {
    r[i] = static_cast<u32>(i32{x[2 * i]} * i32{y[2 * i]}) +
           static_cast<u32>(i32{x[2 * i + 1]} * i32{y[2 * i + 1]});
  }
  return Join<u32>(r);
}

// Relaxed SIMD's multiply-add, unfused: a * b rounded, then + c rounded
// (`negate`: -(a * b) + c). C++ does not contract it into an FMA (ISO mode,
// -ffp-contract=off), so every host gives the same bits.
template <typename F>
inline V128 MulAdd(V128 a, V128 b, V128 c, bool negate) {
  Lanes<F> x = Split<F>(a), y = Split<F>(b), z = Split<F>(c);
  for (size_t i = 0; i < x.size(); ++i) {
    F p = x[i] * y[i];
    x[i] = Canon((negate ? -p : p) + z[i]);
  }
  return Join<F>(x);
}

// Relaxed dot products: both operands' bytes signed (the i7 operand's
// "implementation-defined" sign taken as signed), pairs summed and wrapped
// to 16 bits; the i32 form adds the pairs of pairs to c.
inline Lanes<i16> DotPairsI8(V128 a, V128 b) {
  Lanes<i8> x = Split<i8>(a), y = Split<i8>(b);
  Lanes<i16> r;
  for (size_t i = 0; i < 8; ++i) {
    r[i] = static_cast<i16>(static_cast<u16>(i32{x[2 * i]} * y[2 * i] +
                                             i32{x[2 * i + 1]} * y[2 * i + 1]));
  }
  return r;
}
inline V128 DotI8(V128 a, V128 b) { return Join<i16>(DotPairsI8(a, b)); }
inline V128 DotI8Add(V128 a, V128 b, V128 c) {
  Lanes<i16> p = DotPairsI8(a, b);
  Lanes<u32> z = Split<u32>(c);
  for (size_t i = 0; i < 4; ++i) {
    z[i] += static_cast<u32>(i32{p[2 * i]} + i32{p[2 * i + 1]});
  }
  return Join<u32>(z);
}

template <typename I, typename F>
inline V128 TruncSatLanes(V128 a) {
  Lanes<F> x = Split<F>(a);
  Lanes<I> r{};  // the f64x2 forms zero the upper two i32 lanes
  for (size_t i = 0; i < x.size(); ++i) r[i] = TruncSat<I>(x[i]);
  return Join<I>(r);
}

template <typename F>
inline F Nearest(F x) {
  return std::nearbyint(x);
}

inline V128 Demote(V128 a) {
  Lanes<f64> x = Split<f64>(a);
  Lanes<f32> r{};
  r[0] = Canon(static_cast<f32>(x[0]));
  r[1] = Canon(static_cast<f32>(x[1]));
  return Join<f32>(r);
}

inline V128 Promote(V128 a) {
  Lanes<f32> x = Split<f32>(a);
  return Join<f64>({Canon(static_cast<f64>(x[0])), Canon(static_cast<f64>(x[1]))});
}

template <typename I>
inline V128 ConvertLow(V128 a) {
  Lanes<I> x = Split<I>(a);
  return Join<f64>({static_cast<f64>(x[0]), static_cast<f64>(x[1])});
}

// Loads: `p` points at the AccessBytes of the op, already bounds-checked.
template <typename Narrow, typename Wide>
inline V128 LoadExtend(const u8* p) {
  std::array<Narrow, 8 / sizeof(Narrow)> n;
  std::memcpy(n.data(), p, 8);
  Lanes<Wide> r;
  for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<Wide>(n[i]);
  return Join<Wide>(r);
}
template <typename T>
inline V128 LoadSplat(const u8* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return Splat<T>(v);
}
template <typename T>
inline V128 LoadZero(const u8* p) {
  Lanes<T> r{};
  std::memcpy(&r[0], p, sizeof(T));
  return Join<T>(r);
}
inline V128 Load128(const u8* p) {
  V128 v;
  std::memcpy(&v.lo, p, 8);
  std::memcpy(&v.hi, p + 8, 8);
  return v;
}

}  // namespace deja::engine::simd
