// Module-level validation rules: limits, memories, globals and constant
// expressions, exports, start, segments and declared function references.
#include "engine/validate/validator.h"

#include <gtest/gtest.h>

#include "engine/validate/validator_test_util.h"

namespace deja::engine {
namespace {

using vtest::IsInvalid;
using vtest::IsValid;
using vtest::ValidateWat;

TEST(ValidateModule, AcceptsAModuleUsingEveryKindOfItem) {
  EXPECT_TRUE(IsValid(ValidateWat(R"(
    (module
      (import "env" "g" (global $g i32))
      (import "env" "f" (func $imp (param i32) (result i32)))
      (memory 1 2)
      (table $t 2 funcref)
      (global $m (mut i64) (i64.const 7))
      (global $c i32 (global.get $g))
      (global $r funcref (ref.func $f))
      (func $f (export "f") (result i32) (call $imp (global.get $c)))
      (func $start)
      (start $start)
      (elem (table $t) (global.get $g) func $f)
      (data (i32.const 8) "hi")
      (export "mem" (memory 0)))
  )")));
}

TEST(ValidateModule, AtMostOneMemory) {
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (memory 1) (memory 1)))"), "multiple memories"));
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (import "a" "m" (memory 1)) (memory 1)))"),
                        "multiple memories"));
}

TEST(ValidateModule, MemoryLimits) {
  EXPECT_TRUE(IsValid(ValidateWat("(module (memory 65536))")));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (memory 65537))"),
                        "memory size must be at most 65536 pages (4GiB)"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (memory 0 65537))"),
                        "memory size must be at most 65536 pages (4GiB)"));
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (import "a" "m" (memory 65537))))"),
                        "memory size must be at most 65536 pages (4GiB)"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (memory 2 1))"),
                        "memory 0: size minimum must not be greater than maximum"));
}

TEST(ValidateModule, TableLimits) {
  EXPECT_TRUE(IsValid(ValidateWat("(module (table 1 1 funcref))")));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (table 2 1 funcref))"),
                        "table 0: size minimum must not be greater than maximum"));
}

TEST(ValidateModule, GlobalInitializerMustHaveTheGlobalsType) {
  EXPECT_TRUE(IsValid(ValidateWat("(module (global f64 (f64.const 1)))")));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (global i32 (i64.const 0)))"), "type mismatch"));
  EXPECT_TRUE(
      IsInvalid(ValidateWat("(module (global i32 (i32.const 0) (i32.const 0)))"), "type mismatch"));
  EXPECT_TRUE(
      IsInvalid(ValidateWat("(module (global externref (ref.null func)))"), "type mismatch"));
}

TEST(ValidateModule, GlobalInitializerMustBeConstant) {
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))"),
                        "constant expression required"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (global i32 (nop) (i32.const 1)))"),
                        "constant expression required"));
}

TEST(ValidateModule, ConstantGlobalGetNamesAnImportedImmutableGlobal) {
  EXPECT_TRUE(IsValid(
      ValidateWat(R"((module (import "a" "g" (global i32)) (global i32 (global.get 0))))")));
  EXPECT_TRUE(IsInvalid(
      ValidateWat(R"((module (import "a" "g" (global (mut i32))) (global i32 (global.get 0))))"),
      "constant expression required"));
  EXPECT_TRUE(
      IsInvalid(ValidateWat("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))"),
                "unknown global 0"));
  EXPECT_TRUE(IsInvalid(
      ValidateWat(R"((module (import "a" "g" (global i32)) (global i32 (global.get 1))))"),
      "unknown global 1"));
}

TEST(ValidateModule, ConstantRefFuncNamesAKnownFunction) {
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (global funcref (ref.func 3)) (func))"),
                        "unknown function 3"));
}

TEST(ValidateModule, ExportNamesAreUnique) {
  EXPECT_TRUE(IsValid(ValidateWat(R"((module (func (export "a")) (func (export "b"))))")));
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (func (export "a")) (func (export "a"))))"),
                        "export 1 \"a\": duplicate export name"));
  EXPECT_TRUE(
      IsInvalid(ValidateWat(R"((module (memory 1) (func (export "m")) (export "m" (memory 0))))"),
                "duplicate export name"));
}

