#include <gtest/gtest.h>

#include "deja/imports.h"
#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

constexpr std::string_view kInterp = R"((module
  (import "env" "real" (func $real (result i32)))
  (import "env" "hook_i32" (func $hook_i32 (param i32) (result i32)))
  (import "env" "hook_f64" (func $hook_f64 (result f64)))
  (import "other" "log" (func $log (param i32)))
  (func (export "hook_i32") (result i32) (call $hook_i32 (i32.const 1)))
  (func (export "hook_f64") (result f64) (call $hook_f64))
  (func (export "log") (call $log (i32.const 1)))
  (func (export "real") (result i32) (call $real)))
)";

HostAction Nine(HostCall&, std::span<uint64_t> slots) {
  slots[0] = 9;
  return HostAction::kContinue;
}

struct Fixture {
  Store store;
  Linker linker;
  ImportStubs stubs;
  Module module;
  std::optional<InstanceId> instance;

  explicit Fixture(Module m) : module(std::move(m)) {
    linker.Define("env", "real", store.AddHostFunc({{}, {ValType::kI32}}, Nine, nullptr, "real"));
  }
  Status Link(const ImportStubOptions& options) {
    DEJA_TRY(stubs.Define(store, linker, module, options));
    DEJA_ASSIGN_OR_RETURN(instance, linker.Instantiate(store, module));
    return Status();
  }
  Outcome Call(const char* name, std::vector<Value>* results) {
    return store.Call(*store.GetExport(*instance, name), {}, results);
  }
};

Module Compile(std::string_view wat) {
  Result<Module> m = CompileWat(wat);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

TEST(ImportStubsTest, TrapModeStandsInForEveryMissingFunctionAndListsThem) {
  Fixture f(Compile(kInterp));
  ASSERT_TRUE(f.Link({}).ok());
  ASSERT_EQ(f.stubs.stubbed().size(), 3u);
  EXPECT_EQ(DescribeImport(f.stubs.stubbed()[0]), "\"env\" \"hook_i32\" (func (i32) -> (i32))");
  EXPECT_EQ(f.stubs.stubbed()[2].module, "other");
  std::vector<Value> results;
  EXPECT_EQ(f.Call("real", &results), Outcome::kReturned);
  EXPECT_EQ(results[0], Value::I32(9));
  EXPECT_EQ(f.Call("log", &results), Outcome::kTrapped);
  EXPECT_EQ(f.store.trap().message, "unknown import \"other\" \"log\" was called");
}

TEST(ImportStubsTest, DefaultsPerSignatureWinOverTrapsAndZeros) {
  for (UnknownImports mode : {UnknownImports::kTrap, UnknownImports::kDefaultValues}) {
    Fixture f(Compile(kInterp));
    ImportStubOptions options;
    options.mode = mode;
    options.defaults.push_back({FuncType{{ValType::kI32}, {ValType::kI32}}, {Value::I32(-1)}});
    options.trap_note = "by the test";
    ASSERT_TRUE(f.Link(options).ok());
    std::vector<Value> results;
    EXPECT_EQ(f.Call("hook_i32", &results), Outcome::kReturned);
    EXPECT_EQ(results[0], Value::I32(0xffffffff));
    Outcome no_default = f.Call("hook_f64", &results);
    if (mode == UnknownImports::kTrap) {
      EXPECT_EQ(no_default, Outcome::kTrapped);
      EXPECT_EQ(f.store.trap().message,
                "unknown import \"env\" \"hook_f64\" was called (by the test)");
    } else {
      ASSERT_EQ(no_default, Outcome::kReturned);
      EXPECT_EQ(results[0], Value::F64(0.0));
    }
  }
}

TEST(ImportStubsTest, MismatchedDefaultsAndErrorModeAreRefused) {
  Fixture f(Compile(kInterp));
  ImportStubOptions options;
  options.defaults.push_back({FuncType{{}, {ValType::kF64}}, {Value::I32(1)}});
  Status s = f.stubs.Define(f.store, f.linker, f.module, options);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "default results [i32:1] do not match the type () -> (f64) they are given for");

  options = {};
  options.mode = UnknownImports::kError;
  options.error_hint = "define it first";
  s = f.stubs.Define(f.store, f.linker, f.module, options);
  EXPECT_EQ(s.code(), Status::Code::kUnlinkable);
  EXPECT_EQ(s.message(),
            "unknown import \"env\" \"hook_i32\" (func (i32) -> (i32)); define it first");
  EXPECT_TRUE(f.stubs.stubbed().empty());
}

TEST(ImportStubsTest, MissingMemoryCannotBeStoodIn) {
  Fixture f(Compile(R"((module (import "env" "mem" (memory 1))))"));
  Status s = f.stubs.Define(f.store, f.linker, f.module, {});
  EXPECT_EQ(s.code(), Status::Code::kUnlinkable);
  EXPECT_EQ(s.message(),
            "unknown import \"env\" \"mem\" (memory); only functions can be stood in for");
}

}  // namespace
}  // namespace deja
