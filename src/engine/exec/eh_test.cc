// Exception handling (legacy form): throws unwind the engine's frame
// records, deliver payloads, keep the stack below the try, and are named
// when uncaught; an exception never crosses a host function; fuel is
// charged; a thread suspended in a try or a catch clause saves and resumes
// in a fresh store (its caught exception travels in the state).
#include <gtest/gtest.h>

#include "engine/exec/exec_test_util.h"

namespace deja::engine {
namespace {

using testing::Call1;
using testing::CallTrap;
using testing::LoadWat;

constexpr const char* kGuest = R"(
(module $m
  (tag $e (export "e") (param i32 i64))
  (tag $other)
  (func $thrower (param i32)
    (if (i32.gt_s (local.get 0) (i32.const 10))
      (then (throw $e (local.get 0) (i64.const 7)))))
  (func $middle (param i32) (result i32)
    (call $thrower (local.get 0))
    (i32.const 1))
  ;; A value below the try survives the unwind; the payload is delivered.
  (func (export "catch_deep") (param i32) (result i64) (local $x i64)
    (i64.const 1000)
    (try (result i64)
      (do (drop (call $middle (local.get 0))) (i64.const 0))
      (catch $e (local.set $x) (i64.extend_i32_u) (local.get $x) (i64.add)))
    (i64.add))
  (func (export "uncaught") (param i32) (result i32) (call $middle (local.get 0)))
  (func (export "rethrown") (result i32)
    (try (result i32)
      (do (try (do (call $thrower (i32.const 20)))
                (catch_all (rethrow 0)))
          (i32.const 0))
      (catch $e (drop) (drop) (i32.const 5))))
  (func (export "delegated") (result i32)
    (try (result i32)
      (do (try (do (call $thrower (i32.const 30))) (delegate 0)) (i32.const 0))
      (catch $other (i32.const 1))
      (catch $e (drop) (drop) (i32.const 2))))
  ;; Many catches in one call: caught exceptions do not pile up.
  (func (export "many") (param $n i32) (result i32) (local $sum i32)
    (loop $l
      (try (do (throw $e (local.get $n) (i64.const 1)))
        (catch $e (drop) (local.set $sum (i32.add (local.get $sum)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $sum))
)
)";

TEST(ExceptionsTest, ThrowUnwindsFramesAndDeliversThePayload) {
  Store store;
  InstanceId inst = LoadWat(store, kGuest);
  EXPECT_EQ(Call1(store, inst, "catch_deep", {Value::I32(42)}).lo, 1000u + 42 + 7);
  EXPECT_EQ(Call1(store, inst, "catch_deep", {Value::I32(3)}).lo, 1000u);
  EXPECT_EQ(Call1(store, inst, "rethrown", {}).lo, 5u);
  EXPECT_EQ(Call1(store, inst, "delegated", {}).lo, 2u);
  EXPECT_EQ(Call1(store, inst, "many", {Value::I32(100000)}).lo, 100000u * 100001u / 2);
}

// A v128 payload keeps its high half (kept in the slots' upper half, see
// docs/INTERPRETER.md) through throw, catch and rethrow.
TEST(ExceptionsTest, AV128PayloadKeepsBothHalves) {
  Store store;
  InstanceId inst = LoadWat(store, R"(
(module
  (tag $t (param v128 i32))
  (func (export "caught") (result v128)
    (try (result v128 i32)
      (do (v128.const i64x2 0x1111111122222222 0x3333333344444444) (i32.const 7) (throw $t))
      (catch $t))
    (drop))
  (func (export "rethrown") (result v128)
    (try (result v128)
      (do (try (do (v128.const i64x2 0x5555555566666666 0x7777777788888888) (i32.const 1)
                   (throw $t))
               (catch $t (drop) (drop) (rethrow 0)))
          (unreachable))
      (catch $t (drop)))))
)");
  Value caught = Call1(store, inst, "caught", {});
  EXPECT_EQ(caught.lo, 0x1111111122222222u);
  EXPECT_EQ(caught.hi, 0x3333333344444444u);
  Value rethrown = Call1(store, inst, "rethrown", {});
  EXPECT_EQ(rethrown.lo, 0x5555555566666666u);
  EXPECT_EQ(rethrown.hi, 0x7777777788888888u);
}

TEST(ExceptionsTest, AnUncaughtExceptionNamesTheTagWithABacktrace) {
  Store store;
  InstanceId inst = LoadWat(store, kGuest);
  Trap trap = CallTrap(store, inst, "uncaught", {Value::I32(11)});
  EXPECT_EQ(trap.kind, TrapKind::kUncaughtException);
  EXPECT_EQ(trap.message, "uncaught exception: tag 0 \"e\" of module \"m\" with (i32:0xb, i64:0x7)");
  ASSERT_EQ(trap.backtrace.size(), 3u);  // thrower, middle, uncaught
  EXPECT_EQ(trap.backtrace[0].func_index, 0u);
  EXPECT_EQ(trap.backtrace[2].func_index, 3u);
  // The store is usable afterwards.
  EXPECT_EQ(Call1(store, inst, "catch_deep", {Value::I32(42)}).lo, 1049u);
}

TEST(ExceptionsTest, TagIdentityIsTheImportedTagNotItsType) {
  Store store;
  InstanceId a = LoadWat(store, R"((module (tag $t (export "t") (param i32))
    (func (export "throw") (param i32) (throw $t (local.get 0)))))");
  Extern tag = *store.GetExport(a, "t");
  Extern thrower = *store.GetExport(a, "throw");
  InstanceId b = LoadWat(store, R"((module
    (import "a" "t" (tag $t (param i32)))
    (import "a" "throw" (func $throw (param i32)))
    (tag $same_type (param i32))
    (func (export "f") (result i32)
      (try (result i32) (do (call $throw (i32.const 9)) (i32.const 0))
        (catch $same_type (i32.const 100) (i32.add))
        (catch $t (i32.const 200) (i32.add))))))",
                         {tag, thrower});
  EXPECT_EQ(Call1(store, b, "f", {}).lo, 209u);
}

// Shapes the compiler must get right: a try with parameters, a throw from
// a catch clause to the try around it, rethrow of an outer clause's
// exception from an inner one, delegate to a try that is already in its
// catch clause (so to the one around that), a branch out of a clause, and
// a recursion that catches and rethrows at every level.
constexpr const char* kShapes = R"(
(module
  (tag $a (param i32))
  (tag $b (param i32))
  (func (export "params") (result i32)
    (i32.const 40)
    (try (param i32) (result i32)
      (do (i32.const 2) (i32.add) (throw $a))
      (catch $a (i32.const 1) (i32.add))))
  (func (export "from_clause") (result i32)
    (try (result i32)
      (do (try (result i32)
            (do (throw $a (i32.const 1)))
            (catch $a (i32.const 10) (i32.add) (throw $b))))
      (catch $b (i32.const 100) (i32.add))))
  (func (export "outer_rethrow") (result i32)
    (try (result i32)
      (do (try (do (throw $a (i32.const 5)))
            (catch $a (drop)
              (try (do (throw $b (i32.const 6)))
                (catch $b (drop) (rethrow 1)))))
          (i32.const 0))
      (catch $a (i32.const 1000) (i32.add))
      (catch $b (i32.const 2000) (i32.add))))
  (func (export "delegate_past_clause") (result i32)
    (try $outer (result i32)
      (do (try $mid (result i32)
            (do (throw $b (i32.const 1)))
            (catch $b (drop)
              (try (do (throw $a (i32.const 7))) (delegate $mid))
              (i32.const 0))))
      (catch $a (i32.const 300) (i32.add))))
  (func (export "branch_out") (result i32) (local $n i32)
    (block $done
      (loop $again
        (try (do (throw $a (local.get $n)))
          (catch $a
            (local.set $n (i32.add (i32.const 1)))
            (br_if $done (i32.ge_u (local.get $n) (i32.const 5)))
            (br $again)))))
    (local.get $n))
  (func $down (param $d i32) (result i32)
    (if (i32.eqz (local.get $d)) (then (throw $a (i32.const 0))))
    (try (result i32)
      (do (call $down (i32.sub (local.get $d) (i32.const 1))))
      (catch_all (rethrow 0))))
  (func (export "recursive") (param i32) (result i32)
    (try (result i32) (do (call $down (local.get 0))) (catch $a (i32.const 77) (i32.add))))
)
)";

TEST(ExceptionsTest, CompilerShapes) {
  Store store;
  InstanceId inst = LoadWat(store, kShapes);
  EXPECT_EQ(Call1(store, inst, "params", {}).lo, 43u);
  EXPECT_EQ(Call1(store, inst, "from_clause", {}).lo, 111u);
  EXPECT_EQ(Call1(store, inst, "outer_rethrow", {}).lo, 1005u);
  EXPECT_EQ(Call1(store, inst, "delegate_past_clause", {}).lo, 307u);
  EXPECT_EQ(Call1(store, inst, "branch_out", {}).lo, 5u);
  EXPECT_EQ(Call1(store, inst, "recursive", {Value::I32(1000)}).lo, 77u);
}

// A host function cannot raise a Wasm exception, and a Wasm exception does
// not pass through one: a host that calls Wasm in another store which
// throws sees an uncaught-exception trap; if it traps in turn, the calling
// guest traps, and its catch_all does not see it.
struct Inner {
  Store store;
  Extern f{};
};

HostAction CallsThrowingWasm(HostCall& call, std::span<uint64_t>) {
  auto* inner = static_cast<Inner*>(call.data());
  std::vector<Value> results;
  Outcome o = inner->store.Call(inner->f, std::vector<Value>{Value::I32(50)}, &results);
  if (o == Outcome::kTrapped) return call.Trap("inner guest: " + inner->store.trap().message);
  return HostAction::kContinue;
}

TEST(ExceptionsTest, AnExceptionDoesNotCrossAHostFunction) {
  Inner inner;
  InstanceId i = LoadWat(inner.store, kGuest);
  inner.f = *inner.store.GetExport(i, "uncaught");
  Store store;
  Extern host = store.AddHostFunc({{}, {}}, CallsThrowingWasm, &inner, "host");
  InstanceId outer = LoadWat(store, R"((module
    (import "env" "host" (func $host))
    (func (export "f") (result i32)
      (try (result i32) (do (call $host) (i32.const 0)) (catch_all (i32.const 1))))))",
                             {host});
  Trap trap = CallTrap(store, outer, "f", {});
  EXPECT_EQ(trap.kind, TrapKind::kHost);
  EXPECT_EQ(trap.message, "inner guest: uncaught exception: tag 0 \"e\" of module \"m\" "
                          "with (i32:0x32, i64:0x7)");
}

