// extended-const: arithmetic in constant expressions, evaluated at
// instantiation, and refused naming where when the feature is turned off.
#include <gtest/gtest.h>

#include "engine/exec/exec_test_util.h"

namespace deja::engine {
namespace {

using testing::Call1;
using testing::LoadWat;

constexpr std::string_view kModule = R"((module
  (import "env" "base" (global $base i32))
  (global $wide i64 (i64.sub (i64.mul (i64.const 0x100000000) (i64.const 3)) (i64.const 1)))
  (global $wrap i32 (i32.mul (i32.const 0x10000) (i32.const 0x10001)))
  (memory 1)
  (data (i32.add (global.get $base) (i32.const 4)) "\2a")
  (func (export "wide") (result i64) (global.get $wide))
  (func (export "wrap") (result i32) (global.get $wrap))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))))";

TEST(ExtendedConstTest, ArithmeticInGlobalsAndOffsetsIsEvaluated) {
  Store store;
  Result<Extern> base = store.AddGlobal({ValType::kI32, false}, Value::I32(16));
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  InstanceId inst = LoadWat(store, kModule, {*base});
  EXPECT_EQ(Call1(store, inst, "wide", {}), Value::I64(0x2ffffffffLL));
  // 0x10000 * 0x10001 wraps to 0x10000 in 32 bits.
  EXPECT_EQ(Call1(store, inst, "wrap", {}), Value::I32(0x10000));
  EXPECT_EQ(Call1(store, inst, "byte", {Value::I32(20)}), Value::I32(42));
}

TEST(ExtendedConstTest, TurnedOffIsRefusedNamingWhere) {
  Result<std::vector<u8>> wasm = text::WatToWasm(kModule);
  ASSERT_TRUE(wasm.ok()) << wasm.status().ToString();
  CompileOptions options;
  options.features.set(Feature::kExtendedConst, false);
  Result<deja::Module> m = deja::Module::Compile(*wasm, options);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(m.status().message().find("feature turned off: extended-const (i64.mul in a "
                                      "constant expression) in global 1 initializer offset 0x"),
            std::string::npos)
      << m.status().ToString();
  EXPECT_TRUE(deja::Module::Compile(*wasm).ok());
}

TEST(ExtendedConstTest, OperandsMustMatch) {
  for (std::string_view wat : {"(module (global i32 (i32.add (i32.const 1))))",
                               "(module (global i32 (i32.add (i64.const 1) (i64.const 2))))",
                               "(module (global i64 (i32.add (i32.const 1) (i32.const 2))))"}) {
    Result<std::vector<u8>> wasm = text::WatToWasm(wat);
    ASSERT_TRUE(wasm.ok()) << wasm.status().ToString();
    Result<deja::Module> m = deja::Module::Compile(*wasm);
    ASSERT_FALSE(m.ok()) << wat;
    EXPECT_NE(m.status().message().find("type mismatch"), std::string::npos)
        << m.status().ToString();
  }
}

}  // namespace
}  // namespace deja::engine
