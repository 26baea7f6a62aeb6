#include "snapshot/emit_wasm.h"

#include <gtest/gtest.h>

#include "deja/deja.h"
#include "text/wat.h"

namespace deja::snapshot {
namespace {

// Memory (grown, written in two places, a passive segment dropped and one
// kept), globals of every number type and a funcref, a table (filled by an
// active segment, then set and grown), a declarative segment that ref.func
// in code relies on, a start function, and an _initialize that changes all
// of it. Imports a host function so that addresses are shifted.
constexpr const char* kModule = R"((module
  (import "env" "tick" (func $tick (param i32)))
  (memory 1 10)
  (table $t 4 8 funcref)
  (global $count (mut i32) (i32.const 0))
  (global $wide (mut i64) (i64.const 1))
  (global $single (mut f32) (f32.const 1.5))
  (global $double (mut f64) (f64.const -2.25))
  (global $fref (mut funcref) (ref.null func))
  (global $fixed i32 (i32.const 42))
  (data (i32.const 16) "hello")
  (data $kept "passive bytes")
  (data $gone "dropped bytes")
  (elem (i32.const 0) $f $g)
  (elem $spare func $g $f)
  (elem declare func $h)
  (func $f (result i32) (i32.const 1))
  (func $g (result i32) (i32.const 2))
  (func $h (result i32) (i32.const 3))
  (func $start
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 100) (i32.const 7)))
  (start $start)
  (func (export "_initialize")
    (call $tick (i32.const 1))
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 70000) (i32.const 0x01020304))
    (i64.store (i32.const 196600) (i64.const -1))
    (data.drop $gone)
    (global.set $count (i32.add (global.get $count) (i32.const 10)))
    (global.set $wide (i64.const -5000000000))
    (global.set $single (f32.const -0.0))
    (global.set $double (f64.const nan:0x8000000000001))
    (global.set $fref (ref.func $g))
    (table.set $t (i32.const 3) (ref.func $h))
    (drop (table.grow $t (ref.func $g) (i32.const 2))))
  (func (export "count") (result i32) (global.get $count))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
  (func (export "h_ref") (result i32) (call $use_ref (ref.func $h)))
  (func $use_ref (param funcref) (result i32)
    (table.set $t (i32.const 2) (local.get 0))
    (call_indirect (result i32) (i32.const 2)))
  (func (export "init_kept") (result i32)
    (memory.init $kept (i32.const 200) (i32.const 0) (i32.const 7))
    (i32.load8_u (i32.const 206)))
  (func (export "init_gone") (memory.init $gone (i32.const 200) (i32.const 0) (i32.const 1)))
  (func (export "spare") (table.init $t $spare (i32.const 4) (i32.const 0) (i32.const 2)))
))";

HostAction Tick(HostCall& call, std::span<uint64_t> slots) {
  *static_cast<int*>(call.data()) += static_cast<int>(slots[0]);
  return HostAction::kContinue;
}

struct Guest {
  Store store;
  int ticks = 0;
  InstanceId instance = 0;

  // Instantiates `wasm` with "env" "tick" as its only import (added first,
  // so function addresses agree between two Guests).
  Status Start(std::span<const u8> wasm) {
    Result<Module> module = Module::Compile(wasm);
    if (!module.ok()) return module.take_status();
    Linker linker;
    linker.Define("env", "tick",
                  store.AddHostFunc(FuncType{{ValType::kI32}, {}}, Tick, &ticks, "tick"));
    Result<InstanceId> id = linker.Instantiate(store, *module);
    if (!id.ok()) return id.take_status();
    instance = *id;
    return Status();
  }
  std::vector<Value> Call(const std::string& name, std::vector<Value> args = {}) {
    std::vector<Value> results;
    std::optional<Extern> f = store.GetExport(instance, name);
    EXPECT_TRUE(f.has_value()) << name;
    if (!f) return results;
    Outcome outcome = store.Call(*f, args, &results);
    EXPECT_EQ(outcome, Outcome::kReturned) << name << ": " << store.trap().ToString();
    return results;
  }
  Outcome CallOutcome(const std::string& name) {
    std::vector<Value> results;
    return store.Call(*store.GetExport(instance, name), {}, &results);
  }
};

std::vector<u8> Wasm(const char* wat) {
  Result<std::vector<u8>> wasm = text::WatToWasm(wat);
  EXPECT_TRUE(wasm.ok()) << wasm.status().ToString();
  return wasm.ok() ? *wasm : std::vector<u8>{};
}