TEST(ExceptionsTest, ThrowingChargesFuel) {
  Store store;
  InstanceId inst = LoadWat(store, kGuest);
  store.SetFuel(100000);
  Trap trap = CallTrap(store, inst, "many", {Value::I32(1000000)});
  EXPECT_EQ(trap.kind, TrapKind::kOutOfFuel);
}

TEST(ExceptionsTest, TurnedOffTheyAreRefusedByName) {
  Result<std::vector<u8>> bytes = text::WatToWasm(kGuest);
  ASSERT_TRUE(bytes.ok());
  CompileOptions options;
  options.features.set(Feature::kExceptions, false);
  Result<Module> m = Module::Compile(*bytes, options);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(m.status().message().find("feature turned off: exceptions"), std::string::npos)
      << m.status().ToString();
  // A try with a type index needs both features; either one off refuses it.
  Result<std::vector<u8>> typed = text::WatToWasm(R"((module
    (func (param i32) (local.get 0) (try (param i32) (do (drop))))))");
  ASSERT_TRUE(typed.ok());
  for (Feature off : {Feature::kExceptions, Feature::kMultiValue}) {
    CompileOptions o;
    o.features.set(off, false);
    Result<Module> t = Module::Compile(*typed, o);
    ASSERT_FALSE(t.ok()) << FeatureName(off);
    EXPECT_NE(t.status().message().find(std::string("feature turned off: ") +
                                        std::string(FeatureName(off))),
              std::string::npos)
        << t.status().ToString();
  }
}

