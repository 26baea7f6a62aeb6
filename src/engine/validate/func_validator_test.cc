// Function body validation: operand typing, structured control, branches,
// variables, calls, references, tables, memory and bulk operations.
#include "engine/validate/func_validator.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/validate/validator_test_util.h"

namespace deja::engine {
namespace {

using vtest::IsInvalid;
using vtest::IsValid;
using vtest::ValidateBinary;
using vtest::ValidateWat;

// A module around one function (plus a memory, a funcref table and an
// externref table, a passive data and elem segment for bulk operations).
Status ValidateFunc(const std::string& func) {
  return ValidateWat(R"((module
      (memory 1)
      (table $ft 1 funcref)
      (table $et 1 externref)
      (global $gi i32 (i32.const 0))
      (global $gm (mut i32) (i32.const 0))
      (data $d "abc")
      (elem $e funcref (ref.null func))
      (elem $x externref (ref.null extern))
      )" + func + ")");
}

TEST(ValidateFunction, MessageNamesTheFunctionAndTheInstructionOffset) {
  Result<std::vector<u8>> wasm = text::WatToWasm(R"((module
      (import "a" "b" (func))
      (func (result i32) (i32.add (i32.const 1) (i64.const 2)))))");
  ASSERT_TRUE(wasm.ok());
  Status s = ValidateBinary(*wasm);
  ASSERT_TRUE(IsInvalid(s, "type mismatch"));
  std::string_view message = s.message();
  ASSERT_TRUE(message.starts_with("func 1 offset 0x")) << message;
  size_t offset = std::stoul(std::string(message.substr(16)), nullptr, 16);
  ASSERT_LT(offset, wasm->size());
  EXPECT_EQ((*wasm)[offset], 0x6a) << "offset should point at i32.add";
}

TEST(ValidateFunction, NumericOperandsAndResults) {
  EXPECT_TRUE(IsValid(ValidateFunc("(func (result i64) (i64.add (i64.const 1) (i64.const 2)))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (i32.add (i32.const 1) (f32.const 2)))"),
                        "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (i32.eqz))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (i64.const 0))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (i32.const 0))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result f64) (f32.const 0) (f64.promote_f32) "
                                     "(i64.reinterpret_f64))"),
                        "type mismatch"));
}

TEST(ValidateFunction, BlocksTakeAndProduceTheirTypes) {
  EXPECT_TRUE(IsValid(ValidateFunc(
      "(type $t (func (param i32 i64) (result i64 i32)))"
      "(func (result i64 i32) (i32.const 1) (i64.const 2)"
      "  (block (type $t) (param i32 i64) (result i64 i32) (drop) (drop) (i64.const 3) "
      "(i32.const 4)))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (block (result i32)))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (block (i32.const 1)))"), "type mismatch"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (f32.const 0) (block (param i32) (drop)))"), "type mismatch"));
  // block (type 99) with no such type (0x02, s33 99), which text tools refuse.
  EXPECT_TRUE(
      IsInvalid(ValidateBinary(vtest::OneFunctionModule({0x00, 0x02, 0xe3, 0x00, 0x0b, 0x0b})),
                "unknown type 99"));
  EXPECT_TRUE(
      IsValid(ValidateFunc("(func (result i32) (i32.const 1) (loop (param i32) (result i32)))")));
}

TEST(ValidateFunction, IfElseArity) {
  EXPECT_TRUE(
      IsValid(ValidateFunc("(func (result i32) (if (result i32) (i32.const 1) (then (i32.const 2)) "
                           "(else (i32.const 3))))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (if (result i32) (i32.const 1) "
                                     "(then (i32.const 2))))"),
                        "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (if (i64.const 1) (then)))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (if (result i32) (i32.const 1) "
                                     "(then (i32.const 2)) (else (i64.const 3))))"),
                        "type mismatch"));
  // Without else, parameters flow through as results when the types agree.
  EXPECT_TRUE(IsValid(ValidateFunc(
      "(func (result i32) (i32.const 5) (if (param i32) (result i32) (i32.const 1) (then)))")));
}

TEST(ValidateFunction, Branches) {
  EXPECT_TRUE(
      IsValid(ValidateFunc("(func (result i32) (block (result i32) (br 0 (i32.const 1))))")));
  EXPECT_TRUE(IsValid(ValidateFunc("(func (result i32) (br 0 (i32.const 1)))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (block (br 2)))"), "unknown label 2"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (block (result i32) "
                                     "(br_if 0 (f32.const 1) (i32.const 1))))"),
                        "type mismatch"));
  EXPECT_TRUE(IsValid(ValidateFunc(
      "(func (result i32) (block (result i32) (br_if 0 (i32.const 1) (i32.const 1))))")));
  // A loop's label takes the loop's parameters, not its results.
  EXPECT_TRUE(
      IsValid(ValidateFunc("(func (result i32) (f32.const 0) (block (param f32) "
                           "(result i32) (drop) (br 0 (i32.const 1))))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (f32.const 0) (loop (param f32) "
                                     "(result i32) (drop) (br 0 (i32.const 1))))"),
                        "type mismatch"));
}

