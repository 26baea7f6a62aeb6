// tail-call: return_call and return_call_indirect replace the caller's
// frame, so tail-recursive loops run in one frame record; fuel, traps,
// backtraces and snapshots still work across them.
#include <gtest/gtest.h>

#include "engine/exec/exec_test_util.h"

namespace deja::engine {
namespace {

using testing::Call1;
using testing::CallTrap;
using testing::LoadWat;

constexpr std::string_view kLoops = R"((module
  (type $t (func (param i32 i64) (result i64)))
  (table 2 funcref)
  (elem (i32.const 0) $even $odd)
  ;; sum of 0..n by tail recursion, one extra local so the frame is not just params
  (func $sum (export "sum") (param $n i32) (param $acc i64) (result i64)
    (local $k i64)
    (local.set $k (i64.extend_i32_u (local.get $n)))
    (if (result i64) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $sum (i32.sub (local.get $n) (i32.const 1))
                              (i64.add (local.get $acc) (local.get $k))))))
  ;; the same by plain recursion: needs n frames
  (func $sum_rec (export "sum_rec") (param $n i32) (param $acc i64) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (call $sum_rec (i32.sub (local.get $n) (i32.const 1))
                           (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n)))))))
  ;; mutual recursion through the table: counts how many steps were odd
  (func $even (param $n i32) (param $odd i64) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (local.get $odd))
      (else (return_call_indirect (type $t) (i32.sub (local.get $n) (i32.const 1))
                                            (local.get $odd) (i32.const 1)))))
  (func $odd (param $n i32) (param $odd i64) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (local.get $odd))
      (else (return_call_indirect (type $t) (i32.sub (local.get $n) (i32.const 1))
                                            (i64.add (local.get $odd) (i64.const 1))
                                            (i32.const 0)))))
  (func (export "parity") (param i32) (result i64)
    (return_call $even (local.get 0) (i64.const 0)))
  (func $boom (param i32) (result i32) (unreachable))
  (func $outer (export "outer") (param i32) (result i32)
    (return_call $boom (local.get 0)))
  (func (export "entry") (param i32) (result i32)
    (i32.add (call $outer (local.get 0)) (i32.const 1)))))";

StoreLimits ShallowLimits() {
  StoreLimits limits;
  limits.max_call_depth = 64;  // far fewer frames than tail calls below
  return limits;
}

TEST(TailCallTest, AMillionTailCallsRunInConstantFrameStack) {
  Store store(ShallowLimits());
  InstanceId inst = LoadWat(store, kLoops);
  constexpr u32 kN = 1'000'000;
  EXPECT_EQ(Call1(store, inst, "sum", {Value::I32(kN), Value::I64(0)}),
            Value::I64(u64{kN} * (kN + 1) / 2));
  // odd(n) adds one for each n in 1000000, 999998, ..., 2.
  EXPECT_EQ(Call1(store, inst, "parity", {Value::I32(kN + 1)}), Value::I64(kN / 2));
  // Plain calls with the same depth limit run out of frames.
  Trap t = CallTrap(store, inst, "sum_rec", {Value::I32(kN), Value::I64(0)});
  EXPECT_EQ(t.kind, TrapKind::kCallStackExhausted);
}

