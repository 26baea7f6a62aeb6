// The Thread through the public API: fuel, interrupts, host calls, and
// suspend -> save -> restore -> resume.
#include "engine/exec/thread.h"

#include <chrono>
#include <thread>

#include "engine/exec/exec_test_util.h"
#include "engine/runtime/store_impl.h"

namespace deja {
namespace {

using engine::testing::Call1;
using engine::testing::CallExport;
using engine::testing::CallTrap;
using engine::testing::LoadWat;

constexpr std::string_view kLoop = R"(
(module
  (func (export "count") (param i32) (result i32) (local i32)
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $top)))
    (local.get 1))
  (func (export "spin") (loop $l (br $l))))
)";

TEST(ThreadTest, FuelIsExactAndDeterministic) {
  u64 consumed_full = 0;
  for (int run = 0; run < 2; ++run) {
    Store store;
    InstanceId inst = LoadWat(store, kLoop);
    store.SetFuel(1'000'000);
    EXPECT_EQ(Call1(store, inst, "count", {Value::I32(100)}), Value::I32(100));
    if (run == 0) consumed_full = store.fuel_consumed();
    EXPECT_EQ(store.fuel_consumed(), consumed_full);
    EXPECT_EQ(*store.fuel_remaining(), 1'000'000 - consumed_full);
  }
  // About one unit per Wasm instruction: ~8 per iteration.
  EXPECT_GT(consumed_full, 100u * 5);
  EXPECT_LT(consumed_full, 100u * 12);

  // Too little fuel traps at the same point every time, having used the same amount.
  u64 consumed_at_trap = 0;
  for (int run = 0; run < 2; ++run) {
    Store store;
    InstanceId inst = LoadWat(store, kLoop);
    store.SetFuel(consumed_full / 2);
    Trap trap = CallTrap(store, inst, "count", {Value::I32(100)});
    EXPECT_EQ(trap.kind, TrapKind::kOutOfFuel);
    EXPECT_EQ(trap.message, "out of fuel");
    if (run == 0) consumed_at_trap = store.fuel_consumed();
    EXPECT_EQ(store.fuel_consumed(), consumed_at_trap);
    EXPECT_LE(consumed_at_trap, consumed_full / 2);
    EXPECT_EQ(store.fuel_consumed() + *store.fuel_remaining(), consumed_full / 2);
  }
}

TEST(ThreadTest, UnlimitedFuelStillCounts) {
  Store store;
  InstanceId inst = LoadWat(store, kLoop);
  EXPECT_FALSE(store.fuel_remaining().has_value());
  EXPECT_EQ(Call1(store, inst, "count", {Value::I32(10)}), Value::I32(10));
  EXPECT_GT(store.fuel_consumed(), 0u);
}

TEST(ThreadTest, InterruptFromAnotherThreadStopsTheGuest) {
  Store store;
  InstanceId inst = LoadWat(store, kLoop);
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&store] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    store.Interrupt();
  });
  Trap trap = CallTrap(store, inst, "spin", {});
  auto elapsed = std::chrono::steady_clock::now() - start;
  stopper.join();
  EXPECT_EQ(trap.kind, TrapKind::kInterrupted);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  // Pending until cleared: the next call stops at once.
  EXPECT_EQ(CallTrap(store, inst, "count", {Value::I32(1)}).kind, TrapKind::kInterrupted);
  store.ClearInterrupt();
  EXPECT_EQ(Call1(store, inst, "count", {Value::I32(3)}), Value::I32(3));
}

HostAction AddTen(HostCall&, std::span<uint64_t> slots) {
  slots[0] = static_cast<u32>(slots[0] + 10);
  return HostAction::kContinue;
}
HostAction Fail(HostCall& call, std::span<uint64_t>) { return call.Trap("host says no"); }
HostAction Quit(HostCall& call, std::span<uint64_t> slots) {
  return call.Exit(static_cast<int32_t>(slots[0]));
}
HostAction Pause(HostCall& call, std::span<uint64_t>) { return call.Suspend(); }
HostAction Grow(HostCall& call, std::span<uint64_t>) {
  // Grows the caller's memory behind the guest's back: the cached bound must refresh.
  engine::StoreImpl& s = call.store().impl();
  u32 mem = s.instances[call.caller_instance()].memories[0];
  s.memories[mem]->Grow(1);
  return HostAction::kContinue;
}

constexpr std::string_view kHostUser = R"(
(module
  (import "env" "add10" (func $add10 (param i32) (result i32)))
  (import "env" "fail" (func $fail))
  (import "env" "quit" (func $quit (param i32)))
  (import "env" "pause" (func $pause (param i32) (result i32)))
  (import "env" "grow" (func $grow))
  (memory 1)
  (func (export "add") (param i32) (result i32) (i32.mul (call $add10 (local.get 0)) (i32.const 2)))
  (func (export "fail") (call $fail))
  (func (export "quit") (call $quit (i32.const 3)) (unreachable))
  (func (export "grow_then_load") (result i32) (call $grow) (i32.load (i32.const 65536)))
  ;; sums pause(i) for i in 0..n: each pause suspends and the host supplies the value
  (func (export "sum") (param i32) (result i32) (local i32 i32)
    (block $done (loop $top
      (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 2 (i32.add (local.get 2) (call $pause (local.get 1))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $top)))
    (local.get 2)))
)";

