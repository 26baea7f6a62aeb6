// WastRunner runs the commands of one parsed WAST script, in order, against
// one deja Store: it keeps the script's modules (by name and by position), the
// registered ones, and judges each assertion. See wast.h for the entry points.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/types.h"
#include "deja/deja.h"
#include "text/watchdog.h"
#include "wabt/ir.h"

namespace deja::text {

// What one command did: whether it passed, and a one-line account (for a
// failure: what was expected and what happened).
struct CommandResult {
  bool passed = false;
  std::string detail;
};

// The outcome of an invoke or get action.
struct ActionResult {
  Status error;  // the action could not run (unknown module or export, bad arguments)
  Outcome outcome = Outcome::kReturned;
  std::vector<Value> values;     // kReturned
  Trap trap;                     // kTrapped
  std::string Describe() const;  // "returned (i32:1)", "trapped: unreachable", ...
};

class WastRunner {
 public:
  // `print_to` receives the output of spectest's print functions (may be
  // null). A non-zero `timeout` limits each call (see WastOptions::timeout).
  WastRunner(std::ostream* print_to, std::chrono::nanoseconds timeout);

  // Modules are compiled with these features (default: all implemented).
  void set_features(const Features& features) { compile_options_.features = features; }

  // Defines the spectest module. Must succeed before Run.
  Status Init();

  // Runs command number `index` of `script` (indexes are how the script
  // refers to unnamed modules).
  CommandResult Run(const wabt::Script& script, wabt::Index index);

 private:
  // wast_runner.cc: modules, registration, actions.
  CommandResult RunModule(const wabt::Command& command, wabt::Index index);
  CommandResult RunRegister(const wabt::RegisterCommand& command);
  CommandResult RunAction(const wabt::Action& action);
  Result<InstanceId> Instantiate(std::span<const u8> wasm);
  Result<InstanceId> FindInstance(const wabt::Var& module_var) const;
  ActionResult Perform(const wabt::Action& action);
  ActionResult Invoke(InstanceId instance, const wabt::InvokeAction& action);

  // wast_assert.cc: assertions.
  CommandResult AssertReturn(const wabt::AssertReturnCommand& command);
  CommandResult AssertTrap(const wabt::Action& action, const std::string& text);
  CommandResult AssertExhaustion(const wabt::Action& action, const std::string& text);
  // An uncaught Wasm exception (exception-handling proposal).
  CommandResult AssertException(const wabt::Action& action);
  CommandResult AssertMalformed(const wabt::ScriptModule& module, const std::string& text);
  CommandResult AssertInvalid(const wabt::ScriptModule& module, const std::string& text);
  CommandResult AssertNotInstantiable(const wabt::ScriptModule& module, Status::Code expected,
                                      const std::string& text);

  Store store_;
  Linker linker_;
  CompileOptions compile_options_;
  std::ostream* print_to_;
  std::chrono::nanoseconds timeout_;
  std::unique_ptr<Watchdog> watchdog_;  // when timeout_ is set; declared after store_
  // Instances by the index of the command that made them, and by name; the
  // latest module of a name wins, as in the spec interpreter.
  std::unordered_map<wabt::Index, InstanceId> by_command_;
  std::unordered_map<std::string, InstanceId> by_name_;
  // Why a module command made no instance, by command index.
  std::unordered_map<wabt::Index, std::string> module_failures_;
};

// Encodes a script module as a binary module: text modules through libwabt,
// binary modules as written, quoted modules parsed first.
// Errors: kMalformed when libwabt cannot parse or encode it.
Result<std::vector<u8>> EncodeScriptModule(const wabt::ScriptModule& module);

// "invoke $M \"f\" (i32:1)" or "get \"g\"", for reports.
std::string DescribeAction(const wabt::Action& action);

// The source line where a command starts.
int CommandLine(const wabt::Command& command);

}  // namespace deja::text
