// Loads fused with the op that consumes their value: `load; store` as one
// Move op, `load; f64.mul` as F64Mul_SM. The code, the values, and that each
// Wasm instruction still traps at its own offset.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>

#include "deja/deja.h"
#include "engine/compile/code.h"
#include "engine/exec/exec_test_util.h"
#include "engine/exec/interp.h"
#include "engine/runtime/store_impl.h"
#include "text/wat.h"

namespace deja::engine {
namespace {

using testing::Call1;
using testing::CallTrap;
using testing::LoadWat;

u64 H(IOp op) { return HandlerWord(op); }

CompiledFunc CompileFirst(std::string_view wat) {
  Result<std::vector<u8>> bytes = text::WatToWasm(wat);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return {};
  Result<deja::Module> module = deja::Module::Compile(*bytes, {});
  EXPECT_TRUE(module.ok()) << module.status().ToString();
  if (!module.ok() || module->impl()->funcs.empty()) return {};
  return module->impl()->funcs[0];
}

TEST(MoveTest, LoadThenStoreOfItsValueIsOneMove) {
  CompiledFunc f = CompileFirst(R"((module (memory 1)
    (func (param i32 i32)
      (i64.store offset=16 (i32.add (local.get 0) (i32.const 8))
                 (i64.load offset=4 (local.get 1))))))");
  // [dst base, src base, src offset, src addend, dst offset, dst addend]
  std::vector<u64> expected = {H(IOp::kFuel),  7, H(IOp::kMove8), 0, 1, 4, 0, 16, 8,
                               H(IOp::kReturn)};
  EXPECT_EQ(f.code, expected);
  // Different widths, or a value kept in a local, are not fused.
  EXPECT_EQ(std::count(f.code.begin(), f.code.end(), H(IOp::kMove8)), 1);
  CompiledFunc g = CompileFirst(R"((module (memory 1)
    (func (param i32 i32) (local i32)
      (i32.store16 (local.get 0) (i32.load (local.get 1)))
      (i32.store (local.get 0) (local.tee 2 (i32.load (local.get 1)))))))");
  EXPECT_EQ(std::find(g.code.begin(), g.code.end(), H(IOp::kMove2)), g.code.end());
  EXPECT_EQ(std::find(g.code.begin(), g.code.end(), H(IOp::kMove4)), g.code.end());
}

constexpr std::string_view kCopy = R"(
(module
  (memory 1)
  (data (i32.const 0) "\81\82\83\84\85\86\87\88\01\00\c0\7f")
  (func (export "b8s") (result i64)
    (i32.store8 (i32.const 100) (i32.load8_s (i32.const 0)))
    (i64.load (i32.const 100)))
  (func (export "w32") (result i64)
    (i64.store32 (i32.const 200) (i64.load32_s (i32.const 4)))
    (i64.load (i32.const 200)))
  ;; A signalling NaN's bits survive f32.load + f32.store.
  (func (export "nan") (result i32)
    (f32.store (i32.const 300) (f32.load (i32.const 8)))
    (i32.load (i32.const 300)))
  ;; Overlapping: the whole value is read before it is written.
  (func (export "overlap") (result i64)
    (i64.store (i32.const 402) (i64.load (i32.const 400)))
    (i64.load (i32.const 400)))
  (func (export "copy") (param i32 i32) (i64.store (local.get 0) (i64.load (local.get 1)))))
)";

TEST(MoveTest, CopiesTheBytes) {
  Store store;
  InstanceId inst = LoadWat(store, kCopy);
  EXPECT_EQ(Call1(store, inst, "b8s", {}), Value::I64(0x81));
  EXPECT_EQ(Call1(store, inst, "w32", {}), Value::I64(0x88878685));
  EXPECT_EQ(Call1(store, inst, "nan", {}), Value::I32(0x7fc00001));
  EXPECT_EQ(Call1(store, inst, "overlap", {}), Value::I64(0));
}

