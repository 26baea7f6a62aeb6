#include <gtest/gtest.h>

#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

Module MustCompile(std::string_view wat) {
  auto m = CompileWat(wat);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

Value CallOne(Store& store, InstanceId inst, std::string_view name,
              std::vector<Value> args = {}) {
  auto f = store.GetExport(inst, name);
  EXPECT_TRUE(f.has_value()) << name;
  std::vector<Value> results;
  Outcome o = store.Call(*f, args, &results);
  EXPECT_EQ(o, Outcome::kReturned) << store.trap().ToString();
  return results.empty() ? Value{} : results[0];
}

TEST(InstantiateTest, ActiveDataAndElementsAreApplied) {
  Module m = MustCompile(R"((module
    (memory (export "mem") 1)
    (table (export "tab") 4 funcref)
    (func $f (result i32) i32.const 42)
    (elem (i32.const 2) $f)
    (data (i32.const 8) "hi")
    (func (export "call2") (result i32) (call_indirect (result i32) (i32.const 2)))))");
  Store store;
  auto inst = store.Instantiate(m, {});
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  auto mem = store.GetExport(*inst, "mem");
  ASSERT_TRUE(mem.has_value());
  EXPECT_EQ(store.MemoryPages(*mem), 1u);
  std::span<uint8_t> data = store.MemoryData(*mem);
  EXPECT_EQ(data[8], 'h');
  EXPECT_EQ(data[9], 'i');
  auto tab = store.GetExport(*inst, "tab");
  ASSERT_TRUE(tab.has_value());
  EXPECT_EQ(store.TableSize(*tab), 4u);
  EXPECT_TRUE(store.TableGet(*tab, 0)->is_null());
  EXPECT_FALSE(store.TableGet(*tab, 2)->is_null());
  EXPECT_EQ(CallOne(store, *inst, "call2"), Value::I32(42));
}

// Spec 2.0: segments are applied in order; a segment out of bounds traps and
// the effects of the earlier ones remain visible through shared objects.
TEST(InstantiateTest, OutOfBoundsElemKeepsEarlierEffects) {
  Store store;
  auto table = store.AddTable({ValType::kFuncRef, {3, std::nullopt}},
                              Value::NullRef(ValType::kFuncRef));
  ASSERT_TRUE(table.ok());
  Module m = MustCompile(R"((module
    (import "env" "t" (table 3 funcref))
    (func $f (result i32) i32.const 5)
    (elem (i32.const 0) $f)
    (elem (i32.const 2) $f $f)))");
  Extern imports[] = {*table};
  auto inst = store.Instantiate(m, imports);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Status::Code::kUninstantiable);
  EXPECT_EQ(inst.status().message().rfind("out of bounds table access", 0), 0u)
      << inst.status().message();
  // The first segment's function is in the table and still callable.
  auto ref = store.TableGet(*table, 0);
  ASSERT_TRUE(ref.ok());
  ASSERT_FALSE(ref->is_null());
  EXPECT_TRUE(store.TableGet(*table, 2)->is_null());
  std::vector<Value> results;
  Extern f{ExternKind::kFunc, static_cast<uint32_t>(ref->lo - 1)};
  ASSERT_EQ(store.Call(f, {}, &results), Outcome::kReturned) << store.trap().ToString();
  EXPECT_EQ(results[0], Value::I32(5));
}

TEST(InstantiateTest, OutOfBoundsDataKeepsEarlierEffects) {
  Store store;
  auto mem = store.AddMemory({{1, std::nullopt}});
  ASSERT_TRUE(mem.ok());
  Module m = MustCompile(R"((module
    (import "env" "m" (memory 1))
    (data (i32.const 0) "a")
    (data (i32.const 65535) "bc")))");
  Extern imports[] = {*mem};
  auto inst = store.Instantiate(m, imports);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Status::Code::kUninstantiable);
  EXPECT_EQ(inst.status().message().rfind("out of bounds memory access", 0), 0u);
  EXPECT_EQ(store.MemoryData(*mem)[0], 'a');
  EXPECT_EQ(store.MemoryData(*mem)[65535], 0);
}

TEST(InstantiateTest, EmptySegmentPastTheEndTraps) {
  Module m = MustCompile(R"((module (memory 1) (data (i32.const 65537) "")))");
  Store store;
  auto inst = store.Instantiate(m, {});
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Status::Code::kUninstantiable);
}