TEST(ValidateModule, ExportIndicesMustExist) {
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (export "a" (func 0))))"), "unknown function 0"));
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (export "a" (table 0))))"), "unknown table 0"));
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (export "a" (memory 0))))"), "unknown memory 0"));
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (export "a" (global 0))))"), "unknown global 0"));
}

TEST(ValidateModule, StartFunctionTakesAndReturnsNothing) {
  EXPECT_TRUE(IsValid(ValidateWat("(module (func $s) (start $s))")));
  EXPECT_TRUE(
      IsInvalid(ValidateWat("(module (func $s (param i32)) (start $s))"), "start function"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (func $s (result i32) i32.const 0) (start $s))"),
                        "start function"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (start 1) (func))"), "unknown function 1"));
}

TEST(ValidateModule, ActiveElemSegmentNeedsAMatchingTable) {
  EXPECT_TRUE(
      IsInvalid(ValidateWat("(module (func $f) (elem (i32.const 0) $f))"), "unknown table 0"));
  EXPECT_TRUE(IsInvalid(
      ValidateWat("(module (table 1 funcref) (elem (i32.const 0) externref (ref.null extern)))"),
      "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (table 1 funcref) (func $f) (elem (i64.const 0) $f))"),
                        "type mismatch"));
  EXPECT_TRUE(IsValid(ValidateWat(
      "(module (table 1 externref) (elem (i32.const 0) externref (ref.null extern)))")));
}

TEST(ValidateModule, ModuleLevelMessagesNameTheOffset) {
  Result<std::vector<u8>> wasm = text::WatToWasm("(module (global i32 (i64.const 0)))");
  ASSERT_TRUE(wasm.ok());
  Status s = vtest::ValidateBinary(*wasm);
  ASSERT_TRUE(IsInvalid(s, "type mismatch"));
  ASSERT_TRUE(s.message().starts_with("offset 0x")) << s.message();
  size_t offset = std::stoul(std::string(s.message().substr(7)), nullptr, 16);
  ASSERT_LT(offset, wasm->size());
  EXPECT_EQ((*wasm)[offset], 0x42) << "offset should point at i64.const";
}

TEST(ValidateModule, ElemInitializersHaveTheSegmentsType) {
  EXPECT_TRUE(
      IsValid(ValidateWat("(module (func $f) (elem funcref (ref.func $f) (ref.null func)))")));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (elem funcref (ref.null extern)))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (elem funcref (i32.const 0)))"), "type mismatch"));
}

TEST(ValidateModule, ActiveDataSegmentNeedsAMemory) {
  EXPECT_TRUE(IsInvalid(ValidateWat(R"((module (data (i32.const 0) "x")))"), "unknown memory 0"));
  EXPECT_TRUE(
      IsInvalid(ValidateWat(R"((module (memory 1) (data (i64.const 0) "x")))"), "type mismatch"));
  EXPECT_TRUE(IsValid(ValidateWat(R"((module (data "passive needs no memory")))")));
}

TEST(ValidateModule, RefFuncInABodyNeedsADeclaredFunction) {
  const char* kBody = "(func $g (result funcref) (ref.func $f))";
  EXPECT_TRUE(IsInvalid(ValidateWat(std::string("(module (func $f) ") + kBody + ")"),
                        "undeclared function reference"));
  EXPECT_TRUE(
      IsValid(ValidateWat(std::string("(module (func $f) (elem declare func $f) ") + kBody + ")")));
  EXPECT_TRUE(
      IsValid(ValidateWat(std::string(R"((module (func $f (export "f")) )") + kBody + ")")));
  EXPECT_TRUE(IsValid(
      ValidateWat(std::string("(module (func $f) (global funcref (ref.func $f)) ") + kBody + ")")));
  // The start section does not declare a function.
  EXPECT_TRUE(IsInvalid(ValidateWat(std::string("(module (func $f) (start $f) ") + kBody + ")"),
                        "undeclared function reference"));
}

}  // namespace
}  // namespace deja::engine
