#include <gtest/gtest.h>

#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

HostAction AddTen(HostCall&, std::span<uint64_t> slots) {
  slots[0] = static_cast<uint32_t>(slots[0] + 10);
  return HostAction::kContinue;
}

HostAction WriteMemory(HostCall& call, std::span<uint64_t> slots) {
  std::span<uint8_t> mem = call.memory();
  if (mem.size() <= slots[0]) return call.Trap("address out of range");
  mem[slots[0]] = 0xab;
  return HostAction::kContinue;
}

HostAction ExitWithSeven(HostCall& call, std::span<uint64_t>) { return call.Exit(7); }

TEST(StoreTest, HostExitEndsTheCall) {
  Store store;
  Linker linker;
  linker.Define("env", "exit", store.AddHostFunc({}, ExitWithSeven, nullptr, "exit"));
  auto m = CompileWat(R"((module (import "env" "exit" (func $exit))
    (func (export "main") (result i32) (call $exit) (i32.const 1))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto inst = linker.Instantiate(store, *m);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  std::vector<Value> results;
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "main"), {}, &results), Outcome::kExited);
  EXPECT_EQ(store.exit_code(), 7);
  EXPECT_FALSE(store.suspended());
}

TEST(StoreTest, TrapKindMessagesAreTheSpecTexts) {
  EXPECT_STREQ(TrapKindMessage(TrapKind::kUnreachable), "unreachable");
  EXPECT_STREQ(TrapKindMessage(TrapKind::kMemoryOutOfBounds), "out of bounds memory access");
  EXPECT_STREQ(TrapKindMessage(TrapKind::kUndefinedElement), "undefined element");
  EXPECT_STREQ(TrapKindMessage(TrapKind::kInvalidConversion), "invalid conversion to integer");
  EXPECT_STREQ(TrapKindMessage(TrapKind::kCallStackExhausted), "call stack exhausted");
}

TEST(StoreTest, TrapToStringListsFrames) {
  Trap trap;
  trap.kind = TrapKind::kIntegerDivideByZero;
  trap.message = "integer divide by zero";
  trap.backtrace.push_back({3, "div", "calc", 0x2a});
  trap.backtrace.push_back({1, "", "", 0x10});
  EXPECT_EQ(trap.ToString(),
            "integer divide by zero\n  at calc.div (offset 0x2a)\n  at func[1] (offset 0x10)");
}

TEST(StoreTest, GlobalsApi) {
  Store store;
  EXPECT_FALSE(store.AddGlobal({ValType::kI32, true}, Value::I64(1)).ok());
  auto mut = store.AddGlobal({ValType::kF64, true}, Value::F64(1.5));
  auto imm = store.AddGlobal({ValType::kI32, false}, Value::I32(7));
  ASSERT_TRUE(mut.ok() && imm.ok());
  EXPECT_EQ(store.GetGlobal(*mut).f64(), 1.5);
  EXPECT_EQ(store.GetGlobalType(*mut), (GlobalType{ValType::kF64, true}));
  EXPECT_TRUE(store.SetGlobal(*mut, Value::F64(-2)).ok());
  EXPECT_EQ(store.GetGlobal(*mut).f64(), -2.0);
  EXPECT_EQ(store.SetGlobal(*mut, Value::I32(1)).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store.SetGlobal(*imm, Value::I32(1)).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store.GetGlobal(*imm), Value::I32(7));
}

TEST(StoreTest, TablesApi) {
  Store store;
  EXPECT_FALSE(store.AddTable({ValType::kFuncRef, {1, std::nullopt}}, Value::I32(0)).ok());
  auto t = store.AddTable({ValType::kExternRef, {3, 9}}, Value::Extern(5));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(store.TableSize(*t), 3u);
  auto v = store.TableGet(*t, 2);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type, ValType::kExternRef);
  EXPECT_EQ(v->extern_payload(), 5u);
  EXPECT_EQ(store.TableGet(*t, 3).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store.GetTableType(*t), (TableType{ValType::kExternRef, {3, 9}}));
}

