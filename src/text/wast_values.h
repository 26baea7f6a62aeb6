// Values in WAST scripts: wabt's script constants turned into deja values,
// results matched against expectations (bit-exact, or a NaN class), and both
// printed for failure reports.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "deja/types.h"
#include "wabt/ir.h"

namespace deja::text {

// An argument constant as a deja value.
Result<Value> ConstToValue(const wabt::Const& c);

// True if `got` is what `expected` allows: the same type and, for numbers,
// the same bits, unless `expected` is nan:canonical or nan:arithmetic.
// An expected non-null funcref matches any non-null funcref.
bool MatchesExpected(const wabt::Const& expected, const Value& got);

// "i32:42", "f32:nan:canonical", "externref:3", "funcref:null".
std::string FormatConst(const wabt::Const& c);
std::string FormatConsts(std::span<const wabt::Const> consts);  // "(i32:1 f64:2.5)"

// Like Value::ToString, plus the raw bits of floats ("f32:nan (0x7fc00000)"),
// since NaN payloads and signed zeros matter.
std::string FormatValue(const Value& v);
std::string FormatValues(std::span<const Value> values);  // "(i32:1 f64:2.5 (0x...))"

}  // namespace deja::text
