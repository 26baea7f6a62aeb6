// Suspending a running guest at a safe point (Store::RequestSuspend,
// SetSuspendOnOutOfFuel) and resuming it, in the same store or after
// SaveState / RestoreState in a fresh one.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "engine/runtime/state_format.h"
#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

// Recursion with a loop and calls in every frame, and live locals of every
// value type (i32, i64, f32, f64, funcref, externref) that are used after
// the recursive call returns.
constexpr std::string_view kGuest = R"((module
  (type $mixt (func (param i64) (result i64)))
  (memory (export "mem") 1)
  (table $t 1 funcref)
  (global $g (export "g") (mut i64) (i64.const 0))
  (elem declare func $mix)
  (func $mix (param $x i64) (result i64)
    (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005))
             (i64.const 1442695040888963407)))
  (func $rec (param $n i32) (param $acc i64) (param $e externref) (result i64)
    (local $f32 f32) (local $f64 f64) (local $r funcref) (local $i i32) (local $e2 externref)
    (local.set $f32 (f32.div (f32.convert_i32_s (local.get $n)) (f32.const 3)))
    (local.set $f64 (f64.div (f64.convert_i64_s (local.get $acc)) (f64.const 7)))
    (local.set $r (ref.func $mix))
    (local.set $e2 (local.get $e))
    (if (i32.eqz (local.get $n)) (then (return (local.get $acc))))
    (loop $l
      (local.set $acc (call $mix (local.get $acc)))
      (i32.store (i32.and (i32.mul (i32.add (local.get $i) (i32.mul (local.get $n) (i32.const 8)))
                                   (i32.const 4))
                          (i32.const 0xfffc))
                 (i32.wrap_i64 (local.get $acc)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))
    (local.set $acc (call $rec (i32.sub (local.get $n) (i32.const 1)) (local.get $acc)
                              (local.get $e2)))
    (table.set $t (i32.const 0) (local.get $r))
    (global.set $g (i64.add (global.get $g) (i64.reinterpret_f64 (local.get $f64))))
    (i64.add (call_indirect (type $mixt) (local.get $acc) (i32.const 0))
      (i64.add (i64.extend_i32_u (i32.reinterpret_f32 (local.get $f32)))
               (i64.extend_i32_u (ref.is_null (local.get $e2))))))
  (func (export "run") (param $n i32) (param $e externref) (result i64 externref)
    (call $rec (local.get $n) (i64.const 1) (local.get $e))
    (local.get $e))
  (func (export "spin") (param $n i32) (result i64)
    (local $acc i64)
    (loop $l
      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 6364136223846793005))
                               (i64.extend_i32_u (local.get $n))))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l))
    (local.get $acc)))
)";

// A small value stack: the fuel tests build hundreds of stores.
StoreLimits SmallLimits() {
  StoreLimits limits;
  limits.max_stack_slots = 1 << 16;
  return limits;
}

struct Guest {
  Store store{SmallLimits()};
  InstanceId inst = 0;
};

// Compiled once: the fuel tests build hundreds of stores.
const Module& GuestModule() {
  static const Module module = [] {
    auto m = CompileWat(kGuest);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return std::move(*m);
  }();
  return module;
}

std::unique_ptr<Guest> Load() {
  auto g = std::make_unique<Guest>();
  auto inst = g->store.Instantiate(GuestModule(), {});
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  g->inst = *inst;
  return g;
}

constexpr uint32_t kDepth = 12;

Outcome RunGuest(Guest& g, std::vector<Value>* results) {
  Value args[] = {Value::I32(kDepth), Value::Extern(41)};
  return g.store.Call(*g.store.GetExport(g.inst, "run"), args, results);
}

// What a run leaves behind, to compare runs.
struct Final {
  std::vector<Value> results;
  uint64_t fuel_consumed = 0;
  std::string digest;
  bool operator==(const Final&) const = default;
};

Final Finish(Guest& g, std::vector<Value> results) {
  return {std::move(results), g.store.fuel_consumed(), g.store.StateDigest()};
}

Final Uninterrupted() {
  auto g = Load();
  std::vector<Value> results;
  EXPECT_EQ(RunGuest(*g, &results), Outcome::kReturned) << g->store.trap().ToString();
  return Finish(*g, std::move(results));
}

TEST(SuspendTest, NotSuspendedByDefault) {
  auto g = Load();
  EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kNone);
  Final plain = Uninterrupted();
  ASSERT_EQ(plain.results.size(), 2u);
  EXPECT_EQ(plain.results[1], Value::Extern(41));
  EXPECT_GT(plain.fuel_consumed, 300u);
}

