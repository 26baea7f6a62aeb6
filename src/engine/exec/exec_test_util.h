// Helpers for the interpreter's tests: instantiate a module written as text
// in a store and call its exports through the public API.
#pragma once

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "deja/deja.h"
#include "text/wat.h"

namespace deja::engine::testing {

// Instantiates `wat` in `store` with `imports`; fails the test on error.
inline InstanceId LoadWat(Store& store, std::string_view wat, std::vector<Extern> imports = {},
                          CompileOptions options = {}) {
  Result<std::vector<u8>> bytes = text::WatToWasm(wat);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return 0;
  Result<deja::Module> module = deja::Module::Compile(*bytes, options);
  EXPECT_TRUE(module.ok()) << module.status().ToString();
  if (!module.ok()) return 0;
  Result<InstanceId> inst = store.Instantiate(*module, imports);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  return inst.ok() ? *inst : 0;
}

inline Outcome CallExport(Store& store, InstanceId inst, std::string_view name,
                          std::vector<Value> args, std::vector<Value>* results) {
  std::optional<Extern> f = store.GetExport(inst, name);
  EXPECT_TRUE(f.has_value()) << name;
  if (!f) return Outcome::kTrapped;
  return store.Call(*f, args, results);
}

// Calls an export that must return one value.
inline Value Call1(Store& store, InstanceId inst, std::string_view name, std::vector<Value> args) {
  std::vector<Value> results;
  Outcome o = CallExport(store, inst, name, std::move(args), &results);
  EXPECT_EQ(o, Outcome::kReturned)
      << name << ": " << (o == Outcome::kTrapped ? store.trap().ToString() : "");
  EXPECT_EQ(results.size(), 1u) << name;
  return results.empty() ? Value{} : results[0];
}

// Calls an export that must trap; returns the trap.
inline Trap CallTrap(Store& store, InstanceId inst, std::string_view name,
                     std::vector<Value> args) {
  std::vector<Value> results;
  EXPECT_EQ(CallExport(store, inst, name, std::move(args), &results), Outcome::kTrapped) << name;
  return store.trap();
}

}  // namespace deja::engine::testing
