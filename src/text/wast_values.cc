#include "text/wast_values.h"

#include <cinttypes>
#include <cstdio>

#include "text/wast_simd.h"

namespace deja::text {
namespace {

constexpr u32 kF32SignMask = 0x8000'0000u;
constexpr u32 kF32CanonicalNan = 0x7fc0'0000u;  // exponent all ones, quiet bit only
constexpr u64 kF64SignMask = 0x8000'0000'0000'0000ull;
constexpr u64 kF64CanonicalNan = 0x7ff8'0000'0000'0000ull;

bool IsNullConst(const wabt::Const& c) { return c.ref_bits() == wabt::Const::kRefNullBits; }

// Per the spec: a canonical NaN has only the quiet bit set in its payload; an
// arithmetic NaN has at least the quiet bit set. The sign is free in both.
bool MatchesNan(wabt::ExpectedNan nan, u64 bits, u64 sign_mask, u64 canonical) {
  u64 magnitude = bits & ~sign_mask;
  if (nan == wabt::ExpectedNan::Canonical) return magnitude == canonical;
  return (magnitude & canonical) == canonical;
}

const char* NanName(wabt::ExpectedNan nan) {
  return nan == wabt::ExpectedNan::Canonical ? "nan:canonical" : "nan:arithmetic";
}

bool MatchesRef(const wabt::Const& expected, const Value& got, ValType type) {
  if (got.type != type) return false;
  if (IsNullConst(expected)) return got.is_null();
  if (type == ValType::kFuncRef) return !got.is_null();
  return !got.is_null() && got.extern_payload() == expected.ref_bits();
}

}  // namespace

Result<Value> ConstToValue(const wabt::Const& c) {
  switch (c.type()) {
    case wabt::Type::I32:
      return Value::I32(c.u32());
    case wabt::Type::I64:
      return Value::I64(c.u64());
    case wabt::Type::F32:
      return Value::F32Bits(c.f32_bits());
    case wabt::Type::F64:
      return Value::F64Bits(c.f64_bits());
    case wabt::Type::FuncRef:
      if (IsNullConst(c)) return Value::NullRef(ValType::kFuncRef);
      return Status::Unsupported("a non-null funcref cannot be written as an argument");
    case wabt::Type::ExternRef:
      if (IsNullConst(c)) return Value::NullRef(ValType::kExternRef);
      return Value::Extern(c.ref_bits());
    case wabt::Type::V128:
      return V128ConstToValue(c);
    default:
      break;
  }
  return Status::Unsupported("unsupported constant type " + std::string(c.type().GetName()));
}

bool MatchesExpected(const wabt::Const& expected, const Value& got) {
  switch (expected.type()) {
    case wabt::Type::I32:
      return got.type == ValType::kI32 && got.i32() == expected.u32();
    case wabt::Type::I64:
      return got.type == ValType::kI64 && got.i64() == expected.u64();
    case wabt::Type::F32:
      if (got.type != ValType::kF32) return false;
      if (expected.is_expected_nan()) {
        return MatchesNan(expected.expected_nan(), got.i32(), kF32SignMask, kF32CanonicalNan);
      }
      return got.i32() == expected.f32_bits();
    case wabt::Type::F64:
      if (got.type != ValType::kF64) return false;
      if (expected.is_expected_nan()) {
        return MatchesNan(expected.expected_nan(), got.i64(), kF64SignMask, kF64CanonicalNan);
      }
      return got.i64() == expected.f64_bits();
    case wabt::Type::FuncRef:
      return MatchesRef(expected, got, ValType::kFuncRef);
    case wabt::Type::ExternRef:
      return MatchesRef(expected, got, ValType::kExternRef);
    case wabt::Type::V128:
      return MatchesV128(expected, got);
    default:
      return false;
  }
}

std::string FormatConst(const wabt::Const& c) {
  switch (c.type()) {
    case wabt::Type::F32:
      if (c.is_expected_nan()) return std::string("f32:") + NanName(c.expected_nan());
      return FormatValue(Value::F32Bits(c.f32_bits()));
    case wabt::Type::F64:
      if (c.is_expected_nan()) return std::string("f64:") + NanName(c.expected_nan());
      return FormatValue(Value::F64Bits(c.f64_bits()));
    case wabt::Type::FuncRef:
      return IsNullConst(c) ? "funcref:null" : "funcref:<any non-null>";
    case wabt::Type::V128:
      return FormatV128Const(c);
    default:
      break;
  }
  Result<Value> v = ConstToValue(c);
  return v.ok() ? FormatValue(*v) : std::string(c.type().GetName());
}

std::string FormatConsts(std::span<const wabt::Const> consts) {
  std::string s = "(";
  for (size_t i = 0; i < consts.size(); ++i) s += (i ? " " : "") + FormatConst(consts[i]);
  return s + ")";
}

std::string FormatValue(const Value& v) {
  char bits[32];
  if (v.type == ValType::kF32) {
    std::snprintf(bits, sizeof bits, " (0x%08" PRIx32 ")", v.i32());
  } else if (v.type == ValType::kF64) {
    std::snprintf(bits, sizeof bits, " (0x%016" PRIx64 ")", v.i64());
  } else {
    return v.ToString();
  }
  return v.ToString() + bits;
}

std::string FormatValues(std::span<const Value> values) {
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? " " : "") + FormatValue(values[i]);
  return s + ")";
}

}  // namespace deja::text