// Out of fuel at every N: the suspension lands where the trap would have,
// the same way every time, and resuming gives the uninterrupted run.
TEST(SuspendTest, OutOfFuelSuspendsExactlyWhereItWouldTrap) {
  Final plain = Uninterrupted();
  for (uint64_t n = 1; n <= 300; ++n) {
    SCOPED_TRACE(n);
    auto trapping = Load();
    trapping->store.SetFuel(n);
    std::vector<Value> results;
    ASSERT_EQ(RunGuest(*trapping, &results), Outcome::kTrapped);
    ASSERT_EQ(trapping->store.trap().kind, TrapKind::kOutOfFuel);

    std::optional<std::vector<uint8_t>> first_state;
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto g = Load();
      g->store.SetSuspendOnOutOfFuel(true);
      g->store.SetFuel(n);
      ASSERT_EQ(RunGuest(*g, &results), Outcome::kSuspended) << g->store.trap().ToString();
      EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kSafePoint);
      EXPECT_EQ(g->store.fuel_consumed(), trapping->store.fuel_consumed());
      EXPECT_EQ(g->store.fuel_consumed() + *g->store.fuel_remaining(), n);
      auto state = g->store.SaveState();
      ASSERT_TRUE(state.ok());
      if (first_state) {
        EXPECT_EQ(*state, *first_state) << "the suspension point moved";
      } else {
        first_state = *state;
      }
      // Without more fuel it suspends again, at the same point.
      ASSERT_EQ(g->store.Resume({}, &results), Outcome::kSuspended);
      EXPECT_EQ(*g->store.SaveState(), *first_state);
      g->store.SetFuel(std::nullopt);
      ASSERT_EQ(g->store.Resume({}, &results), Outcome::kReturned) << g->store.trap().ToString();
      EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kNone);
      EXPECT_EQ(Finish(*g, results), plain);
    }
  }
}

// Many small steps: 7 units at a time (more when the next block costs more,
// as it cannot be entered otherwise) until done.
TEST(SuspendTest, FuelStepsAddUpToTheUninterruptedRun) {
  Final plain = Uninterrupted();
  auto g = Load();
  g->store.SetSuspendOnOutOfFuel(true);
  g->store.SetFuel(7);
  std::vector<Value> results;
  Outcome o = RunGuest(*g, &results);
  int steps = 0;
  uint64_t step = 7;
  while (o == Outcome::kSuspended && steps < 100'000) {
    ++steps;
    uint64_t before = g->store.fuel_consumed();
    g->store.SetFuel(step);
    o = g->store.Resume({}, &results);
    step = g->store.fuel_consumed() == before ? step * 2 : 7;
  }
  ASSERT_EQ(o, Outcome::kReturned) << g->store.trap().ToString();
  EXPECT_GT(steps, 40);
  EXPECT_EQ(Finish(*g, results), plain);
}

// Suspended at many points of a deep recursion, saved, restored into a
// fresh store and resumed there: the same as never stopping.
TEST(SuspendTest, SafePointStateResumesInAnotherStore) {
  Final plain = Uninterrupted();
  for (uint64_t n : {1, 2, 5, 30, 77, 150, 151, 199, 250, 333, 400}) {
    if (n >= plain.fuel_consumed) continue;
    SCOPED_TRACE(n);
    auto first = Load();
    first->store.SetSuspendOnOutOfFuel(true);
    first->store.SetFuel(n);
    std::vector<Value> results;
    ASSERT_EQ(RunGuest(*first, &results), Outcome::kSuspended);
    auto state = first->store.SaveState();
    ASSERT_TRUE(state.ok()) << state.status().ToString();

    auto second = Load();
    ASSERT_TRUE(second->store.RestoreState(*state).ok());
    EXPECT_EQ(second->store.suspend_point(), SuspendPoint::kSafePoint);
    EXPECT_EQ(second->store.fuel_consumed(), first->store.fuel_consumed());
    second->store.SetFuel(std::nullopt);
    ASSERT_EQ(second->store.Resume({}, &results), Outcome::kReturned)
        << second->store.trap().ToString();
    EXPECT_EQ(Finish(*second, results), plain);
    Extern mem = *second->store.GetExport(second->inst, "mem");
    auto fresh = Load();
    std::vector<Value> fresh_results;
    ASSERT_EQ(RunGuest(*fresh, &fresh_results), Outcome::kReturned);
    Extern fresh_mem = *fresh->store.GetExport(fresh->inst, "mem");
    EXPECT_TRUE(
        std::ranges::equal(second->store.MemoryData(mem), fresh->store.MemoryData(fresh_mem)));
  }
}