TEST(ValidateFunction, BrTableTargetsAgree) {
  EXPECT_TRUE(
      IsValid(ValidateFunc("(func (result i32) (block (result i32) (block (result i32) "
                           "(br_table 0 1 (i32.const 7) (i32.const 0)))))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (block (result i32) (block "
                                     "(br_table 0 1 (i32.const 7) (i32.const 0))) (i32.const 1)))"),
                        "type mismatch"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (block (br_table 0 3 (i32.const 0))))"), "unknown label 3"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (block (br_table 0 (i64.const 0))))"), "type mismatch"));
  // In unreachable code the operands are unknown: targets of different types
  // are fine (the unknown operand matches both), different arities are not.
  EXPECT_TRUE(IsValid(
      ValidateFunc("(func (block (result f32) (block (result i64) (unreachable) (br_table 0 1 0 "
                   "(i32.const 1))) (drop) (f32.const 0)) (drop))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (block (block (result f32) (unreachable) (br_table 0 1 "
                                     "0 (i32.const 1))) (drop)))"),
                        "type mismatch"));
  EXPECT_TRUE(IsInvalid(
      ValidateFunc("(func (result i32) (block (result i32) (unreachable) (br_table 0 (f32.const 0) "
                   "(i32.const 1))))"),
      "type mismatch"));
}

TEST(ValidateFunction, UnreachableCodeIsPolymorphic) {
  EXPECT_TRUE(IsValid(ValidateFunc("(func (result i32) (unreachable) (i32.add) )")));
  EXPECT_TRUE(IsValid(ValidateFunc("(func (result f64) (return (f64.const 1)) (i32.add) (drop))")));
  EXPECT_TRUE(IsValid(ValidateFunc("(func (unreachable) (select) (drop))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result f64) (return (f64.const 1)) (i32.add))"),
                        "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (result i32) (unreachable) (i64.const 0) (i32.add))"),
                        "type mismatch"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (result i32) (unreachable) (i64.const 0))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (unreachable) (ref.null func) (i32.const 0) (select) "
                                     "(drop))"),
                        "type mismatch"));
}

TEST(ValidateFunction, Return) {
  EXPECT_TRUE(IsValid(ValidateFunc(
      "(func (result i32 i64) (block (return (i32.const 1) (i64.const 2))) (unreachable))")));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (result i32) (return (i64.const 1)))"), "type mismatch"));
}

TEST(ValidateFunction, Select) {
  EXPECT_TRUE(IsValid(
      ValidateFunc("(func (result f32) (select (f32.const 1) (f32.const 2) (i32.const 0)))")));
  EXPECT_TRUE(IsInvalid(
      ValidateFunc("(func (result f32) (select (f32.const 1) (f64.const 2) (i32.const 0)))"),
      "type mismatch"));
  EXPECT_TRUE(IsInvalid(
      ValidateFunc(
          "(func (result funcref) (select (ref.null func) (ref.null func) (i32.const 0)))"),
      "type mismatch"));
  EXPECT_TRUE(IsValid(ValidateFunc(
      "(func (result funcref) (select (result funcref) (ref.null func) (ref.null func) "
      "(i32.const 0)))")));
  EXPECT_TRUE(IsInvalid(
      ValidateFunc("(func (result i32) (select (i32.const 1) (i32.const 2) (i64.const 0)))"),
      "type mismatch"));
}

TEST(ValidateFunction, TypedSelectNamesExactlyOneType) {
  // select with a type vector of two (0x1c 0x02 0x7f 0x7f): text tools refuse it.
  std::vector<u8> body = {0x00, 0x41, 0x01, 0x41, 0x02, 0x41, 0x00,
                          0x1c, 0x02, 0x7f, 0x7f, 0x1a, 0x0b};
  EXPECT_TRUE(IsInvalid(ValidateBinary(vtest::OneFunctionModule(body)), "invalid result arity"));
  body = {0x00, 0x41, 0x01, 0x41, 0x02, 0x41, 0x00, 0x1c, 0x01, 0x7f, 0x1a, 0x0b};
  EXPECT_TRUE(IsValid(ValidateBinary(vtest::OneFunctionModule(body))));
}

TEST(ValidateFunction, LocalsAndGlobals) {
  EXPECT_TRUE(IsValid(ValidateFunc(
      "(func (param i32) (local f64 i64) (local.set 2 (i64.extend_i32_u (local.get 0))) "
      "(local.set 1 (local.tee 1 (f64.const 0))) (global.set $gm (global.get $gi)))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (param i32) (local i64) (drop (local.get 2)))"),
                        "unknown local 2"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (param i32) (local.set 0 (i64.const 0)))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (drop (global.get 9)))"), "unknown global 9"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (global.set $gi (i32.const 1)))"), "global is immutable"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (global.set $gm (f32.const 1)))"), "type mismatch"));
}

