// `load; store` of the loaded value fused into one Move op: the code, the
// bytes it copies, and that each half still traps at its own Wasm offset.
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

}  // namespace
}  // namespace deja::engine