TEST(SuspendTest, RequestBeforeTheCall) {
  Final plain = Uninterrupted();
  auto g = Load();
  g->store.RequestSuspend();
  std::vector<Value> results;
  ASSERT_EQ(RunGuest(*g, &results), Outcome::kSuspended);
  EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kSafePoint);
  EXPECT_EQ(g->store.fuel_consumed(), 0u);
  // The request was used up: resuming runs to the end.
  ASSERT_EQ(g->store.Resume({}, &results), Outcome::kReturned) << g->store.trap().ToString();
  EXPECT_EQ(Finish(*g, results), plain);
}

TEST(SuspendTest, ClearSuspendRequest) {
  auto g = Load();
  g->store.RequestSuspend();
  g->store.ClearSuspendRequest();
  std::vector<Value> results;
  EXPECT_EQ(RunGuest(*g, &results), Outcome::kReturned);
}

TEST(SuspendTest, ResumeAtASafePointTakesNoHostResults) {
  auto g = Load();
  std::vector<Value> results;
  EXPECT_EQ(g->store.Resume({}, &results), Outcome::kTrapped);
  EXPECT_EQ(g->store.trap().message, "resume: no call is suspended");
  g->store.RequestSuspend();
  ASSERT_EQ(RunGuest(*g, &results), Outcome::kSuspended);
  Value bogus[] = {Value::I32(1)};
  EXPECT_EQ(g->store.Resume(bogus, &results), Outcome::kTrapped);
  EXPECT_EQ(g->store.trap().kind, TrapKind::kHost);
  EXPECT_TRUE(g->store.suspended());
  EXPECT_EQ(g->store.Resume({}, &results), Outcome::kReturned);
  EXPECT_EQ(g->store.Resume({}, &results), Outcome::kTrapped);
}

// An interrupt wins over a suspend request; the request stays pending.
TEST(SuspendTest, InterruptWinsOverSuspend) {
  auto g = Load();
  g->store.RequestSuspend();
  g->store.Interrupt();
  std::vector<Value> results;
  ASSERT_EQ(RunGuest(*g, &results), Outcome::kTrapped);
  EXPECT_EQ(g->store.trap().kind, TrapKind::kInterrupted);
  g->store.ClearInterrupt();
  EXPECT_EQ(RunGuest(*g, &results), Outcome::kSuspended);
  EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kSafePoint);
}

uint64_t Spin(uint32_t n) {
  uint64_t acc = 0;
  for (; n != 0; --n) acc = acc * 6364136223846793005u + n;
  return acc;
}

TEST(SuspendTest, RequestFromAnotherThread) {
  constexpr uint32_t kIterations = 30'000'000;
  auto g = Load();
  std::atomic<bool> requested{false};
  std::chrono::steady_clock::time_point request_time;
  std::thread requester([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    request_time = std::chrono::steady_clock::now();
    g->store.RequestSuspend();
    requested.store(true);
  });
  Value args[] = {Value::I32(kIterations)};
  std::vector<Value> results;
  Extern spin = *g->store.GetExport(g->inst, "spin");
  Outcome o = g->store.Call(spin, args, &results);
  auto stop_time = std::chrono::steady_clock::now();
  requester.join();
  ASSERT_EQ(o, Outcome::kSuspended) << "the loop ended before the request";
  EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kSafePoint);
  EXPECT_LT(stop_time - request_time, std::chrono::milliseconds(500));
  uint64_t at_suspension = g->store.fuel_consumed();
  EXPECT_GT(at_suspension, 0u);
  // Continue in another store, from the saved state.
  auto state = g->store.SaveState();
  ASSERT_TRUE(state.ok());
  auto other = Load();
  ASSERT_TRUE(other->store.RestoreState(*state).ok());
  ASSERT_EQ(other->store.Resume({}, &results), Outcome::kReturned)
      << other->store.trap().ToString();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].i64(), Spin(kIterations));
  EXPECT_GT(other->store.fuel_consumed(), at_suspension);
}

// A host function that asks for a suspension (as a signal handler might
// while the guest is in a host call) and then returns normally.
HostAction RequestAndContinue(HostCall& call, std::span<uint64_t> slots) {
  call.store().RequestSuspend();
  slots[0] = 5;
  return HostAction::kContinue;
}

