// The shape of the code the compiler emits: operands resolved to slots,
// constants as immediates, local.get gone, results written straight into
// locals, compare+br_if fused, and the Wasm offset side table.
#include <gtest/gtest.h>

#include <algorithm>

#include "deja/deja.h"
#include "engine/compile/code.h"
#include "engine/exec/interp.h"
#include "engine/runtime/store_impl.h"
#include "text/wat.h"

namespace deja::engine {
namespace {

// Compiles a one-function module and returns that function's code.
CompiledFunc CompileOne(std::string_view func_wat, CompileOptions options = {}) {
  std::string wat = "(module " + std::string(func_wat) + ")";
  Result<std::vector<u8>> bytes = text::WatToWasm(wat);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return {};
  Result<deja::Module> module = deja::Module::Compile(*bytes, options);
  EXPECT_TRUE(module.ok()) << module.status().ToString();
  if (!module.ok() || module->impl()->funcs.empty()) return {};
  return module->impl()->funcs[0];
}

u64 H(IOp op) { return HandlerWord(op); }

bool Uses(const CompiledFunc& f, IOp op) {
  return std::find(f.code.begin(), f.code.end(), H(op)) != f.code.end();
}

TEST(CompilerTest, LocalsAreOperandsAndLocalGetDisappears) {
  CompiledFunc f =
      CompileOne(R"((func (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))");
  // Fuel for 4 instructions; add into the first temporary (slot 2); return it.
  std::vector<u64> expected = {H(IOp::kFuel), 4, H(IOp::kI32Add_SS), 2, 0, 1, H(IOp::kReturn1), 2};
  EXPECT_EQ(f.code, expected);
  EXPECT_EQ(f.num_params, 2u);
  // Frames reserve a slot per operand-stack position, even for the deferred
  // local.gets (they could be materialized there).
  EXPECT_EQ(f.frame_slots, 4u);
}

TEST(CompilerTest, ConstantsAreImmediates) {
  CompiledFunc f =
      CompileOne(R"((func (param i64) (result i64) (i64.add (local.get 0) (i64.const -5))))");
  std::vector<u64> expected = {H(IOp::kFuel),    4, H(IOp::kI64Add_SI), 1, 0, static_cast<u64>(-5),
                               H(IOp::kReturn1), 1};
  EXPECT_EQ(f.code, expected);
}

TEST(CompilerTest, CommutativeOpsTakeAConstantFirstOperandAsImmediate) {
  CompiledFunc f =
      CompileOne(R"((func (param i32) (result i32) (i32.mul (i32.const 3) (local.get 0))))");
  std::vector<u64> expected = {H(IOp::kFuel), 4, H(IOp::kI32Mul_SI), 1, 0, 3, H(IOp::kReturn1), 1};
  EXPECT_EQ(f.code, expected);
  // Not for non-commutative ones: the constant is materialized.
  EXPECT_TRUE(Uses(CompileOne(R"((func (param i32) (result i32)
      (i32.sub (i32.const 3) (local.get 0))))"),
                   IOp::kConst));
}

TEST(CompilerTest, LocalSetRetargetsTheProducer) {
  CompiledFunc f = CompileOne(R"((func (param i32) (local i32)
      (local.set 1 (i32.mul (local.get 0) (local.get 0)))))");
  std::vector<u64> expected = {H(IOp::kFuel), 5, H(IOp::kI32Mul_SS), 1, 0, 0, H(IOp::kReturn)};
  EXPECT_EQ(f.code, expected);
  EXPECT_EQ(f.num_locals, 1u);
}

TEST(CompilerTest, LocalSetKeepsPendingReadsOfTheOldValue) {
  // local.get 0 is still on the stack when local 0 changes: it is copied first.
  CompiledFunc f = CompileOne(R"((func (param i32) (result i32)
      (local.get 0) (local.set 0 (i32.const 7)) (local.get 0) (i32.sub)))");
  std::vector<u64> expected = {
      H(IOp::kFuel),    6, H(IOp::kCopy), 1, 0, H(IOp::kConst), 0, 7, H(IOp::kI32Sub_SS), 1, 1, 0,
      H(IOp::kReturn1), 1};
  EXPECT_EQ(f.code, expected);
}