TEST(EmitWasm, InstantiatesIntoTheInitialisedStateWithoutRunningAnything) {
  std::vector<u8> wasm = Wasm(kModule);
  Guest before;
  ASSERT_TRUE(before.Start(wasm).ok());
  before.Call("_initialize");
  ASSERT_EQ(before.ticks, 1);

  Result<std::vector<u8>> baked = EmitInitializedWasm(wasm, before.store, before.instance);
  ASSERT_TRUE(baked.ok()) << baked.status().ToString();
  // deja's own validator accepts it (Start compiles it).
  Guest after;
  Status started = after.Start(*baked);
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(after.store.StateDigest(), before.store.StateDigest());
  EXPECT_EQ(after.Call("count")[0].lo, 11u);  // the start function did not run again

  // _initialize is a no-op now: nothing changes, the host is not called.
  after.Call("_initialize");
  EXPECT_EQ(after.ticks, 0);
  EXPECT_EQ(after.store.StateDigest(), before.store.StateDigest());

  // Segments behave as they did: the kept passive one still initialises,
  // the dropped one traps for a non-empty range, the passive element
  // segment still fills the table, and ref.func of a function declared only
  // by a (now declarative) segment still validates and runs.
  std::vector<u64> seen[2];
  for (int which = 0; which < 2; ++which) {
    Guest& g = which == 0 ? before : after;
    EXPECT_EQ(g.Call("init_kept")[0].lo, static_cast<u64>('e'));  // "passive"[6]
    EXPECT_EQ(g.CallOutcome("init_gone"), Outcome::kTrapped);
    g.Call("spare");
    for (u32 i : {0u, 1u, 3u, 4u, 5u}) seen[which].push_back(g.Call("call", {Value::I32(i)})[0].lo);
    EXPECT_EQ(g.Call("h_ref")[0].lo, 3u);
  }
  EXPECT_EQ(seen[0], (std::vector<u64>{1, 2, 3, 2, 1}));  // $f $g $h, then $spare: $g $f
  EXPECT_EQ(seen[1], seen[0]);
  EXPECT_EQ(after.store.StateDigest(), before.store.StateDigest());
}

TEST(EmitWasm, RefusesASuspendedGuest) {
  std::vector<u8> wasm = Wasm(R"((module
    (import "deja" "snapshot" (func $snap (result i32)))
    (func (export "_initialize") (drop (call $snap)))))");
  Store store;
  Linker linker;
  linker.Define(
      "deja", "snapshot",
      store.AddHostFunc(
          FuncType{{}, {ValType::kI32}},
          [](HostCall& call, std::span<uint64_t>) { return call.Suspend(); }, nullptr, "snapshot"));
  Result<Module> module = Module::Compile(wasm);
  ASSERT_TRUE(module.ok());
  Result<InstanceId> instance = linker.Instantiate(store, *module);
  ASSERT_TRUE(instance.ok());
  std::vector<Value> results;
  ASSERT_EQ(store.Call(*store.GetExport(*instance, "_initialize"), {}, &results),
            Outcome::kSuspended);
  Result<std::vector<u8>> baked = EmitInitializedWasm(wasm, store, *instance);
  ASSERT_FALSE(baked.ok());
  EXPECT_EQ(baked.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(baked.status().message().find("suspended"), std::string_view::npos);
}

TEST(EmitWasm, RefusesAHostReferenceInATable) {
  std::vector<u8> wasm = Wasm(R"((module
    (table $t 1 externref)
    (func (export "put") (param externref) (table.set $t (i32.const 0) (local.get 0)))))");
  Guest g;
  ASSERT_TRUE(g.Start(wasm).ok());
  g.Call("put", {Value::Extern(5)});
  Result<std::vector<u8>> baked = EmitInitializedWasm(wasm, g.store, g.instance);
  ASSERT_FALSE(baked.ok());
  EXPECT_EQ(baked.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(baked.status().message().find("table 0 element 0"), std::string_view::npos);
}

// Untouched (zero) memory costs nothing; nearby bytes share a segment.
TEST(EmitWasm, StoresOnlyNonZeroRanges) {
  std::vector<u8> wasm = Wasm(R"((module
    (memory 64)
    (func (export "_initialize")
      (i32.store8 (i32.const 10) (i32.const 1))
      (i32.store8 (i32.const 20) (i32.const 2))
      (i32.store8 (i32.const 4000000) (i32.const 3)))))");
  Guest g;
  ASSERT_TRUE(g.Start(wasm).ok());
  g.Call("_initialize");
  Result<std::vector<u8>> baked = EmitInitializedWasm(wasm, g.store, g.instance);
  ASSERT_TRUE(baked.ok()) << baked.status().ToString();
  EXPECT_LT(baked->size(), wasm.size() + 64);  // two small segments, not 4 MiB
  Guest again;
  ASSERT_TRUE(again.Start(*baked).ok());
  EXPECT_EQ(again.store.StateDigest(), g.store.StateDigest());
  EXPECT_EQ(again.store.MemoryPages(again.store.GetInstanceObjects(again.instance).memories[0]),
            64u);
}

}  // namespace
}  // namespace deja::snapshot
