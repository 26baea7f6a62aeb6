#include "text/wast_values.h"

#include <gtest/gtest.h>

namespace deja::text {
namespace {

wabt::Const NanConst(wabt::Type type, wabt::ExpectedNan nan) {
  wabt::Const c;
  if (type == wabt::Type::F32) {
    c.set_f32(nan);
  } else {
    c.set_f64(nan);
  }
  return c;
}

wabt::Const ExternConst(uintptr_t payload) {
  wabt::Const c;
  c.set_externref(payload);
  return c;
}

wabt::Const NullConst(wabt::Type type) {
  wabt::Const c;
  c.set_null(type);
  return c;
}

TEST(MatchesExpected, IntegersNeedTheSameBitsAndType) {
  EXPECT_TRUE(MatchesExpected(wabt::Const::I32(7), Value::I32(7)));
  EXPECT_FALSE(MatchesExpected(wabt::Const::I32(7), Value::I32(8)));
  EXPECT_FALSE(MatchesExpected(wabt::Const::I32(7), Value::I64(7)));
  EXPECT_TRUE(MatchesExpected(wabt::Const::I64(~0ull), Value::I64(~0ull)));
}

TEST(MatchesExpected, FloatsCompareBitsNotValues) {
  EXPECT_TRUE(MatchesExpected(wabt::Const::F32(0x3fc00000), Value::F32(1.5f)));
  // +0 and -0 are equal as numbers but not as results.
  EXPECT_FALSE(MatchesExpected(wabt::Const::F32(0x80000000), Value::F32Bits(0)));
  EXPECT_FALSE(MatchesExpected(wabt::Const::F64(0x8000000000000000), Value::F64Bits(0)));
  // A NaN literal with a payload must match exactly.
  EXPECT_TRUE(MatchesExpected(wabt::Const::F32(0x7fa00000), Value::F32Bits(0x7fa00000)));
  EXPECT_FALSE(MatchesExpected(wabt::Const::F32(0x7fa00000), Value::F32Bits(0x7fc00000)));
}

TEST(MatchesExpected, CanonicalNanAllowsOnlyTheQuietBitAndAnySign) {
  wabt::Const f32 = NanConst(wabt::Type::F32, wabt::ExpectedNan::Canonical);
  EXPECT_TRUE(MatchesExpected(f32, Value::F32Bits(0x7fc00000)));
  EXPECT_TRUE(MatchesExpected(f32, Value::F32Bits(0xffc00000)));
  EXPECT_FALSE(MatchesExpected(f32, Value::F32Bits(0x7fc00001)));
  EXPECT_FALSE(MatchesExpected(f32, Value::F32Bits(0x7f800000)));  // infinity
  wabt::Const f64 = NanConst(wabt::Type::F64, wabt::ExpectedNan::Canonical);
  EXPECT_TRUE(MatchesExpected(f64, Value::F64Bits(0xfff8000000000000)));
  EXPECT_FALSE(MatchesExpected(f64, Value::F64Bits(0x7ff8000000000001)));
  EXPECT_FALSE(MatchesExpected(f64, Value::F32Bits(0x7fc00000)));  // wrong type
}

TEST(MatchesExpected, ArithmeticNanNeedsTheQuietBit) {
  wabt::Const f32 = NanConst(wabt::Type::F32, wabt::ExpectedNan::Arithmetic);
  EXPECT_TRUE(MatchesExpected(f32, Value::F32Bits(0x7fc00000)));
  EXPECT_TRUE(MatchesExpected(f32, Value::F32Bits(0xffe00001)));
  EXPECT_FALSE(MatchesExpected(f32, Value::F32Bits(0x7fa00000)));  // signalling
  wabt::Const f64 = NanConst(wabt::Type::F64, wabt::ExpectedNan::Arithmetic);
  EXPECT_TRUE(MatchesExpected(f64, Value::F64Bits(0x7ffc000000000000)));
  EXPECT_FALSE(MatchesExpected(f64, Value::F64Bits(0x7ff4000000000000)));
}

TEST(MatchesExpected, References) {
  EXPECT_TRUE(MatchesExpected(ExternConst(3), Value::Extern(3)));
  EXPECT_FALSE(MatchesExpected(ExternConst(3), Value::Extern(4)));
  EXPECT_FALSE(MatchesExpected(ExternConst(0), Value::NullRef(ValType::kExternRef)));
  EXPECT_TRUE(
      MatchesExpected(NullConst(wabt::Type::ExternRef), Value::NullRef(ValType::kExternRef)));
  EXPECT_FALSE(
      MatchesExpected(NullConst(wabt::Type::FuncRef), Value::NullRef(ValType::kExternRef)));
  EXPECT_FALSE(MatchesExpected(NullConst(wabt::Type::FuncRef), Value{ValType::kFuncRef, 5, 0}));
}

TEST(ConstToValue, ConvertsArguments) {
  EXPECT_EQ(*ConstToValue(wabt::Const::I32(5)), Value::I32(5));
  EXPECT_EQ(*ConstToValue(wabt::Const::F64(0x3ff8000000000000)), Value::F64(1.5));
  EXPECT_EQ(*ConstToValue(ExternConst(0)), Value::Extern(0));
  EXPECT_EQ(*ConstToValue(NullConst(wabt::Type::FuncRef)), Value::NullRef(ValType::kFuncRef));
  ::v128 bits;
  bits.set_u64(0, 0x0706050403020100ull);
  bits.set_u64(1, 0x0f0e0d0c0b0a0908ull);
  Result<Value> v128 = ConstToValue(wabt::Const::V128(bits));
  ASSERT_TRUE(v128.ok()) << v128.status().ToString();
  EXPECT_EQ(*v128, (Value{ValType::kV128, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull}));
}

TEST(Format, ShowsFloatBitsAndNanClasses) {
  EXPECT_EQ(FormatValue(Value::F32Bits(0x7fc00000)), "f32:nan (0x7fc00000)");
  EXPECT_EQ(FormatConst(NanConst(wabt::Type::F64, wabt::ExpectedNan::Arithmetic)),
            "f64:nan:arithmetic");
  std::vector<Value> values = {Value::I32(1), Value::NullRef(ValType::kFuncRef)};
  EXPECT_EQ(FormatValues(values), "(i32:1 funcref:null)");
}

}  // namespace
}  // namespace deja::text
