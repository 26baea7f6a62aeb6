#include <gtest/gtest.h>

#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

HostAction Identity(HostCall&, std::span<uint64_t>) { return HostAction::kContinue; }

Module MustCompile(std::string_view wat) {
  auto m = CompileWat(wat);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

TEST(LinkerTest, UnknownImportNamesModuleAndField) {
  Module m = MustCompile(R"((module (import "env" "f" (func))))");
  Store store;
  Linker linker;
  auto r = linker.Instantiate(store, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnlinkable);
  EXPECT_EQ(r.status().message(), "unknown import: \"env\" \"f\"");
}

TEST(LinkerTest, FuncTypeMismatchIsIncompatible) {
  Module m = MustCompile(R"((module (import "env" "f" (func (param i32)))))");
  Store store;
  Linker linker;
  linker.Define("env", "f", store.AddHostFunc({{ValType::kI64}, {}}, Identity, nullptr, "f"));
  auto r = linker.Instantiate(store, m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnlinkable);
  EXPECT_EQ(r.status().message().rfind("incompatible import type for \"env\" \"f\"", 0), 0u)
      << r.status().message();
}

TEST(LinkerTest, KindMismatchIsIncompatible) {
  Module m = MustCompile(R"((module (import "env" "g" (global i32))))");
  Store store;
  auto mem = store.AddMemory({{1, std::nullopt}});
  ASSERT_TRUE(mem.ok());
  Extern imports[] = {*mem};
  auto r = store.Instantiate(m, imports);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("incompatible import type"), std::string_view::npos);
}

TEST(LinkerTest, WrongNumberOfImports) {
  Module m = MustCompile(R"((module (import "env" "g" (global i32))))");
  Store store;
  auto r = store.Instantiate(m, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnlinkable);
}

// Table and memory imports follow limits subtyping: the provided minimum is
// at least the required one; a required maximum needs a provided one below it.
TEST(LinkerTest, TableLimitsSubtyping) {
  Module m = MustCompile(R"((module (import "env" "t" (table 10 20 funcref))))");
  struct Case {
    Limits provided;
    bool ok;
  } cases[] = {
      {{10, 20}, true},          {{15, 15}, true},  {{5, 20}, false},
      {{10, std::nullopt}, false}, {{10, 30}, false},
  };
  for (const Case& c : cases) {
    Store store;
    auto t = store.AddTable({ValType::kFuncRef, c.provided}, Value::NullRef(ValType::kFuncRef));
    ASSERT_TRUE(t.ok());
    Extern imports[] = {*t};
    auto r = store.Instantiate(m, imports);
    EXPECT_EQ(r.ok(), c.ok) << c.provided.min << " " << r.status().ToString();
  }
}

TEST(LinkerTest, TableElemTypeMustBeEqual) {
  Module m = MustCompile(R"((module (import "env" "t" (table 1 funcref))))");
  Store store;
  auto t = store.AddTable({ValType::kExternRef, {1, std::nullopt}},
                          Value::NullRef(ValType::kExternRef));
  ASSERT_TRUE(t.ok());
  Extern imports[] = {*t};
  EXPECT_FALSE(store.Instantiate(m, imports).ok());
}

TEST(LinkerTest, MemoryLimitsSubtyping) {
  Module m = MustCompile(R"((module (import "env" "m" (memory 1 2))))");
  struct Case {
    Limits provided;
    bool ok;
  } cases[] = {
      {{1, 2}, true}, {{2, 2}, true}, {{0, 2}, false}, {{1, std::nullopt}, false}, {{1, 3}, false},
  };
  for (const Case& c : cases) {
    Store store;
    auto mem = store.AddMemory({c.provided});
    ASSERT_TRUE(mem.ok());
    Extern imports[] = {*mem};
    auto r = store.Instantiate(m, imports);
    EXPECT_EQ(r.ok(), c.ok) << c.provided.min << " " << r.status().ToString();
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kUnlinkable);
    }
  }
}

TEST(LinkerTest, GlobalTypeAndMutabilityMustBeEqual) {
  Module m = MustCompile(R"((module (import "env" "g" (global (mut i32)))))");
  Store store;
  auto immutable = store.AddGlobal({ValType::kI32, false}, Value::I32(1));
  auto wrong_type = store.AddGlobal({ValType::kI64, true}, Value::I64(1));
  auto right = store.AddGlobal({ValType::kI32, true}, Value::I32(1));
  ASSERT_TRUE(immutable.ok() && wrong_type.ok() && right.ok());
  for (Extern g : {*immutable, *wrong_type}) {
    Extern imports[] = {g};
    auto r = store.Instantiate(m, imports);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kUnlinkable);
  }
  Extern imports[] = {*right};
  EXPECT_TRUE(store.Instantiate(m, imports).ok());
}

TEST(LinkerTest, DefineInstanceLinksExportsOfAnotherInstance) {
  Module a = MustCompile(R"((module (func (export "seven") (result i32) i32.const 7)))");
  Module b = MustCompile(R"((module
    (import "a" "seven" (func $seven (result i32)))
    (func (export "fourteen") (result i32) (i32.add (call $seven) (call $seven)))))");
  Store store;
  Linker linker;
  auto ia = linker.Instantiate(store, a);
  ASSERT_TRUE(ia.ok()) << ia.status().ToString();
  linker.DefineInstance(store, "a", *ia);
  ASSERT_NE(linker.Find("a", "seven"), nullptr);
  auto ib = linker.Instantiate(store, b);
  ASSERT_TRUE(ib.ok()) << ib.status().ToString();
  auto f = store.GetExport(*ib, "fourteen");
  ASSERT_TRUE(f.has_value());
  std::vector<Value> results;
  ASSERT_EQ(store.Call(*f, {}, &results), Outcome::kReturned) << store.trap().ToString();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], Value::I32(14));
}

TEST(LinkerTest, LaterDefinitionReplacesEarlier) {
  Linker linker;
  linker.Define("m", "x", {ExternKind::kGlobal, 1});
  linker.Define("m", "x", {ExternKind::kGlobal, 2});
  ASSERT_NE(linker.Find("m", "x"), nullptr);
  EXPECT_EQ(linker.Find("m", "x")->addr, 2u);
  EXPECT_EQ(linker.Find("m", "y"), nullptr);
}

}  // namespace
}  // namespace deja