TEST(TailCallTest, FuelIsChargedAcrossTailCalls) {
  Store store;
  InstanceId inst = LoadWat(store, kLoops);
  store.SetFuel(10'000);
  Trap t = CallTrap(store, inst, "sum", {Value::I32(1'000'000), Value::I64(0)});
  EXPECT_EQ(t.kind, TrapKind::kOutOfFuel);
  store.SetFuel(std::nullopt);
  u64 before = store.fuel_consumed();
  EXPECT_EQ(Call1(store, inst, "sum", {Value::I32(1000), Value::I64(0)}), Value::I64(500500));
  u64 small = store.fuel_consumed() - before;
  before = store.fuel_consumed();
  EXPECT_EQ(Call1(store, inst, "sum", {Value::I32(2000), Value::I64(0)}), Value::I64(2001000));
  u64 large = store.fuel_consumed() - before;
  EXPECT_GT(large, small + 1000);  // every iteration costs fuel
}

// The tail caller's frame is gone: the backtrace shows the callee where the
// caller was, under the frame that made the plain call.
TEST(TailCallTest, BacktraceShowsTheCalleeInPlaceOfTheTailCaller) {
  Store store;
  InstanceId inst = LoadWat(store, kLoops);
  Trap t = CallTrap(store, inst, "entry", {Value::I32(1)});
  EXPECT_EQ(t.kind, TrapKind::kUnreachable);
  ASSERT_EQ(t.backtrace.size(), 2u) << t.ToString();
  EXPECT_EQ(t.backtrace[0].func_index, 5u);  // $boom, not $outer
  EXPECT_EQ(t.backtrace[1].func_index, 7u);  // "entry"
}

TEST(TailCallTest, IndirectTailCallTrapsOnMismatchAndNull) {
  Store store;
  InstanceId inst = LoadWat(store, R"((module
    (type $v (func))
    (type $i (func (result i32)))
    (table 2 funcref)
    (elem (i32.const 0) $f)
    (func $f (result i32) (i32.const 7))
    (func (export "ok") (result i32) (return_call_indirect (type $i) (i32.const 0)))
    (func (export "null") (result i32) (return_call_indirect (type $i) (i32.const 1)))
    (func (export "oob") (result i32) (return_call_indirect (type $i) (i32.const 2)))
    (func (export "wrong") (return_call_indirect (type $v) (i32.const 0)))))");
  EXPECT_EQ(Call1(store, inst, "ok", {}), Value::I32(7));
  EXPECT_EQ(CallTrap(store, inst, "null", {}).kind, TrapKind::kUninitializedElement);
  EXPECT_EQ(CallTrap(store, inst, "oob", {}).kind, TrapKind::kUndefinedElement);
  EXPECT_EQ(CallTrap(store, inst, "wrong", {}).kind, TrapKind::kIndirectCallTypeMismatch);
}

HostAction Twice(HostCall&, std::span<uint64_t> slots) {
  slots[0] = static_cast<u32>(slots[0]) * 2;
  return HostAction::kContinue;
}

HostAction SuspendHere(HostCall& call, std::span<uint64_t>) { return call.Suspend(); }

constexpr std::string_view kHostTail = R"((module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (import "env" "pause" (func $pause (param i32) (result i32)))
  (func $step (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (return_call $pause (local.get $acc)))
      (else (return_call $step (i32.sub (local.get $n) (i32.const 1))
                               (i32.add (local.get $acc) (local.get $n))))))
  (func (export "twice_tail") (param i32) (result i32) (return_call $twice (local.get 0)))
  (func (export "run") (param i32) (result i32)
    (i32.add (call $step (local.get 0) (i32.const 0)) (i32.const 1000)))))";

struct HostGuest {
  Store store;
  InstanceId inst = 0;
  explicit HostGuest() {
    FuncType t{{ValType::kI32}, {ValType::kI32}};
    Extern twice = store.AddHostFunc(t, Twice, nullptr, "twice");
    Extern pause = store.AddHostFunc(t, SuspendHere, nullptr, "pause");
    inst = LoadWat(store, kHostTail, {twice, pause});
  }
};

// A tail call to a host function calls it and returns its results; when the
// host function suspends, the state saved there (inside a frame reached by
// tail calls) resumes in a fresh store.
TEST(TailCallTest, HostCalleeAndSnapshotInATailCalledFrame) {
  HostGuest g;
  EXPECT_EQ(Call1(g.store, g.inst, "twice_tail", {Value::I32(21)}), Value::I32(42));
  std::vector<Value> results;
  Value args[] = {Value::I32(100)};
  ASSERT_EQ(g.store.Call(*g.store.GetExport(g.inst, "run"), args, &results),
            Outcome::kSuspended);
  Result<std::vector<u8>> state = g.store.SaveState();
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  HostGuest other;
  ASSERT_TRUE(other.store.RestoreState(*state).ok());
  // The paused host call returns 5050 (its argument, the sum), the
  // tail-called $step returns it to "run", which adds 1000.
  Value host_results[] = {Value::I32(5050)};
  ASSERT_EQ(other.store.Resume(host_results, &results), Outcome::kReturned)
      << other.store.trap().ToString();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], Value::I32(6050));
}

TEST(TailCallTest, ResultsMustMatchAndTurningOffRefuses) {
  Result<std::vector<u8>> bad = text::WatToWasm(R"((module
    (func $f (result i64) (i64.const 1))
    (func (result i32) (return_call $f))))");
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  Result<deja::Module> m = deja::Module::Compile(*bad);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("type mismatch in return_call"), std::string::npos)
      << m.status().ToString();

  Result<std::vector<u8>> good = text::WatToWasm(kLoops);
  ASSERT_TRUE(good.ok());
  CompileOptions options;
  options.features.set(Feature::kTailCall, false);
  m = deja::Module::Compile(*good, options);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("feature turned off: tail-call (tail call) in func 0 offset"),
            std::string::npos)
      << m.status().ToString();
}

}  // namespace
}  // namespace deja::engine
