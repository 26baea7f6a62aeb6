// Portable call stacks (thread state version 4): a state saved by code of
// one layout resumes under another (CompileOptions::test_layout_variant pads
// every instruction and defers no operand, so pcs and slots all differ),
// with the same results, fuel and state digest; the saved bytes do not depend
// on the layout at all; and crafted frames are refused with a message.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>

#include "deja/deja.h"
#include "engine/compile/code.h"
#include "engine/runtime/state_format.h"
#include "engine/runtime/store_impl.h"
#include "text/wat.h"

namespace deja {
namespace {

// Four frames deep ($run -> $outer -> $mid -> $leaf -> host), each caller
// with operands of every kind live under the call (locals and constants the
// compiler defers, `x + k` addends, computed values), locals of every type,
// inside nested blocks and loops.
constexpr std::string_view kGuest = R"((module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  (memory (export "mem") 1)
  (table $t 2 funcref)
  (elem declare func $leaf $mid)
  (func $leaf (param $n i32) (param $x i64) (result i64)
    (local $f f32) (local $d f64)
    (local.set $f (f32.convert_i32_s (local.get $n)))
    (local.set $d (f64.const 2.5))
    (block $b
      (loop $l
        (local.set $x (i64.add (local.get $x)
          (i64.extend_i32_u (i32.add (i32.add (local.get $n) (i32.const 16))
                                     (call $tick (local.get $n))))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $b (i32.eqz (local.get $n)))
        (br $l)))
    (i64.add (local.get $x)
             (i64.add (i64.trunc_f32_s (local.get $f)) (i64.trunc_f64_s (local.get $d)))))
  (func $mid (param $n i32) (param $r funcref) (param $e externref) (result i64)
    (local $acc i64) (local $g f32) (local $h f64)
    (local.set $g (f32.const 1.5))
    (local.set $h (f64.const -3.25))
    (local.set $acc
      (i64.add (i64.const 1000)
        (i64.mul (i64.extend_i32_u (i32.mul (local.get $n) (i32.const 3)))
                 (call $leaf (local.get $n) (i64.const 5)))))
    (i32.store (i32.const 64)
      (i32.add (i32.add (i32.mul (local.get $n) (i32.const 3)) (i32.const 9))
               (call $tick (local.get $n))))
    (table.set $t (i32.const 1) (local.get $r))
    (i64.add (local.get $acc)
      (i64.add (i64.reinterpret_f64 (f64.add (local.get $h)
                 (f64.convert_i64_s (call $leaf (i32.const 2) (local.get $acc)))))
               (i64.extend_i32_u (i32.add (ref.is_null (local.get $e))
                                          (i32.reinterpret_f32 (local.get $g)))))))
  (func $outer (param $n i32) (param $e externref) (result i64 externref)
    (local $r funcref) (local $k i64)
    (local.set $r (ref.func $mid))
    (block $a (result i64)
      (loop $l (result i64)
        (local.set $k
          (i64.add (i64.extend_i32_u (i32.add (i32.mul (local.get $n) (i32.const 7)) (i32.const 100)))
                   (call $mid (local.get $n) (local.get $r) (local.get $e))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $l (i32.gt_s (local.get $n) (i32.const 1)))
        (local.get $k)))
    (select (result externref) (local.get $e) (ref.null extern)
            (i32.wrap_i64 (call_indirect (param i32 funcref externref) (result i64)
                            (i32.const 2) (local.get $r) (local.get $e) (i32.const 1)))))
  (func (export "run") (param $n i32) (param $e externref) (result i64 externref)
    (local $z f64)
    (local.set $z (f64.const 0.5))
    (call $outer (local.get $n) (local.get $e))
    (drop (call $tick (i32.const 99)))))
)";

// The host's tick: returns 3n+1, or suspends (the driver resumes with 3n+1).
struct Tick {
  bool suspend = false;
  uint32_t last_arg = 0;
};

HostAction TickFn(HostCall& call, std::span<uint64_t> slots) {
  auto* t = static_cast<Tick*>(call.data());
  t->last_arg = static_cast<uint32_t>(slots[0]);
  if (t->suspend) return call.Suspend();
  slots[0] = 3 * t->last_arg + 1;
  return HostAction::kContinue;
}

const Module& GuestModule(uint8_t variant) {
  static const auto compile = [](uint8_t v) {
    auto bytes = text::WatToWasm(kGuest);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    CompileOptions options;
    options.test_layout_variant = v;
    auto m = Module::Compile(*bytes, options);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return std::move(*m);
  };
  static const Module a = compile(0), b = compile(1);
  return variant == 0 ? a : b;
}

struct Guest {
  Tick tick;
  Store store;
  InstanceId inst = 0;
};

std::unique_ptr<Guest> Load(uint8_t variant, bool suspend_in_host) {
  auto g = std::make_unique<Guest>();
  g->tick.suspend = suspend_in_host;
  Extern host = g->store.AddHostFunc({{ValType::kI32}, {ValType::kI32}}, TickFn, &g->tick, "tick");
  Extern imports[] = {host};
  auto inst = g->store.Instantiate(GuestModule(variant), imports);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  g->inst = *inst;
  return g;
}

Outcome RunGuest(Guest& g, std::vector<Value>* results) {
  Value args[] = {Value::I32(4), Value::Extern(77)};
  return g.store.Call(*g.store.GetExport(g.inst, "run"), args, results);
}

struct Final {
  std::vector<Value> results;
  uint64_t fuel = 0;
  std::string digest;
  bool operator==(const Final&) const = default;
};

Final Finish(Guest& g, std::vector<Value> results) {
  return {std::move(results), g.store.fuel_consumed(), g.store.StateDigest()};
}

Final Uninterrupted(uint8_t variant) {
  auto g = Load(variant, false);
  std::vector<Value> results;
  EXPECT_EQ(RunGuest(*g, &results), Outcome::kReturned) << g->store.trap().ToString();
  return Finish(*g, std::move(results));
}

TEST(PortableStackTest, TheTwoLayoutsReallyDiffer) {
  const auto& a = GuestModule(0).impl()->funcs;
  const auto& b = GuestModule(1).impl()->funcs;
  ASSERT_EQ(a.size(), b.size());
  // Layout A defers every kind of operand under some call: a local, a
  // constant, `local + k` and `own slot + k`; layout B defers nothing.
  bool seen[4] = {};
  size_t deferred_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NE(a[i].code.size(), b[i].code.size()) << i;
    for (const auto& d : a[i].deferred) {
      bool own = d.base == a[i].num_params + a[i].num_locals + d.pos;
      seen[d.where == engine::DeferredValue::kAddend && own ? 0 : d.where] = true;
    }
    deferred_b += b[i].deferred.size();
  }
  EXPECT_TRUE(seen[0] && seen[1] && seen[2] && seen[3]);
  EXPECT_EQ(deferred_b, 0u);
  EXPECT_EQ(Uninterrupted(0), Uninterrupted(1));
}

// Suspended in the host at every tick, the state goes back and forth between
// the layouts; both layouts save the very same bytes at every stop.
TEST(PortableStackTest, HostCallStacksResumeUnderTheOtherLayout) {
  Final plain = Uninterrupted(0);
  std::vector<Value> results;
  auto a = Load(0, true), b = Load(1, true);
  Outcome oa = RunGuest(*a, &results), ob = RunGuest(*b, &results);
  int stops = 0;
  uint8_t next = 1;
  std::unique_ptr<Guest> cur = std::move(a);
  while (oa == Outcome::kSuspended) {
    ASSERT_EQ(ob, Outcome::kSuspended);
    ++stops;
    auto sa = cur->store.SaveState();
    auto sb = b->store.SaveState();
    ASSERT_TRUE(sa.ok() && sb.ok());
    ASSERT_EQ(*sa, *sb) << "stop " << stops << ": the saved state depends on the code layout";
    auto moved = Load(next, true);
    Status restored = moved->store.RestoreState(*sa);
    ASSERT_TRUE(restored.ok()) << restored.ToString();
    Value reply[] = {Value::I32(3 * cur->tick.last_arg + 1)};
    oa = moved->store.Resume(reply, &results);
    ob = b->store.Resume(reply, &results);
    cur = std::move(moved);
    next ^= 1;
  }
  ASSERT_EQ(oa, Outcome::kReturned) << cur->store.trap().ToString();
  EXPECT_GE(stops, 12);
  EXPECT_EQ(Finish(*cur, results), plain);
}

// Out of fuel at every N: saved under one layout, resumed under the other.
TEST(PortableStackTest, SafePointStacksResumeUnderTheOtherLayout) {
  Final plain = Uninterrupted(0);
  ASSERT_GT(plain.fuel, 100u);
  for (uint64_t n = 1; n < plain.fuel; ++n) {
    SCOPED_TRACE(n);
    std::vector<Value> results;
    std::optional<std::vector<uint8_t>> saved[2];
    for (uint8_t v : {0, 1}) {
      auto g = Load(v, false);
      g->store.SetSuspendOnOutOfFuel(true);
      g->store.SetFuel(n);
      ASSERT_EQ(RunGuest(*g, &results), Outcome::kSuspended) << g->store.trap().ToString();
      auto state = g->store.SaveState();
      ASSERT_TRUE(state.ok());
      saved[v] = std::move(*state);
    }
    ASSERT_EQ(*saved[0], *saved[1]) << "the saved state depends on the code layout";
    uint8_t to = static_cast<uint8_t>(n % 2);  // both directions
    auto g = Load(to, false);
    Status restored = g->store.RestoreState(*saved[1 - to]);
    ASSERT_TRUE(restored.ok()) << restored.ToString();
    g->store.SetFuel(std::nullopt);
    ASSERT_EQ(g->store.Resume({}, &results), Outcome::kReturned) << g->store.trap().ToString();
    ASSERT_EQ(Finish(*g, results), plain);
  }
}

// A call whose return address is also the pc of the Fuel op after it (the
// block's end, reached by a branch): a frame suspended at that Fuel op is a
// safe point, not the call, at every fuel budget.
TEST(PortableStackTest, SafePointRightAfterACall) {
  auto bytes = text::WatToWasm(R"((module
    (func $f)
    (func (export "g") (param i32) (result i32)
      (block $b (br_if $b (local.get 0)) (call $f))
      (i32.const 7))))");
  ASSERT_TRUE(bytes.ok());
  for (uint8_t layout : {0, 1}) {
    CompileOptions options;
    options.test_layout_variant = layout;
    auto m = Module::Compile(*bytes, options);
    ASSERT_TRUE(m.ok());
    for (uint64_t n = 1; n < 12; ++n) {
      SCOPED_TRACE(n);
      Store a, b;
      InstanceId ia = *a.Instantiate(*m, {}), ib = *b.Instantiate(*m, {});
      a.SetSuspendOnOutOfFuel(true);
      a.SetFuel(n);
      Value args[] = {Value::I32(0)};
      std::vector<Value> results;
      Outcome o = a.Call(*a.GetExport(ia, "g"), args, &results);
      if (o == Outcome::kReturned) break;
      ASSERT_EQ(o, Outcome::kSuspended) << a.trap().ToString();
      Status s = b.RestoreState(*a.SaveState());
      ASSERT_TRUE(s.ok()) << s.ToString();
      (void)ib;
      b.SetFuel(std::nullopt);
      ASSERT_EQ(b.Resume({}, &results), Outcome::kReturned) << b.trap().ToString();
      EXPECT_EQ(results, std::vector<Value>{Value::I32(7)});
    }
  }
}

}  // namespace
}  // namespace deja