TEST(StoreTest, CallChecksArguments) {
  Store store;
  Extern f = store.AddHostFunc({{ValType::kI32}, {ValType::kI32}}, AddTen, nullptr, "add_ten");
  std::vector<Value> results;
  EXPECT_EQ(store.Call(f, {}, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().kind, TrapKind::kHost);
  EXPECT_EQ(store.trap().message, "call: expected 1 arguments, got 0");
  Value wrong[] = {Value::I64(1)};
  EXPECT_EQ(store.Call(f, wrong, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().message, "call: argument 0 has type i64, expected i32");
  Value right[] = {Value::I32(5)};
  ASSERT_EQ(store.Call(f, right, &results), Outcome::kReturned) << store.trap().ToString();
  EXPECT_EQ(results, std::vector<Value>{Value::I32(15)});
  EXPECT_EQ(store.Call({ExternKind::kFunc, 99}, {}, &results), Outcome::kTrapped);
}

TEST(StoreTest, HostCallSeesCallerMemory) {
  Store store;
  Linker linker;
  linker.Define("env", "poke",
                store.AddHostFunc({{ValType::kI32}, {}}, WriteMemory, nullptr, "poke"));
  auto m = CompileWat(R"((module
    (import "env" "poke" (func $poke (param i32)))
    (memory (export "mem") 1)
    (func (export "run") (param i32) (call $poke (local.get 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto inst = linker.Instantiate(store, *m);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  Extern run = *store.GetExport(*inst, "run");
  std::vector<Value> results;
  Value args[] = {Value::I32(100)};
  ASSERT_EQ(store.Call(run, args, &results), Outcome::kReturned) << store.trap().ToString();
  EXPECT_EQ(store.MemoryData(*store.GetExport(*inst, "mem"))[100], 0xab);
  Value bad[] = {Value::I32(70000)};
  ASSERT_EQ(store.Call(run, bad, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().kind, TrapKind::kHost);
  EXPECT_EQ(store.trap().message, "address out of range");
}

TEST(StoreTest, ExportsAreListedInOrder) {
  auto m = CompileWat(R"((module (func (export "a")) (memory (export "b") 0)
                            (global (export "c") i32 (i32.const 1))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Store store;
  auto inst = store.Instantiate(*m, {});
  ASSERT_TRUE(inst.ok());
  auto exports = store.Exports(*inst);
  ASSERT_EQ(exports.size(), 3u);
  EXPECT_EQ(exports[0].first, "a");
  EXPECT_EQ(exports[1].second.kind, ExternKind::kMemory);
  EXPECT_EQ(exports[2].second.kind, ExternKind::kGlobal);
  EXPECT_FALSE(store.GetExport(*inst, "zzz").has_value());
  EXPECT_FALSE(store.GetExport(*inst + 1, "a").has_value());
  EXPECT_EQ(store.GetFuncType(exports[0].second), FuncType{});
}

TEST(StoreTest, InterruptStopsALoop) {
  auto m = CompileWat(R"((module (func (export "spin") (loop (br 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Store store;
  auto inst = store.Instantiate(*m, {});
  ASSERT_TRUE(inst.ok());
  store.Interrupt();
  std::vector<Value> results;
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "spin"), {}, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().kind, TrapKind::kInterrupted);
  store.ClearInterrupt();
  store.SetFuel(1000);
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "spin"), {}, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().kind, TrapKind::kOutOfFuel);
}

TEST(StoreTest, ReferencesCrossTheCallBoundary) {
  auto m = CompileWat(R"((module
    (func $f (export "f"))
    (elem declare func $f)
    (func (export "id") (param externref) (result externref) (local.get 0))
    (func (export "fref") (result funcref) (ref.func $f))
    (func (export "is_null") (param funcref) (result i32) (ref.is_null (local.get 0)))))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  Store store;
  auto inst = store.Instantiate(*m, {});
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  std::vector<Value> results;
  Value ext[] = {Value::Extern(42)};
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "id"), ext, &results), Outcome::kReturned);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].type, ValType::kExternRef);
  EXPECT_EQ(results[0].extern_payload(), 42u);
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "fref"), {}, &results), Outcome::kReturned);
  EXPECT_EQ(results[0].type, ValType::kFuncRef);
  EXPECT_EQ(results[0].lo, store.GetExport(*inst, "f")->addr + 1u);
  Value null_ref[] = {Value::NullRef(ValType::kFuncRef)};
  ASSERT_EQ(store.Call(*store.GetExport(*inst, "is_null"), null_ref, &results),
            Outcome::kReturned);
  EXPECT_EQ(results[0], Value::I32(1));
  Value wrong_ref[] = {Value::NullRef(ValType::kExternRef)};
  EXPECT_EQ(store.Call(*store.GetExport(*inst, "is_null"), wrong_ref, &results),
            Outcome::kTrapped);
  // A funcref the store never made is refused at the boundary.
  Value bogus[] = {{ValType::kFuncRef, 1000, 0}};
  EXPECT_EQ(store.Call(*store.GetExport(*inst, "is_null"), bogus, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().kind, TrapKind::kHost);
  EXPECT_FALSE(store.AddGlobal({ValType::kFuncRef, true}, bogus[0]).ok());
  EXPECT_FALSE(store.AddTable({ValType::kFuncRef, {1, std::nullopt}}, bogus[0]).ok());
}

}  // namespace
}  // namespace deja
