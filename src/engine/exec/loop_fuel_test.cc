// Jumps charge the fuel block at their target themselves (JUMP in interp.cc)
// and fall back to the target's Fuel op when the budget runs short: with
// every amount of fuel a run must stop deterministically, never past its
// fuel, and resume to the same end.
#include "engine/exec/exec_test_util.h"

namespace deja {
namespace {

using engine::testing::CallExport;
using engine::testing::LoadWat;

// Every kind of jump: back edges by br_if with a fused compare, br_if on a
// value, br_if on i32.eqz (BrUnless) and br; forward ones by br_table, if,
// else and br out of blocks.
constexpr std::string_view kLoops = R"(
(module
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (loop $a
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $a (i32.lt_u (local.get 1) (local.get 0))))
    (loop $b
      (local.set 2 (i32.add (local.get 2) (i32.const 3)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $b (local.get 0)))
    (block $out (loop $c
      (br_if $out (i32.ge_u (local.get 2) (i32.const 200)))
      (local.set 2 (i32.add (local.get 2) (i32.const 7)))
      (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
      (br_if $c (i32.eqz (i32.eqz (local.get 1))))
      (br $c)))
    (block $end (loop $d
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (block $two (block $one (block $zero
        (br_table $zero $one $two (i32.rem_u (local.get 1) (i32.const 3))))
        (local.set 2 (i32.add (local.get 2) (i32.const 1)))
        (br $d))
        (if (i32.gt_u (local.get 1) (i32.const 30))
          (then (br $end))
          (else (local.set 2 (i32.add (local.get 2) (i32.const 2)))))
        (br $d))
      (br $d)))
    (i32.add (local.get 1) (local.get 2))))
)";

struct Stop {
  Outcome outcome;
  u64 consumed;
};

Stop RunWithFuel(u64 fuel, bool suspend) {
  Store store;
  InstanceId inst = LoadWat(store, kLoops);
  store.SetFuel(fuel);
  store.SetSuspendOnOutOfFuel(suspend);
  std::vector<Value> results;
  Outcome o = CallExport(store, inst, "f", {Value::I32(20)}, &results);
  Stop stop{o, store.fuel_consumed()};
  if (o == Outcome::kSuspended) {
    // Resume with plenty: the rest runs to the same end, each block charged once.
    store.SetFuel(1'000'000);
    std::vector<Value> more;
    EXPECT_EQ(store.Resume({}, &more), Outcome::kReturned);
    EXPECT_EQ(more, (std::vector<Value>{Value::I32(261)}));
  }
  return stop;
}

TEST(LoopFuelTest, EveryBudgetStopsDeterministicallyAndResumesExactly) {
  Store store;
  InstanceId inst = LoadWat(store, kLoops);
  store.SetFuel(1'000'000);
  std::vector<Value> results;
  ASSERT_EQ(CallExport(store, inst, "f", {Value::I32(20)}, &results), Outcome::kReturned);
  ASSERT_EQ(results, (std::vector<Value>{Value::I32(261)}));
  u64 full = store.fuel_consumed();
  ASSERT_GT(full, 100u);

  u64 last = 0;
  for (u64 fuel = 0; fuel < full; ++fuel) {
    Stop trap = RunWithFuel(fuel, false);
    ASSERT_EQ(trap.outcome, Outcome::kTrapped) << fuel;
    ASSERT_LE(trap.consumed, fuel);
    ASSERT_GE(trap.consumed, last) << fuel;  // more fuel never stops earlier
    last = trap.consumed;
    Stop again = RunWithFuel(fuel, false);
    ASSERT_EQ(again.consumed, trap.consumed) << fuel;
    Stop suspended = RunWithFuel(fuel, true);
    ASSERT_EQ(suspended.outcome, Outcome::kSuspended) << fuel;
    ASSERT_EQ(suspended.consumed, trap.consumed) << fuel;
  }
  EXPECT_EQ(RunWithFuel(full, false).outcome, Outcome::kReturned);
}

}  // namespace
}  // namespace deja