TEST(MoveTest, EachHalfTrapsAtItsOwnOffset) {
  Store store;
  InstanceId inst = LoadWat(store, kCopy);
  Trap load = CallTrap(store, inst, "copy", {Value::I32(0), Value::I32(65530)});
  Trap both = CallTrap(store, inst, "copy", {Value::I32(65530), Value::I32(65530)});
  Trap stor = CallTrap(store, inst, "copy", {Value::I32(65530), Value::I32(0)});
  ASSERT_EQ(load.backtrace.size(), 1u);
  ASSERT_EQ(both.backtrace.size(), 1u);
  ASSERT_EQ(stor.backtrace.size(), 1u);
  EXPECT_EQ(load.kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(stor.kind, TrapKind::kMemoryOutOfBounds);
  // The load is checked first; the store is the instruction after it
  // (i64.load is 3 bytes: opcode, align, offset).
  EXPECT_EQ(both.backtrace[0].module_offset, load.backtrace[0].module_offset);
  EXPECT_EQ(stor.backtrace[0].module_offset, load.backtrace[0].module_offset + 3);
}

TEST(LoadOperandTest, AFloatOpTakesAFreshLoadAsItsSecondOperand) {
  CompiledFunc f = CompileFirst(R"((module (memory 1)
    (func (param i32 f64) (result f64)
      (f64.sub (local.get 1) (f64.load offset=8 (i32.add (local.get 0) (i32.const 16)))))))");
  // [dst, a, base, offset, addend]
  std::vector<u64> expected = {H(IOp::kFuel),    7, H(IOp::kF64Sub_SM), 2, 1, 0, 8, 16,
                               H(IOp::kReturn1), 2};
  EXPECT_EQ(f.code, expected);
}

constexpr std::string_view kFloat = R"(
(module
  (memory 1)
  (data (i32.const 0) "\00\00\00\00\00\00\24\40\00\00\a0\40")
  ;; 10.0 (f64) at 0, 5.0 (f32) at 8; the order of sub and div is kept.
  (func (export "sub") (param f64 i32) (result f64) (f64.sub (local.get 0) (f64.load (local.get 1))))
  (func (export "div32") (param f32) (result f32) (f32.div (local.get 0) (f32.load (i32.const 8))))
  (func (export "nan") (param f64) (result i64)
    (i64.reinterpret_f64 (f64.add (local.get 0) (f64.load (i32.const 0))))))
)";

TEST(LoadOperandTest, ComputesAndTrapsLikeTheTwoInstructions) {
  Store store;
  InstanceId inst = LoadWat(store, kFloat);
  EXPECT_EQ(Call1(store, inst, "sub", {Value::F64(3.0), Value::I32(0)}), Value::F64(-7.0));
  EXPECT_EQ(Call1(store, inst, "div32", {Value::F32(1.0f)}), Value::F32(0.2f));
  Trap trap = CallTrap(store, inst, "sub", {Value::F64(3.0), Value::I32(65530)});
  EXPECT_EQ(trap.kind, TrapKind::kMemoryOutOfBounds);
  // At the f64.load: local.get 1, then f64.load align=3 offset=0, f64.sub.
  Result<std::vector<u8>> bytes = text::WatToWasm(kFloat);
  ASSERT_TRUE(bytes.ok());
  const u8 pattern[] = {0x20, 0x01, 0x2b, 0x03, 0x00, 0xa1};
  auto at = std::search(bytes->begin(), bytes->end(), std::begin(pattern), std::end(pattern));
  ASSERT_NE(at, bytes->end());
  ASSERT_EQ(trap.backtrace.size(), 1u);
  EXPECT_EQ(trap.backtrace[0].module_offset, static_cast<u32>(at - bytes->begin()) + 2);
  // With NaN canonicalization the _SM_C variant canonicalizes the sum.
  Result<deja::Module> module = deja::Module::Compile(*bytes, {.canonicalize_nans = true});
  ASSERT_TRUE(module.ok());
  EXPECT_NE(std::find(module->impl()->funcs[2].code.begin(), module->impl()->funcs[2].code.end(),
                      H(IOp::kF64Add_SM_C)),
            module->impl()->funcs[2].code.end());
  Store canon;
  Result<InstanceId> ci = canon.Instantiate(*module, {});
  ASSERT_TRUE(ci.ok());
  u64 payload_nan = 0x7ff4000000000001ull;
  EXPECT_EQ(Call1(canon, *ci, "nan", {Value::F64(std::bit_cast<double>(payload_nan))}),
            Value::I64(0x7ff8000000000000ull));
}

}  // namespace
}  // namespace deja::engine
