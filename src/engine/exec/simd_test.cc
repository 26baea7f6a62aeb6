// SIMD in the interpreter beyond what the spec suite checks: v128 through
// the embedding API, locals, globals, calls and select in one function;
// canonical NaN lanes; fuel per SIMD op; a trap's Wasm offset; a call stack
// holding v128 values saved at a safe point and resumed in another store.
#include <gtest/gtest.h>

#include <limits>

#include "engine/exec/exec_test_util.h"

namespace deja::engine {
namespace {

using testing::Call1;
using testing::CallExport;
using testing::CallTrap;
using testing::LoadWat;

constexpr std::string_view kSimd = R"((module
  (memory 1)
  (global $g (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
  (func $swap (param v128 v128) (result v128 v128) local.get 1 local.get 0)
  (func (export "mix") (param $a v128) (param $b v128) (param $c i32) (result v128)
    (local $t v128)
    ;; $t is zero (both halves) on entry: any_true of it is 0
    (if (v128.any_true (local.get $t)) (then unreachable))
    (local.set $t (i32x4.add (local.get $a) (global.get $g)))
    (global.set $g (local.get $b))
    (call $swap (local.get $t) (local.get $b))
    (select (local.get $c)))
  (func (export "global") (result v128) global.get $g)
  (func (export "nan") (param f32) (result v128)
    (f32x4.mul (f32x4.splat (local.get 0)) (v128.const f32x4 0 0 0 0)))
  (func (export "load") (param i32) (result v128) (v128.load offset=8 (local.get 0)))
  (func (export "loop") (param $n i32) (result i64)
    (local $acc v128)
    (loop $l
      (local.set $acc (i64x2.add (local.get $acc) (v128.const i64x2 1 2)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64x2.extract_lane 1 (local.get $acc)))
  ;; The same loop on a scalar: the same instructions, one for one (the
  ;; code after br_if belongs to the loop's fuel block too).
  (func (export "loop_scalar") (param $n i32) (result i64)
    (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (local.get $acc) (i64.const 2)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.extend32_s (local.get $acc)))
  (func (export "loop_wide") (param $n i32) (result i64)
    (local $acc i64) (local $v v128)
    (loop $l
      (local.set $acc (i64.add (local.get $acc) (i64.const 2)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.extend32_s (local.get $acc)))
))";

Value V128(u64 lo, u64 hi) { return Value{ValType::kV128, lo, hi}; }

TEST(SimdTest, V128ThroughParamsLocalsGlobalsCallsAndSelect) {
  Store store;
  InstanceId inst = LoadWat(store, kSimd);
  Value a = V128(0x0000000200000001ull, 0x0000000400000003ull);
  Value b = V128(0x1111111111111111ull, 0x2222222222222222ull);
  // select picks $swap's first result ($b) when $c != 0, else $t = a + g.
  EXPECT_EQ(Call1(store, inst, "mix", {a, b, Value::I32(1)}), b);
  EXPECT_EQ(Call1(store, inst, "global", {}), b);
  Value sum = Call1(store, inst, "mix", {a, b, Value::I32(0)});
  EXPECT_EQ(sum, V128(0x1111111311111112ull, 0x2222222622222225ull));  // a + b lane-wise
  std::optional<Extern> g = store.GetExport(inst, "g");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(store.GetGlobal(*g), b);  // the embedding API sees both halves
}

TEST(SimdTest, NanLanesAreCanonical) {
  Store store;
  InstanceId inst = LoadWat(store, kSimd);
  float inf = std::numeric_limits<float>::infinity();
  // inf * 0 is an invalid operation: x86's default NaN would be 0xffc00000.
  EXPECT_EQ(Call1(store, inst, "nan", {Value::F32(inf)}),
            V128(0x7fc000007fc00000ull, 0x7fc000007fc00000ull));
  EXPECT_EQ(Call1(store, inst, "nan", {Value::F32(2)}), V128(0, 0));
}

TEST(SimdTest, OutOfBoundsLoadTrapsAtItsOffset) {
  Store store;
  InstanceId inst = LoadWat(store, kSimd);
  EXPECT_EQ(Call1(store, inst, "load", {Value::I32(65536 - 24)}), V128(0, 0));
  Trap trap = CallTrap(store, inst, "load", {Value::I32(65536 - 23)});
  EXPECT_EQ(trap.kind, TrapKind::kMemoryOutOfBounds);
  ASSERT_FALSE(trap.backtrace.empty());
  EXPECT_NE(trap.backtrace[0].module_offset, 0u);
  // 8 + 0xffffffff must not wrap to an in-bounds address.
  EXPECT_EQ(CallTrap(store, inst, "load", {Value::I32(0xffffffffu)}).kind,
            TrapKind::kMemoryOutOfBounds);
}

TEST(SimdTest, FuelCountsSimdOpsLikeAnyInstruction) {
  std::vector<u64> consumed;
  for (std::string_view name : {"loop", "loop_scalar", "loop_wide"}) {
    Store store;
    InstanceId inst = LoadWat(store, kSimd);
    store.SetFuel(1'000'000);
    EXPECT_EQ(Call1(store, inst, name, {Value::I32(100)}), Value::I64(200));
    consumed.push_back(store.fuel_consumed());
  }
  EXPECT_GT(consumed[0], 100u);
  EXPECT_EQ(consumed[0], consumed[1]);  // a v128 op costs what a scalar one does
  EXPECT_EQ(consumed[1], consumed[2]);
}

TEST(SimdTest, V128LocalsSurviveASavedStateResumedInAnotherStore) {
  Store first;
  InstanceId inst = LoadWat(first, kSimd);
  first.SetSuspendOnOutOfFuel(true);
  first.SetFuel(200);  // stops inside the loop, $acc holding a v128
  std::vector<Value> results;
  ASSERT_EQ(CallExport(first, inst, "loop", {Value::I32(1000)}, &results), Outcome::kSuspended);
  Result<std::vector<uint8_t>> bytes = first.SaveState();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();

  Store second;
  InstanceId inst2 = LoadWat(second, kSimd);
  EXPECT_EQ(inst2, inst);
  second.SetSuspendOnOutOfFuel(true);
  ASSERT_TRUE(second.RestoreState(*bytes).ok());
  for (Store* s : {&first, &second}) {
    s->SetFuel(std::nullopt);
    ASSERT_EQ(s->Resume(std::vector<Value>{}, &results), Outcome::kReturned);
    EXPECT_EQ(results, std::vector<Value>{Value::I64(2000)});
  }
  EXPECT_EQ(first.fuel_consumed(), second.fuel_consumed());
}

}  // namespace
}  // namespace deja::engine
