// Calls that cross boundaries: between instances with different memories,
// through tables to host functions, and host functions called directly.
#include "engine/exec/exec_test_util.h"

namespace deja {
namespace {

using engine::testing::Call1;
using engine::testing::CallExport;
using engine::testing::CallTrap;
using engine::testing::LoadWat;

TEST(CallsTest, EachInstanceSeesItsOwnMemoryAcrossCalls) {
  Store store;
  InstanceId lib = LoadWat(store, R"(
(module
  (memory 1)
  (data (i32.const 0) "\22")
  (func (export "peek") (result i32) (i32.load8_u (i32.const 0)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
)");
  std::vector<Extern> imports = {*store.GetExport(lib, "peek"), *store.GetExport(lib, "grow")};
  InstanceId app = LoadWat(store, R"(
(module
  (import "lib" "peek" (func $peek (result i32)))
  (import "lib" "grow" (func $grow (result i32)))
  (memory 1)
  (data (i32.const 0) "\11")
  ;; mine + theirs + mine again: the memory cache follows the instance
  (func (export "mix") (result i32)
    (i32.add (i32.load8_u (i32.const 0))
      (i32.add (call $peek) (i32.load8_u (i32.const 0)))))
  ;; growing their memory must not change my bound
  (func (export "grow_theirs") (result i32)
    (drop (call $grow)) (i32.load (i32.const 65536))))
)",
                           imports);
  EXPECT_EQ(Call1(store, app, "mix", {}), Value::I32(0x11 + 0x22 + 0x11));
  EXPECT_EQ(CallTrap(store, app, "grow_theirs", {}).kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(Call1(store, lib, "grow", {}), Value::I32(2));
}

HostAction Triple(HostCall&, std::span<uint64_t> slots) {
  slots[0] = static_cast<uint32_t>(slots[0] * 3);
  return HostAction::kContinue;
}

HostAction Halve(HostCall& call, std::span<uint64_t>) { return call.Suspend(); }

TEST(CallsTest, CallIndirectReachesHostFunctions) {
  Store store;
  Extern triple = store.AddHostFunc({{ValType::kI32}, {ValType::kI32}}, Triple, nullptr, "triple");
  InstanceId inst = LoadWat(store, R"(
(module
  (import "env" "triple" (func $triple (param i32) (result i32)))
  (type $ii (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $triple)
  (func (export "go") (param i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (i32.const 0))))
)",
                            {triple});
  EXPECT_EQ(Call1(store, inst, "go", {Value::I32(14)}), Value::I32(42));
}

TEST(CallsTest, HostFunctionsCanBeCalledAndResumedDirectly) {
  Store store;
  Extern triple = store.AddHostFunc({{ValType::kI32}, {ValType::kI32}}, Triple, nullptr, "triple");
  std::vector<Value> results;
  ASSERT_EQ(store.Call(triple, std::vector<Value>{Value::I32(5)}, &results), Outcome::kReturned);
  EXPECT_EQ(results, std::vector<Value>{Value::I32(15)});

  Extern halve = store.AddHostFunc({{ValType::kI32}, {ValType::kI32}}, Halve, nullptr, "halve");
  ASSERT_EQ(store.Call(halve, std::vector<Value>{Value::I32(8)}, &results), Outcome::kSuspended);
  ASSERT_EQ(store.Resume(std::vector<Value>{Value::I32(4)}, &results), Outcome::kReturned);
  EXPECT_EQ(results, std::vector<Value>{Value::I32(4)});
}

TEST(CallsTest, ManyArgumentsAndResultsPassThroughSlots) {
  Store store;
  InstanceId inst = LoadWat(store, R"(
(module
  (func $rot (param i32 i64 f32 f64) (result f64 i32 i64 f32)
    (local.get 3) (local.get 0) (local.get 1) (local.get 2))
  (func (export "go") (result i64) (local $b i64)
    (call $rot (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4))
    drop
    local.set $b
    i64.extend_i32_u
    local.get $b
    i64.add
    local.set $b
    i64.trunc_f64_s
    local.get $b
    i64.add))
)");
  // rot(1, 2, 3.0, 4.0) = (4.0, 1, 2, 3.0); trunc(4.0) + (1 + 2).
  EXPECT_EQ(Call1(store, inst, "go", {}), Value::I64(7));
}

}  // namespace
}  // namespace deja