TEST(ValidateFunction, ManyLocalsInFewRuns) {
  // 0x10000000 i64 locals in one run: looked up, never expanded.
  std::vector<u8> body = {0x01, 0x80, 0x80, 0x80, 0x80, 0x01, 0x7e,
                          0x20, 0xff, 0xff, 0xff, 0x7f, 0x1a, 0x0b};
  EXPECT_TRUE(IsValid(ValidateBinary(vtest::OneFunctionModule(body))));
}

TEST(ValidateFunction, DeepNestingDoesNotRecurse) {
  constexpr int kDepth = 200000;
  std::vector<u8> body = {0x00};
  for (int i = 0; i < kDepth; ++i) body.insert(body.end(), {0x02, 0x40});
  body.insert(body.end(), kDepth + 1, 0x0b);
  EXPECT_TRUE(IsValid(ValidateBinary(vtest::OneFunctionModule(body))));
}

TEST(ValidateFunction, Calls) {
  EXPECT_TRUE(IsValid(ValidateFunc(
      "(type $t (func (param i32) (result i32)))"
      "(func $f (type $t) (local.get 0))"
      "(func (result i32) (call $f (i32.const 1)) (call_indirect $ft (type $t) (i32.const 0)))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (call 99))"), "unknown function 99"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func $f (param i32)) (func (call $f (i64.const 1)))"),
                        "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (call_indirect $ft (type 99) (i32.const 0)))"),
                        "unknown type"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (call_indirect $et (i32.const 0)))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (call_indirect 7 (i32.const 0)))"), "unknown table 7"));
}

TEST(ValidateFunction, References) {
  EXPECT_TRUE(IsValid(ValidateFunc("(func (result i32) (ref.is_null (ref.null extern)))")));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (result i32) (ref.is_null (i32.const 0)))"), "type mismatch"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (result externref) (ref.null func))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (drop (ref.func 99)))"), "unknown function 99"));
}

TEST(ValidateFunction, TableInstructions) {
  EXPECT_TRUE(
      IsValid(ValidateFunc("(func (result i32)"
                           "  (table.set $et (i32.const 0) (table.get $et (i32.const 0)))"
                           "  (table.fill $ft (i32.const 0) (ref.null func) (i32.const 1))"
                           "  (drop (table.grow $et (ref.null extern) (i32.const 1)))"
                           "  (table.copy $ft $ft (i32.const 0) (i32.const 0) (i32.const 0))"
                           "  (table.init $et $x (i32.const 0) (i32.const 0) (i32.const 0))"
                           "  (elem.drop $e)"
                           "  (table.size $ft))")));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (drop (table.get 5 (i32.const 0))))"), "unknown table 5"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (table.set $ft (i32.const 0) (ref.null extern)))"),
                        "type mismatch"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (drop (table.grow $ft (ref.null extern) (i32.const 1))))"),
                "type mismatch"));
  EXPECT_TRUE(IsInvalid(
      ValidateFunc("(func (table.copy $ft $et (i32.const 0) (i32.const 0) (i32.const 0)))"),
      "type mismatch"));
  EXPECT_TRUE(IsInvalid(
      ValidateFunc("(func (table.init $ft $x (i32.const 0) (i32.const 0) (i32.const 0)))"),
      "type mismatch"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (table.init $ft 9 (i32.const 0) (i32.const 0) (i32.const 0)))"),
                "unknown elem segment 9"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (elem.drop 9))"), "unknown elem segment 9"));
}

TEST(ValidateFunction, MemoryInstructions) {
  EXPECT_TRUE(IsValid(
      ValidateFunc("(func (i64.store32 align=4 (i32.const 0) (i64.load16_s align=2 (i32.const 0)))"
                   "  (drop (memory.grow (memory.size)))"
                   "  (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))"
                   "  (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))"
                   "  (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))"
                   "  (data.drop $d))")));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (drop (i32.load8_u align=2 (i32.const 0))))"),
                        "alignment must not be larger than natural"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (f64.store align=16 (i32.const 0) (f64.const 0)))"),
                        "alignment must not be larger than natural"));
  EXPECT_TRUE(
      IsInvalid(ValidateFunc("(func (f64.store (i32.const 0) (f32.const 0)))"), "type mismatch"));
  EXPECT_TRUE(IsInvalid(ValidateFunc("(func (data.drop 4))"), "unknown data segment 4"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (func (drop (i32.load (i32.const 0)))))"),
                        "unknown memory 0"));
  EXPECT_TRUE(IsInvalid(ValidateWat("(module (func (drop (memory.size))))"), "unknown memory"));
  EXPECT_TRUE(IsInvalid(
      ValidateWat(R"((module (data "x") (func (memory.init 0 (i32.const 0) (i32.const 0) )"
                  "(i32.const 0))))"),
      "unknown memory"));
}

}  // namespace
}  // namespace deja::engine