HostAction SuspendHere(HostCall& call, std::span<uint64_t>) { return call.Suspend(); }

constexpr std::string_view kHostGuest = R"((module
  (import "env" "host" (func $host (result i32)))
  (memory (export "mem") 1)
  (func (export "run") (result i32)
    (local $i i32)
    (i32.store (i32.const 0) (call $host))
    (i32.store (i32.const 4) (i32.const 1))
    (loop $l
      (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
      (local.tee $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (i32.const 10))))
    (i32.load (i32.const 8))))
)";

struct HostGuest {
  Store store;
  Extern host;
  InstanceId inst = 0;
};

std::unique_ptr<HostGuest> LoadHostGuest(HostFn fn) {
  auto g = std::make_unique<HostGuest>();
  auto m = CompileWat(kHostGuest);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  g->host = g->store.AddHostFunc({{}, {ValType::kI32}}, fn, nullptr, "host");
  Extern imports[] = {g->host};
  auto inst = g->store.Instantiate(*m, imports);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  g->inst = *inst;
  return g;
}

// A request made during a host call takes effect at the first safe point
// after it (here the loop header), not a fuel chunk later.
TEST(SuspendTest, RequestDuringAHostCallStopsAtTheNextSafePoint) {
  auto g = LoadHostGuest(RequestAndContinue);
  std::vector<Value> results;
  ASSERT_EQ(g->store.Call(*g->store.GetExport(g->inst, "run"), {}, &results), Outcome::kSuspended)
      << g->store.trap().ToString();
  EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kSafePoint);
  std::span<uint8_t> mem = g->store.MemoryData(*g->store.GetExport(g->inst, "mem"));
  EXPECT_EQ(mem[0], 5);  // the rest of the calling block ran
  EXPECT_EQ(mem[4], 1);
  EXPECT_EQ(mem[8], 0);  // the loop did not
  // The host function asks again on the next call; resuming this one finishes.
  ASSERT_EQ(g->store.Resume({}, &results), Outcome::kReturned) << g->store.trap().ToString();
  EXPECT_EQ(results, std::vector<Value>{Value::I32(10)});
}

TEST(SuspendTest, HostCallSuspensionIsReportedAsSuch) {
  auto g = LoadHostGuest(SuspendHere);
  std::vector<Value> results;
  ASSERT_EQ(g->store.Call(*g->store.GetExport(g->inst, "run"), {}, &results), Outcome::kSuspended);
  EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kHostCall);
  Value host_result[] = {Value::I32(9)};
  ASSERT_EQ(g->store.Resume(host_result, &results), Outcome::kReturned);
  EXPECT_EQ(results, std::vector<Value>{Value::I32(10)});
  EXPECT_EQ(g->store.MemoryData(*g->store.GetExport(g->inst, "mem"))[0], 9);
}

// A host function called directly has no safe point: the request waits for
// the next call that runs guest code.
TEST(SuspendTest, DirectHostCallLeavesTheRequestPending) {
  auto g = LoadHostGuest(RequestAndContinue);
  std::vector<Value> results;
  ASSERT_EQ(g->store.Call(g->host, {}, &results), Outcome::kReturned);
  EXPECT_EQ(g->store.suspend_point(), SuspendPoint::kNone);
  Extern wasm_host = *g->store.GetExport(g->inst, "run");
  ASSERT_EQ(g->store.Call(wasm_host, {}, &results), Outcome::kSuspended);
  EXPECT_EQ(g->store.fuel_consumed(), 0u);  // at the entry of "run"
}

// The thread part of a saved state: its magic, then version u32, the code
// layout u64 and the suspend point u8.
size_t ThreadPart(const std::vector<uint8_t>& state) {
  const uint8_t magic[] = {'D', 'J', 'T', 'H'};
  auto it = std::find_end(state.begin(), state.end(), std::begin(magic), std::end(magic));
  EXPECT_NE(it, state.end());
  return static_cast<size_t>(it - state.begin());
}

