#include "session/invoke_args.h"

#include <gtest/gtest.h>

#include "cli/duration.h"

namespace deja::cli {

using session::ExportedFunctions;
using session::FormatValueText;
using session::ParseArgs;
using session::ParseValue;
namespace {

Value Parse(ValType type, std::string_view text) {
  Result<Value> v = ParseValue(type, text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() ? *v : Value{};
}

TEST(ParseValue, Integers) {
  EXPECT_EQ(Parse(ValType::kI32, "42"), Value::I32(42));
  EXPECT_EQ(Parse(ValType::kI32, "-1"), Value::I32(0xffffffff));
  EXPECT_EQ(Parse(ValType::kI32, "4294967295"), Value::I32(0xffffffff));
  EXPECT_EQ(Parse(ValType::kI32, "-2147483648"), Value::I32(0x80000000));
  EXPECT_EQ(Parse(ValType::kI32, "0xff"), Value::I32(255));
  EXPECT_EQ(Parse(ValType::kI64, "-9223372036854775808"), Value::I64(1ull << 63));
  EXPECT_EQ(Parse(ValType::kI64, "18446744073709551615"), Value::I64(~0ull));
  for (const char* bad : {"", "-", "0x", "1.5", "12abc", "4294967296", "-2147483649", " 1"}) {
    Result<Value> v = ParseValue(ValType::kI32, bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), Status::Code::kInvalidArgument);
  }
}

TEST(ParseValue, FloatsKeepTheirBits) {
  EXPECT_EQ(Parse(ValType::kF32, "1.5"), Value::F32(1.5f));
  EXPECT_EQ(Parse(ValType::kF64, "-0"), Value::F64Bits(0x8000000000000000));
  EXPECT_EQ(Parse(ValType::kF64, "0x1p-2"), Value::F64(0.25));
  EXPECT_EQ(Parse(ValType::kF32, "-inf"), Value::F32Bits(0xff800000));
  EXPECT_EQ(Parse(ValType::kF32, "nan"), Value::F32Bits(0x7fc00000));
  EXPECT_EQ(Parse(ValType::kF32, "nan:0x1"), Value::F32Bits(0x7f800001));
  EXPECT_EQ(Parse(ValType::kF64, "-nan:0x4"), Value::F64Bits(0xfff0000000000004));
  EXPECT_FALSE(ParseValue(ValType::kF32, "nan:0x800000").ok());  // payload too wide
  EXPECT_FALSE(ParseValue(ValType::kF32, "nan:0").ok());         // that is infinity
  EXPECT_FALSE(ParseValue(ValType::kF64, "1.5x").ok());
}

TEST(ParseValue, References) {
  EXPECT_EQ(Parse(ValType::kFuncRef, "null"), Value::NullRef(ValType::kFuncRef));
  EXPECT_EQ(Parse(ValType::kExternRef, "7"), Value::Extern(7));
  EXPECT_FALSE(ParseValue(ValType::kFuncRef, "7").ok());
}

TEST(FormatValueText, RoundTripsThroughParseValue) {
  EXPECT_EQ(FormatValueText(Value::I32(0xffffffff)), "-1");
  EXPECT_EQ(FormatValueText(Value::I64(5)), "5");
  EXPECT_EQ(FormatValueText(Value::F32(0.1f)), "0.1");
  EXPECT_EQ(FormatValueText(Value::F64Bits(0x8000000000000000)), "-0");
  EXPECT_EQ(FormatValueText(Value::F32Bits(0xffc00000)), "-nan");
  EXPECT_EQ(FormatValueText(Value::F32Bits(0x7fa00000)), "nan:0x200000");
  EXPECT_EQ(FormatValueText(Value::F64Bits(0x7ff0000000000001)), "nan:0x0000000000001");
  EXPECT_EQ(FormatValueText(Value::NullRef(ValType::kExternRef)), "null");
  EXPECT_EQ(FormatValueText(Value::Extern(3)), "externref:3");
  for (Value v :
       {Value::F32Bits(0x7fa00000), Value::F64(1e-300), Value::F64Bits(0xfff8000000000000)}) {
    EXPECT_EQ(Parse(v.type, FormatValueText(v)), v) << FormatValueText(v);
  }
}

TEST(ParseDuration, Units) {
  using std::chrono::milliseconds;
  EXPECT_EQ(*ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("2s"), milliseconds(2000));
  EXPECT_EQ(*ParseDuration("1.5m"), milliseconds(90'000));
  EXPECT_EQ(*ParseDuration("3"), milliseconds(3000));
  EXPECT_EQ(*ParseDuration("1h"), milliseconds(3'600'000));
  for (const char* bad : {"", "ms", "-1s", "5 s", "5d", "1e20s"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace deja::cli
