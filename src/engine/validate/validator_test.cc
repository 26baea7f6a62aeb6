// Module-level validation rules: limits, memories, globals and constant
// expressions, exports, start, segments and declared function references.
#include "engine/validate/validator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/validate/validator_test_util.h"

namespace deja::engine {
namespace {

using vtest::IsInvalid;
using vtest::IsValid;
using vtest::ValidateWat;

// A module big enough (over kParallelMinBodyBytes of bodies) that its
// functions are validated on several threads: the error reported must still
// be the first invalid function in index order, whatever the timing.
std::vector<u8> ManyFunctionsModule(u32 count, const std::vector<u32>& invalid) {
  auto leb = [](std::vector<u8>* out, u64 v) {
    do {
      u8 b = v & 0x7f;
      v >>= 7;
      out->push_back(v ? (b | 0x80) : b);
    } while (v);
  };
  std::vector<u8> m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  for (u8 b : {0x01, 0x04, 0x01, 0x60, 0x00, 0x00}) m.push_back(b);  // type 0: [] -> []
  std::vector<u8> funcs;
  leb(&funcs, count);
  funcs.insert(funcs.end(), count, 0x00);
  m.push_back(0x03);
  leb(&m, funcs.size());
  m.insert(m.end(), funcs.begin(), funcs.end());
  std::vector<u8> code;
  leb(&code, count);
  for (u32 i = 0; i < count; ++i) {
    std::vector<u8> body = {0x00};        // no locals
    body.insert(body.end(), 500, 0x01);  // nop
    if (std::find(invalid.begin(), invalid.end(), i) != invalid.end()) {
      body.push_back(0x1a);  // drop with an empty stack
    }
    body.push_back(0x0b);
    leb(&code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  m.push_back(0x0a);
  leb(&m, code.size());
  m.insert(m.end(), code.begin(), code.end());
  return m;
}

TEST(ValidateModule, LargeModuleReportsTheFirstInvalidFunction) {
  constexpr u32 kCount = 4000;  // 2 MB of bodies
  EXPECT_TRUE(IsValid(vtest::ValidateBinary(ManyFunctionsModule(kCount, {}))));
  for (const std::vector<u32>& invalid :
       {std::vector<u32>{3999}, {0, 3999}, {1234, 17, 3000}, {2001, 2000}, {15, 16}}) {
    u32 first = *std::min_element(invalid.begin(), invalid.end());
    Status st = vtest::ValidateBinary(ManyFunctionsModule(kCount, invalid));
    EXPECT_TRUE(IsInvalid(st, "type mismatch")) << first;
    EXPECT_EQ(st.message().rfind("func " + std::to_string(first) + " ", 0), 0u)
        << st.ToString();
  }
}

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
  // i32.add is constant since extended-const; i32.div_s is not.
  EXPECT_TRUE(
      IsInvalid(ValidateWat("(module (global i32 (i32.div_s (i32.const 1) (i32.const 2))))"),
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