TEST(InstantiateTest, StartFunctionRunsAfterSegments) {
  Module m = MustCompile(R"((module
    (memory 1)
    (data (i32.const 0) "\07")
    (global $g (mut i32) (i32.const 0))
    (func $start (global.set $g (i32.load8_u (i32.const 0))))
    (start $start)
    (func (export "g") (result i32) global.get $g)))");
  Store store;
  auto inst = store.Instantiate(m, {});
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(CallOne(store, *inst, "g"), Value::I32(7));
}

TEST(InstantiateTest, StartFunctionTrapIsUninstantiable) {
  Module m = MustCompile(R"((module (func $s unreachable) (start $s)))");
  Store store;
  auto inst = store.Instantiate(m, {});
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Status::Code::kUninstantiable);
  EXPECT_EQ(inst.status().message(), "unreachable");
}

TEST(InstantiateTest, ConstantExpressionsReadImportsAndFunctions) {
  Store store;
  auto base = store.AddGlobal({ValType::kI32, false}, Value::I32(100));
  ASSERT_TRUE(base.ok());
  Module m = MustCompile(R"((module
    (import "env" "base" (global $base i32))
    (global $copy (export "copy") i32 (global.get $base))
    (global $fref (export "fref") funcref (ref.func $f))
    (global $null (export "null") externref (ref.null extern))
    (func $f (export "f"))))");
  Extern imports[] = {*base};
  auto inst = store.Instantiate(m, imports);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(store.GetGlobal(*store.GetExport(*inst, "copy")), Value::I32(100));
  Value fref = store.GetGlobal(*store.GetExport(*inst, "fref"));
  EXPECT_EQ(fref.type, ValType::kFuncRef);
  EXPECT_EQ(fref.lo, store.GetExport(*inst, "f")->addr + 1u);
  EXPECT_TRUE(store.GetGlobal(*store.GetExport(*inst, "null")).is_null());
}

// After instantiation, active segments are dropped: memory.init and
// table.init of them trap unless the length is 0.
TEST(InstantiateTest, ActiveSegmentsAreDropped) {
  Module m = MustCompile(R"((module
    (memory 1)
    (table 2 funcref)
    (func $f)
    (elem (i32.const 0) $f)
    (data (i32.const 0) "x")
    (func (export "minit") (param i32) (memory.init 0 (i32.const 0) (i32.const 0) (local.get 0)))
    (func (export "tinit") (param i32) (table.init 0 (i32.const 0) (i32.const 0) (local.get 0)))))");
  Store store;
  auto inst = store.Instantiate(m, {});
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  std::vector<Value> results;
  Value zero[] = {Value::I32(0)};
  Value one[] = {Value::I32(1)};
  EXPECT_EQ(store.Call(*store.GetExport(*inst, "minit"), zero, &results), Outcome::kReturned);
  EXPECT_EQ(store.Call(*store.GetExport(*inst, "minit"), one, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().kind, TrapKind::kMemoryOutOfBounds);
  EXPECT_EQ(store.Call(*store.GetExport(*inst, "tinit"), zero, &results), Outcome::kReturned);
  EXPECT_EQ(store.Call(*store.GetExport(*inst, "tinit"), one, &results), Outcome::kTrapped);
  EXPECT_EQ(store.trap().kind, TrapKind::kTableOutOfBounds);
}

TEST(InstantiateTest, ModuleDescribesImportsAndExports) {
  Module m = MustCompile(R"((module $named
    (import "env" "f" (func (param i32) (result i64)))
    (import "env" "m" (memory 1 3))
    (global (export "g") (mut f32) (f32.const 1))
    (func (export "h"))))");
  auto imports = m.imports();
  ASSERT_EQ(imports.size(), 2u);
  EXPECT_EQ(imports[0].module, "env");
  EXPECT_EQ(imports[0].name, "f");
  EXPECT_EQ(imports[0].kind, ExternKind::kFunc);
  EXPECT_EQ(imports[0].func, (FuncType{{ValType::kI32}, {ValType::kI64}}));
  EXPECT_EQ(imports[1].kind, ExternKind::kMemory);
  EXPECT_EQ(imports[1].memory.limits, (Limits{1, 3}));
  auto exports = m.exports();
  ASSERT_EQ(exports.size(), 2u);
  EXPECT_EQ(exports[0].name, "g");
  EXPECT_EQ(exports[0].kind, ExternKind::kGlobal);
  EXPECT_EQ(exports[1].name, "h");
  EXPECT_EQ(m.name(), "named");
}

TEST(InstantiateTest, SimdModuleCompiles) {
  auto m = CompileWat(R"((module (func (result v128) v128.const i64x2 0 0)))");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
}

}  // namespace
}  // namespace deja