InstanceId LoadHostUser(Store& store) {
  FuncType i_i{{ValType::kI32}, {ValType::kI32}};
  std::vector<Extern> imports = {
      store.AddHostFunc(i_i, AddTen, nullptr, "add10"),
      store.AddHostFunc({}, Fail, nullptr, "fail"),
      store.AddHostFunc({{ValType::kI32}, {}}, Quit, nullptr, "quit"),
      store.AddHostFunc(i_i, Pause, nullptr, "pause"),
      store.AddHostFunc({}, Grow, nullptr, "grow"),
  };
  return LoadWat(store, kHostUser, imports);
}

TEST(ThreadTest, HostCallsContinueTrapAndExit) {
  Store store;
  InstanceId inst = LoadHostUser(store);
  EXPECT_EQ(Call1(store, inst, "add", {Value::I32(1)}), Value::I32(22));
  Trap trap = CallTrap(store, inst, "fail", {});
  EXPECT_EQ(trap.kind, TrapKind::kHost);
  EXPECT_EQ(trap.message, "host says no");
  ASSERT_EQ(trap.backtrace.size(), 1u);  // the calling Wasm frame
  std::vector<Value> none;
  EXPECT_EQ(CallExport(store, inst, "quit", {}, &none), Outcome::kExited);
  EXPECT_EQ(store.exit_code(), 3);
  EXPECT_EQ(Call1(store, inst, "grow_then_load", {}), Value::I32(0));
}

TEST(ThreadTest, SuspendAndResumeInOneStore) {
  Store store;
  InstanceId inst = LoadHostUser(store);
  std::vector<Value> results;
  ASSERT_EQ(CallExport(store, inst, "sum", {Value::I32(3)}, &results), Outcome::kSuspended);
  EXPECT_TRUE(store.suspended());
  ASSERT_EQ(store.Resume(std::vector<Value>{Value::I32(100)}, &results), Outcome::kSuspended);
  ASSERT_EQ(store.Resume(std::vector<Value>{Value::I32(20)}, &results), Outcome::kSuspended);
  ASSERT_EQ(store.Resume(std::vector<Value>{Value::I32(3)}, &results), Outcome::kReturned);
  EXPECT_EQ(results, std::vector<Value>{Value::I32(123)});
  EXPECT_FALSE(store.suspended());
}

TEST(ThreadTest, SavedStateResumesInARebuiltStore) {
  Store first;
  InstanceId inst = LoadHostUser(first);
  first.SetFuel(100'000);
  std::vector<Value> results;
  ASSERT_EQ(CallExport(first, inst, "sum", {Value::I32(3)}, &results), Outcome::kSuspended);
  ASSERT_EQ(first.Resume(std::vector<Value>{Value::I32(100)}, &results), Outcome::kSuspended);
  Result<std::vector<uint8_t>> bytes = first.SaveState();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();

  Store second;
  InstanceId inst2 = LoadHostUser(second);
  EXPECT_EQ(inst2, inst);
  ASSERT_TRUE(second.RestoreState(*bytes).ok());
  EXPECT_TRUE(second.suspended());
  EXPECT_EQ(second.fuel_remaining(), first.fuel_remaining());
  EXPECT_EQ(second.fuel_consumed(), first.fuel_consumed());
  for (Store* s : {&first, &second}) {
    ASSERT_EQ(s->Resume(std::vector<Value>{Value::I32(20)}, &results), Outcome::kSuspended);
    ASSERT_EQ(s->Resume(std::vector<Value>{Value::I32(3)}, &results), Outcome::kReturned);
    EXPECT_EQ(results, std::vector<Value>{Value::I32(123)});
  }
  EXPECT_EQ(first.fuel_consumed(), second.fuel_consumed());
}

TEST(ThreadTest, ThreadStateRoundTripsAndRejectsGarbage) {
  Store store;
  InstanceId inst = LoadHostUser(store);
  std::vector<Value> results;
  ASSERT_EQ(CallExport(store, inst, "sum", {Value::I32(2)}, &results), Outcome::kSuspended);
  engine::Thread& thread = *store.impl().thread;
  std::vector<u8> saved;
  thread.SaveState(&saved);
  std::span<const u8> in(saved);
  ASSERT_TRUE(thread.RestoreState(&in).ok());
  EXPECT_TRUE(in.empty());
  std::vector<u8> again;
  thread.SaveState(&again);
  EXPECT_EQ(saved, again);

  std::vector<u8> truncated(saved.begin(), saved.begin() + saved.size() / 2);
  std::span<const u8> bad(truncated);
  EXPECT_EQ(thread.RestoreState(&bad).code(), Status::Code::kCorruption);
  std::vector<u8> wrong_magic = saved;
  wrong_magic[0] ^= 1;
  std::span<const u8> bad2(wrong_magic);
  EXPECT_EQ(thread.RestoreState(&bad2).code(), Status::Code::kCorruption);
  // A frame whose pc is not a return address is refused (header: 58 bytes,
  // then each frame as func, pc, fp).
  std::vector<u8> moved_pc = saved;
  moved_pc[62] += 1;
  std::span<const u8> bad3(moved_pc);
  EXPECT_EQ(thread.RestoreState(&bad3).code(), Status::Code::kCorruption);
  // The failed restores left the good state in place.
  ASSERT_EQ(store.Resume(std::vector<Value>{Value::I32(1)}, &results), Outcome::kSuspended);
  ASSERT_EQ(store.Resume(std::vector<Value>{Value::I32(2)}, &results), Outcome::kReturned);
  EXPECT_EQ(results, std::vector<Value>{Value::I32(3)});
}

}  // namespace
}  // namespace deja