// Rewrites the saved state's header (version, size, CRC) around `payload`.
std::vector<uint8_t> Reseal(std::vector<uint8_t> state, uint32_t version) {
  std::span<const uint8_t> payload = std::span(state).subspan(engine::kStateHeaderSize);
  std::vector<uint8_t> out = engine::StateHeader(version, payload);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST(SuspendTest, RestoreChecksTheSuspendPoint) {
  auto host = LoadHostGuest(SuspendHere);
  std::vector<Value> results;
  Extern run = *host->store.GetExport(host->inst, "run");
  ASSERT_EQ(host->store.Call(run, {}, &results), Outcome::kSuspended);
  std::vector<uint8_t> at_host = *host->store.SaveState();
  auto safe = LoadHostGuest(SuspendHere);
  safe->store.RequestSuspend();
  ASSERT_EQ(safe->store.Call(run, {}, &results), Outcome::kSuspended);
  std::vector<uint8_t> at_safe = *safe->store.SaveState();

  auto target = LoadHostGuest(SuspendHere);
  // Thread state version 4: the suspend byte follows magic and version.
  size_t point = ThreadPart(at_host) + 8;
  ASSERT_EQ(at_host[point], 1);
  // A host call's frames do not make a safe point, nor the other way round.
  std::vector<uint8_t> bad = at_host;
  bad[point] = 2;
  EXPECT_EQ(target->store.RestoreState(Reseal(bad, 2)).code(), Status::Code::kCorruption);
  point = ThreadPart(at_safe) + 8;
  ASSERT_EQ(at_safe[point], 2);
  bad = at_safe;
  bad[point] = 1;
  EXPECT_EQ(target->store.RestoreState(Reseal(bad, 2)).code(), Status::Code::kCorruption);
  bad[point] = 3;
  EXPECT_EQ(target->store.RestoreState(Reseal(bad, 2)).code(), Status::Code::kCorruption);
  // A safe point's Wasm offset where the code has none: the frame's offset
  // follows the suspend byte's fixed fields (num_results, pending, fuel:
  // 4+4+1+8+8+8+8, frame count 4, func 4, kind 1).
  bad = at_safe;
  bad[point + 1 + 4 + 4 + 1 + 8 + 8 + 8 + 8 + 4 + 4 + 1] += 1;
  EXPECT_EQ(target->store.RestoreState(Reseal(bad, 2)).code(), Status::Code::kCorruption);
  // Old thread state versions with frames: exec/portable_test.cc.
  // Versions from the future are refused as such.
  EXPECT_EQ(target->store.RestoreState(Reseal(at_safe, engine::kStateVersion + 1)).code(),
            Status::Code::kInvalidArgument);

  ASSERT_TRUE(target->store.RestoreState(at_safe).ok());
  EXPECT_EQ(target->store.suspend_point(), SuspendPoint::kSafePoint);
  target->store.ClearSuspendRequest();
  ASSERT_EQ(target->store.Resume({}, &results), Outcome::kSuspended);  // at the host call now
  EXPECT_EQ(target->store.suspend_point(), SuspendPoint::kHostCall);
}

}  // namespace
}  // namespace deja

namespace deja {
namespace {

// Many stores in one process: a request suspends the store it was made on
// and no other, from whichever thread makes it.
TEST(SuspendTest, RequestsArePerStore) {
  constexpr int kStores = 6;
  auto m = CompileWat(R"((module (func (export "spin") (loop (br 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<std::unique_ptr<Store>> stores;
  std::vector<Extern> spins;
  for (int i = 0; i < kStores; ++i) {
    stores.push_back(std::make_unique<Store>());
    auto inst = stores.back()->Instantiate(*m, {});
    ASSERT_TRUE(inst.ok());
    spins.push_back(*stores.back()->GetExport(*inst, "spin"));
  }
  std::vector<Outcome> outcomes(kStores, Outcome::kReturned);
  std::vector<std::thread> runners;
  for (int i = 0; i < kStores; ++i) {
    runners.emplace_back([&, i] {
      std::vector<Value> results;
      outcomes[i] = stores[i]->Call(spins[i], {}, &results);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  // Even stores are asked to suspend, odd ones are interrupted: each ends
  // the way it was asked to, so no request reached another store.
  for (int i = 0; i < kStores; ++i) {
    if (i % 2 == 0) {
      stores[i]->RequestSuspend();
    } else {
      stores[i]->Interrupt();
    }
  }
  for (std::thread& t : runners) t.join();
  for (int i = 0; i < kStores; ++i) {
    SCOPED_TRACE(i);
    if (i % 2 == 0) {
      EXPECT_EQ(outcomes[i], Outcome::kSuspended);
      EXPECT_EQ(stores[i]->suspend_point(), SuspendPoint::kSafePoint);
    } else {
      ASSERT_EQ(outcomes[i], Outcome::kTrapped);
      EXPECT_EQ(stores[i]->trap().kind, TrapKind::kInterrupted);
    }
  }
}

}  // namespace
}  // namespace deja
