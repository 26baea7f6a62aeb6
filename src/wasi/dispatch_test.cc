// The WASI entry point: linking, the trampoline's errno/exit handling, and a
// whole wasi-libc program running through it.
#include "wasi/dispatch.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "wasi/wasi_test_util.h"

namespace deja::wasi {
namespace {

using testing::RunGuest;

TEST(DispatchTest, HelloPrintsItsArguments) {
  WasiConfig config;
  config.args = {"hello", "a", "bc"};
  auto run = RunGuest("hello", config);
  // wasi-libc's _start returns (no proc_exit) when main returns 0.
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap;
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "hello from deja a bc\n");
  EXPECT_EQ(run.err, "");
}

TEST(DispatchTest, FunctionNamesAreUniqueAndTyped) {
  std::set<std::string> names;
  for (const FuncDef* def : AllFuncs()) {
    EXPECT_TRUE(names.insert(def->name).second) << def->name;
    FuncType type = FuncTypeOf(*def);
    EXPECT_LE(type.results.size(), 1u) << def->name;
    for (ValType t : type.params) EXPECT_TRUE(t == ValType::kI32 || t == ValType::kI64);
  }
  EXPECT_TRUE(names.count("fd_write"));
  EXPECT_TRUE(names.count("proc_exit"));
}

TEST(DispatchTest, FuncTypeOfMapsLettersToValueTypes) {
  FuncDef def{"x", "ili", "i", nullptr};
  FuncType type = FuncTypeOf(def);
  EXPECT_EQ(type.params, (std::vector<ValType>{ValType::kI32, ValType::kI64, ValType::kI32}));
  EXPECT_EQ(type.results, std::vector<ValType>{ValType::kI32});
}

}  // namespace
}  // namespace deja::wasi