TEST(CompilerTest, CompareAndBrIfFuse) {
  CompiledFunc f = CompileOne(R"((func (param i32) (loop $l
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get 0) (i32.const 10))))))");
  EXPECT_TRUE(Uses(f, IOp::kBrIfI32LtS_SI));
  EXPECT_FALSE(Uses(f, IOp::kI32LtS_SI));
  EXPECT_FALSE(Uses(f, IOp::kBrIf));
  // The fused branch jumps back to the loop's Fuel op, relative to itself.
  auto it = std::find(f.code.begin(), f.code.end(), H(IOp::kBrIfI32LtS_SI));
  size_t at = static_cast<size_t>(it - f.code.begin());
  size_t loop_fuel = 2;  // after the entry Fuel op
  EXPECT_EQ(f.code[loop_fuel], H(IOp::kFuel));
  EXPECT_EQ(static_cast<i64>(f.code[at + 3]), static_cast<i64>(loop_fuel) - static_cast<i64>(at));
}

TEST(CompilerTest, EqzBrIfBecomesBrUnless) {
  CompiledFunc f = CompileOne(R"((func (param i32) (block (br_if 0 (i32.eqz (local.get 0))))))");
  EXPECT_TRUE(Uses(f, IOp::kBrUnless));
  EXPECT_FALSE(Uses(f, IOp::kI32Eqz_S));
}

TEST(CompilerTest, CompareAndIfFuseIntoTheInvertedBranch) {
  CompiledFunc f = CompileOne(R"((func (param i32) (result i32)
      (if (result i32) (i32.lt_s (local.get 0) (i32.const 3))
        (then (i32.const 1)) (else (i32.const 2)))))");
  EXPECT_TRUE(Uses(f, IOp::kBrUnlessI32LtS_SI));
  EXPECT_FALSE(Uses(f, IOp::kI32LtS_SI));
  CompiledFunc g = CompileOne(R"((func (param i32) (if (i32.eqz (local.get 0)) (then nop))))");
  EXPECT_TRUE(Uses(g, IOp::kBrIf));
  EXPECT_FALSE(Uses(g, IOp::kI32Eqz_S));
}

TEST(CompilerTest, CanonicalizingVariantsAreChosenAtCompileTime) {
  std::string_view wat =
      R"((func (param f32 f32) (result f32) (f32.div (local.get 0) (local.get 1))))";
  EXPECT_TRUE(Uses(CompileOne(wat), IOp::kF32Div_SS));
  CompiledFunc canon = CompileOne(wat, CompileOptions{.canonicalize_nans = true});
  EXPECT_TRUE(Uses(canon, IOp::kF32Div_SS_C));
  EXPECT_FALSE(Uses(canon, IOp::kF32Div_SS));
}

TEST(CompilerTest, SideTableMapsCodeToWasmOffsets) {
  CompiledFunc f = CompileOne(R"((func (param i32) (result i32)
      (i32.div_u (i32.const 1) (local.get 0))))");
  ASSERT_FALSE(f.offsets.empty());
  EXPECT_TRUE(std::is_sorted(f.offsets.begin(), f.offsets.end()));
  // The div sits after the Const materializing its first operand; both map to
  // Wasm offsets inside the body, the div's no earlier than the const's.
  auto div = std::find(f.code.begin(), f.code.end(), H(IOp::kI32DivU_SS));
  ASSERT_NE(div, f.code.end());
  u32 div_offset = f.WasmOffset(static_cast<u32>(div - f.code.begin()));
  EXPECT_GT(div_offset, 0u);
  EXPECT_GE(div_offset, f.WasmOffset(2));
}

TEST(CompilerTest, MultiValueReturnMovesThroughTemporaries) {
  // Swapping two params into result slots 0 and 1 must not clobber either.
  CompiledFunc f =
      CompileOne(R"((func (param i32 i32) (result i32 i32) (local.get 1) (local.get 0)))");
  std::vector<u64> expected = {H(IOp::kFuel),
                               3,
                               H(IOp::kCopy),
                               2,
                               1,
                               H(IOp::kCopy),
                               3,
                               0,
                               H(IOp::kCopy),
                               0,
                               2,
                               H(IOp::kCopy),
                               1,
                               3,
                               H(IOp::kReturn)};
  EXPECT_EQ(f.code, expected);
}

}  // namespace
}  // namespace deja::engine
