// i32.add/sub of a constant deferred as a kAddend and folded into the
// address of the load or store that uses it (the _A variants): the code it
// makes, the wrap-around it must keep, and that anything else still sees the
// sum.
#include <gtest/gtest.h>

#include <algorithm>

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

std::vector<u8> Wasm(std::string_view wat) {
  Result<std::vector<u8>> bytes = text::WatToWasm(wat);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::vector<u8>{};
}

CompiledFunc CompileFirst(const std::vector<u8>& bytes) {
  Result<deja::Module> module = deja::Module::Compile(bytes, {});
  EXPECT_TRUE(module.ok()) << module.status().ToString();
  if (!module.ok() || module->impl()->funcs.empty()) return {};
  return module->impl()->funcs[0];
}

TEST(AddendTest, AddressArithmeticFoldsIntoLoadsAndStores) {
  CompiledFunc f = CompileFirst(Wasm(R"((module (memory 1)
    (func (param i32) (result i32)
      (i32.store16 offset=4 (i32.sub (local.get 0) (i32.const 16))
                 (i32.load offset=2 (i32.add (i32.add (local.get 0) (i32.const 8)) (i32.const 1))))
      (i32.const 0))))"));
  // load [dst, base, offset, addend]: the two adds became one addend of 9;
  // store [base, value, offset, addend]: the sub is an addend of -16 (a
  // narrower store, so the pair is not a Move: move_test.cc).
  std::vector<u64> expected = {H(IOp::kFuel),
                               12,
                               H(IOp::kI32Load_A),
                               2,
                               0,
                               2,
                               9,
                               H(IOp::kI32Store16_A),
                               0,
                               2,
                               4,
                               static_cast<u32>(-16),
                               H(IOp::kConst),
                               1,
                               0,
                               H(IOp::kReturn1),
                               1};
  EXPECT_EQ(f.code, expected);
}

TEST(AddendTest, OtherUsesGetTheSum) {
  // A temporary's own slot is a base too; a non-address use materializes
  // the add it would have been, and local.set writes it straight to the local.
  CompiledFunc f = CompileFirst(Wasm(R"((module
    (func (param i32) (result i32) (local i32)
      (local.set 1 (i32.add (local.get 0) (i32.const 3)))
      (i32.mul (i32.add (i32.shl (local.get 1) (i32.const 2)) (i32.const 5)) (local.get 0)))))"));
  std::vector<u64> expected = {H(IOp::kFuel),
                               12,
                               H(IOp::kI32Add_SI),
                               1,
                               0,
                               3,
                               H(IOp::kI32Shl_SI),
                               2,
                               1,
                               2,
                               H(IOp::kI32Add_SI),
                               2,
                               2,
                               5,
                               H(IOp::kI32Mul_SS),
                               2,
                               2,
                               0,
                               H(IOp::kReturn1),
                               2};
  EXPECT_EQ(f.code, expected);
}

TEST(AddendTest, AddsOfTwoValuesKeepTheAddendPending) {
  // base + 80 + (i << 3): the 80 rides along into the load's addend.
  CompiledFunc f = CompileFirst(Wasm(R"((module (memory 1)
    (func (param i32 i32) (result i64)
      (i64.load (i32.add (i32.add (local.get 0) (i32.const 80))
                         (i32.shl (local.get 1) (i32.const 3)))))))"));
  std::vector<u64> expected = {H(IOp::kFuel),
                               9,
                               H(IOp::kI32Shl_SI),
                               3,
                               1,
                               3,
                               H(IOp::kI32Add_SS),
                               2,
                               0,
                               3,
                               H(IOp::kI64Load_A),
                               2,
                               2,
                               0,
                               80,
                               H(IOp::kReturn1),
                               2};
  EXPECT_EQ(f.code, expected);
}

