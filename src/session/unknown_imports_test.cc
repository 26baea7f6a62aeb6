#include "session/unknown_imports.h"

#include <gtest/gtest.h>

#include <string>

#include "text/wat.h"

namespace deja::session {
namespace {

Module Compile(std::string_view wat) {
  Result<std::vector<u8>> wasm = text::WatToWasm(wat);
  EXPECT_TRUE(wasm.ok()) << wasm.status().ToString();
  Result<Module> module = Module::Compile(*wasm);
  EXPECT_TRUE(module.ok()) << module.status().ToString();
  return std::move(module).value();
}

constexpr std::string_view kCaller = R"((module
  (import "env" "known" (func $known (result i32)))
  (import "env" "many" (func $many (param i32) (result i32 f64 externref)))
  (func (export "call_many") (result i32 f64 externref) (call $many (i32.const 5)))
  (func (export "call_known") (result i32) (call $known)))
)";

HostAction Seven(HostCall&, std::span<uint64_t> slots) {
  slots[0] = 7;
  return HostAction::kContinue;
}

struct Linked {
  Store store;
  Linker linker;
  UnknownImportStubs stubs;
};

// Defines env.known as a real host function, then stands in for the rest.
Status Link(Linked& l, const Module& module, UnknownImports mode) {
  l.linker.Define("env", "known",
                  l.store.AddHostFunc({{}, {ValType::kI32}}, Seven, nullptr, "known"));
  return l.stubs.Define(l.store, l.linker, module, mode);
}

std::vector<Value> CallExport(Linked& l, const Module& module, const char* name, Outcome want) {
  Result<InstanceId> instance = l.linker.Instantiate(l.store, module);
  EXPECT_TRUE(instance.ok()) << instance.status().ToString();
  std::vector<Value> results;
  EXPECT_EQ(l.store.Call(*l.store.GetExport(*instance, name), {}, &results), want);
  return results;
}

TEST(UnknownImportsTest, ErrorModeNamesTheImportAndItsType) {
  Module module = Compile(kCaller);
  Linked l;
  Status s = Link(l, module, UnknownImports::kError);
  EXPECT_EQ(s.code(), Status::Code::kUnlinkable);
  EXPECT_NE(s.message().find("unknown import \"env\" \"many\" (func (i32) -> (i32 f64 externref))"),
            std::string_view::npos)
      << s.message();
}

TEST(UnknownImportsTest, TrapModeTrapsNamingTheImportWhenCalled) {
  Module module = Compile(kCaller);
  Linked l;
  ASSERT_TRUE(Link(l, module, UnknownImports::kTrap).ok());
  CallExport(l, module, "call_many", Outcome::kTrapped);
  EXPECT_EQ(l.store.trap().kind, TrapKind::kHost);
  EXPECT_NE(l.store.trap().message.find("unknown import \"env\" \"many\" was called"),
            std::string::npos)
      << l.store.trap().message;
}

TEST(UnknownImportsTest, DefaultValuesModeReturnsZerosAndKeepsKnownImports) {
  Module module = Compile(kCaller);
  Linked l;
  ASSERT_TRUE(Link(l, module, UnknownImports::kDefaultValues).ok());
  std::vector<Value> results = CallExport(l, module, "call_many", Outcome::kReturned);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0], Value::I32(0));
  EXPECT_EQ(results[1], Value::F64(0.0));
  EXPECT_TRUE(results[2].is_null());
  // env.known was linked before: the stand-ins did not replace it.
  std::vector<Value> known = CallExport(l, module, "call_known", Outcome::kReturned);
  ASSERT_EQ(known.size(), 1u);
  EXPECT_EQ(known[0], Value::I32(7));
}

TEST(UnknownImportsTest, NoStandInsForMemoriesTablesOrGlobals) {
  for (const char* wat : {R"((module (import "env" "mem" (memory 1))))",
                          R"((module (import "env" "tab" (table 1 funcref))))",
                          R"((module (import "env" "g" (global i32))))"}) {
    Module module = Compile(wat);
    Linked l;
    Status s = l.stubs.Define(l.store, l.linker, module, UnknownImports::kDefaultValues);
    EXPECT_EQ(s.code(), Status::Code::kUnlinkable) << wat;
    EXPECT_NE(s.message().find("only functions"), std::string_view::npos) << s.message();
  }
}

}  // namespace
}  // namespace deja::session