// Suspended (in a host call) inside a catch clause and inside a try body.
constexpr const char* kSuspending = R"(
(module
  (import "env" "pause" (func $pause))
  (tag $e (param i32))
  (func (export "in_catch") (result i32)
    (try (result i32)
      (do (try (do (throw $e (i32.const 33)))
                (catch $e (drop) (call $pause) (rethrow 0)))
          (i32.const 0))
      (catch $e (i32.const 100) (i32.add))))
  (func (export "in_try") (result i32)
    (try (result i32)
      (do (call $pause) (throw $e (i32.const 44)))
      (catch $e (i32.const 1) (i32.add))))
)
)";

HostAction Pause(HostCall& call, std::span<uint64_t>) { return call.Suspend(); }

TEST(ExceptionsTest, SuspendedInACatchOrATryResumesInANewStore) {
  for (const char* name : {"in_catch", "in_try"}) {
    std::vector<u8> state;
    {
      Store store;
      Extern pause = store.AddHostFunc({{}, {}}, Pause, nullptr, "pause");
      InstanceId inst = LoadWat(store, kSuspending, {pause});
      std::vector<Value> results;
      ASSERT_EQ(testing::CallExport(store, inst, name, {}, &results), Outcome::kSuspended);
      Result<std::vector<u8>> saved = store.SaveState();
      ASSERT_TRUE(saved.ok()) << saved.status().ToString();
      state = *saved;
    }
    Store store;
    Extern pause = store.AddHostFunc({{}, {}}, Pause, nullptr, "pause");
    LoadWat(store, kSuspending, {pause});
    Status restored = store.RestoreState(state);
    ASSERT_TRUE(restored.ok()) << restored.ToString();
    std::vector<Value> results;
    ASSERT_EQ(store.Resume({}, &results), Outcome::kReturned) << store.trap().ToString();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].lo, std::string(name) == "in_catch" ? 133u : 45u) << name;
  }
}

}  // namespace
}  // namespace deja::engine
