// v128 constants of WAST scripts (the SIMD spec files): arguments, and
// expected results whose float lanes may each be nan:canonical or
// nan:arithmetic.
#pragma once

#include <string>

#include "base/types.h"
#include "deja/types.h"
#include "wabt/ir.h"

namespace deja::text {

// `c` must have type V128.
Value V128ConstToValue(const wabt::Const& c);
// Per lane: float lanes with an expected NaN class match any NaN of that
// class, every other lane matches its exact bits.
bool MatchesV128(const wabt::Const& expected, const Value& got);
// "v128:f32x4 1 nan:canonical ..." with each lane's bits.
std::string FormatV128Const(const wabt::Const& c);

}  // namespace deja::text