constexpr std::string_view kMem = R"(
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  ;; p + 8 wraps to 0 for p = 0xfffffff8: Wasm's i32.add wraps before the
  ;; offset is added, so this loads from 0 + 0.
  (func (export "wrap") (param i32) (result i32) (i32.load8_u (i32.add (local.get 0) (i32.const 8))))
  (func (export "wrap_store") (param i32) (result i32)
    (i32.store8 offset=1 (i32.sub (local.get 0) (i32.const -8)) (i32.const 0x55))
    (i32.load8_u (i32.const 1)))
  ;; The address reads the old p: local 0 changes before the load.
  (func (export "old_local") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 2))
    (local.set 0 (i32.const 1000))
    (i32.load8_u))
  ;; The offset is added after the wrap and can still run past the end.
  (func (export "oob") (param i32) (result i32)
    (i32.load offset=65531 (i32.add (local.get 0) (i32.const 1))))
  (func (export "reassoc") (param i32 i32) (result i32)
    (i32.load8_u (i32.add (i32.add (local.get 0) (i32.const 8)) (local.get 1))))
  (func (export "ret") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
  (func (export "ret2") (param i32 i32) (result i32 i32)
    (i32.add (local.get 1) (i32.const 1)) (i32.add (local.get 0) (i32.const 2)))
  (func (export "br") (param i32) (result i32)
    (block (result i32) (br_if 0 (i32.add (local.get 0) (i32.const 10)) (local.get 0)) (drop)
      (i32.const 7))))
)";

TEST(AddendTest, KeepsWasmSemantics) {
  Store store;
  InstanceId inst = LoadWat(store, kMem);
  EXPECT_EQ(Call1(store, inst, "wrap", {Value::I32(0xfffffff8u)}), Value::I32(1));
  EXPECT_EQ(Call1(store, inst, "wrap", {Value::I32(2)}), Value::I32(0));
  EXPECT_EQ(Call1(store, inst, "wrap_store", {Value::I32(0xfffffff8u)}), Value::I32(0x55));
  EXPECT_EQ(Call1(store, inst, "old_local", {Value::I32(3)}), Value::I32(6));
  EXPECT_EQ(Call1(store, inst, "oob", {Value::I32(0)}), Value::I32(0));
  EXPECT_EQ(CallTrap(store, inst, "oob", {Value::I32(1)}).kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(Call1(store, inst, "oob", {Value::I32(0xffffffffu)}), Value::I32(0));
  EXPECT_EQ(CallTrap(store, inst, "oob", {Value::I32(0xfffffffeu)}).kind,
            TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(Call1(store, inst, "reassoc", {Value::I32(0xfffffff0u), Value::I32(10)}),
            Value::I32(3));
  EXPECT_EQ(Call1(store, inst, "ret", {Value::I32(0)}), Value::I32(0xffffffffu));
  std::vector<Value> results;
  ASSERT_EQ(testing::CallExport(store, inst, "ret2", {Value::I32(5), Value::I32(6)}, &results),
            Outcome::kReturned);
  EXPECT_EQ(results, (std::vector<Value>{Value::I32(7), Value::I32(7)}));
  EXPECT_EQ(Call1(store, inst, "br", {Value::I32(1)}), Value::I32(11));
  EXPECT_EQ(Call1(store, inst, "br", {Value::I32(0)}), Value::I32(7));
}

TEST(AddendTest, AFoldedLoadTrapsAtItsOwnWasmOffset) {
  std::vector<u8> bytes = Wasm(R"((module (memory 1)
    (func (export "f") (param i32) (result i32) (i32.load (i32.add (local.get 0) (i32.const 8))))))");
  // i32.add, then i32.load align=2 offset=0.
  const u8 pattern[] = {0x6a, 0x28, 0x02, 0x00};
  auto at = std::search(bytes.begin(), bytes.end(), std::begin(pattern), std::end(pattern));
  ASSERT_NE(at, bytes.end());
  u32 load_offset = static_cast<u32>(at - bytes.begin()) + 1;
  CompiledFunc f = CompileFirst(bytes);
  auto load = std::find(f.code.begin(), f.code.end(), H(IOp::kI32Load_A));
  ASSERT_NE(load, f.code.end());
  EXPECT_EQ(f.WasmOffset(static_cast<u32>(load - f.code.begin())), load_offset);

  Result<deja::Module> module = deja::Module::Compile(bytes, {});
  ASSERT_TRUE(module.ok());
  Store store;
  Result<InstanceId> inst = store.Instantiate(*module, {});
  ASSERT_TRUE(inst.ok());
  Trap trap = CallTrap(store, *inst, "f", {Value::I32(65530)});
  EXPECT_EQ(trap.kind, TrapKind::kMemoryOutOfBounds);
  ASSERT_EQ(trap.backtrace.size(), 1u);
  EXPECT_EQ(trap.backtrace[0].module_offset, load_offset);
}

}  // namespace
}  // namespace deja::engine
