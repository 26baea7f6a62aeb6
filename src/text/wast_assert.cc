// The assertion commands of WAST scripts (assert_return, assert_trap, ...).
#include <cstring>

#include "text/wast_runner.h"
#include "text/wast_values.h"
#include "wabt/cast.h"

namespace deja::text {
namespace {

// The spec suite's trap texts are the spec interpreter's messages, which may
// carry more than deja's (e.g. "uninitialized element 2"). A trap matches if
// its message starts with the expected text, or if the expected text starts
// with the fixed message of the trap's kind.
bool TrapMatches(const std::string& expected, const Trap& trap) {
  if (trap.message.starts_with(expected)) return true;
  const char* kind_message = TrapKindMessage(trap.kind);
  return kind_message != nullptr && std::strlen(kind_message) > 0 &&
         expected.starts_with(kind_message);
}

bool ValuesMatch(const wabt::Expectation& expectation, const std::vector<Value>& got) {
  const wabt::ConstVector& expected = expectation.expected;
  if (expectation.type() == wabt::ExpectationType::Either) {
    if (got.size() != 1) return false;
    for (const wabt::Const& alternative : expected) {
      if (MatchesExpected(alternative, got[0])) return true;
    }
    return false;
  }
  if (got.size() != expected.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!MatchesExpected(expected[i], got[i])) return false;
  }
  return true;
}

std::string DescribeExpectation(const wabt::Expectation& expectation) {
  std::string values = FormatConsts(expectation.expected);
  if (expectation.type() == wabt::ExpectationType::Either) return "either of " + values;
  return values;
}

std::string Quote(const std::string& text) { return "\"" + text + "\""; }

// Judges a module that must be rejected with `expected` when compiled.
CommandResult ExpectRejected(const Result<std::vector<u8>>& wasm, Status::Code expected,
                             const std::string& text, const CompileOptions& options) {
  std::string want = "expected " + std::string(CodeName(expected)) + " (" + Quote(text) + ")";
  Result<Module> module = Module::Compile(*wasm, options);
  if (module.ok()) return {false, want + ", got a valid module"};
  const Status& status = module.status();
  if (status.code() != expected) return {false, want + ", got " + status.ToString()};
  // Only the kind of failure is judged; the spec's wording is a hint for
  // whoever reads the verbose report.
  if (status.message().find(text) == std::string_view::npos) {
    return {true, status.ToString() + " [the spec says " + Quote(text) + "]"};
  }
  return {true, status.ToString()};
}

}  // namespace

CommandResult WastRunner::AssertReturn(const wabt::AssertReturnCommand& command) {
  ActionResult result = Perform(*command.action);
  std::string expected = DescribeExpectation(*command.expected);
  if (!result.error.ok() || result.outcome != Outcome::kReturned) {
    return {false, "expected " + expected + ", got " + result.Describe()};
  }
  if (!ValuesMatch(*command.expected, result.values)) {
    return {false, "expected " + expected + ", got " + FormatValues(result.values)};
  }
  return {true, "returned " + FormatValues(result.values)};
}

CommandResult WastRunner::AssertTrap(const wabt::Action& action, const std::string& text) {
  ActionResult result = Perform(action);
  if (!result.error.ok() || result.outcome != Outcome::kTrapped) {
    return {false, "expected trap " + Quote(text) + ", got " + result.Describe()};
  }
  if (!TrapMatches(text, result.trap)) {
    return {false, "expected trap " + Quote(text) + ", got trap " + Quote(result.trap.message)};
  }
  return {true, "trapped: " + result.trap.message};
}

CommandResult WastRunner::AssertExhaustion(const wabt::Action& action, const std::string& text) {
  ActionResult result = Perform(action);
  bool exhausted =
      result.error.ok() && result.outcome == Outcome::kTrapped &&
      (result.trap.kind == TrapKind::kCallStackExhausted || TrapMatches(text, result.trap));
  if (!exhausted) return {false, "expected " + Quote(text) + ", got " + result.Describe()};
  return {true, "trapped: " + result.trap.message};
}

CommandResult WastRunner::AssertException(const wabt::Action& action) {
  ActionResult result = Perform(action);
  if (!result.error.ok() || result.outcome != Outcome::kTrapped ||
      result.trap.kind != TrapKind::kUncaughtException) {
    return {false, "expected an uncaught exception, got " + result.Describe()};
  }
  return {true, result.trap.message};
}

CommandResult WastRunner::AssertMalformed(const wabt::ScriptModule& module,
                                          const std::string& text) {
  Result<std::vector<u8>> wasm = EncodeScriptModule(module);
  // Text that libwabt refuses is malformed text: the text format is libwabt's job.
  if (!wasm.ok()) return {true, "rejected by the text parser"};
  return ExpectRejected(wasm, Status::Code::kMalformed, text, compile_options_);
}

CommandResult WastRunner::AssertInvalid(const wabt::ScriptModule& module, const std::string& text) {
  Result<std::vector<u8>> wasm = EncodeScriptModule(module);
  if (!wasm.ok()) return {true, "libwabt cannot encode it: " + wasm.status().ToString()};
  return ExpectRejected(wasm, Status::Code::kInvalid, text, compile_options_);
}

CommandResult WastRunner::AssertNotInstantiable(const wabt::ScriptModule& module,
                                                Status::Code expected, const std::string& text) {
  std::string want = "expected " + std::string(CodeName(expected)) + " (" + Quote(text) + ")";
  Result<std::vector<u8>> wasm = EncodeScriptModule(module);
  if (!wasm.ok()) return {false, want + ", got " + wasm.status().ToString()};
  Result<InstanceId> instance = Instantiate(*wasm);
  if (instance.ok()) return {false, want + ", got an instance"};
  // Like the spec interpreter, the message must start with the expected text.
  if (instance.status().code() != expected || !instance.status().message().starts_with(text)) {
    return {false, want + ", got " + instance.status().ToString()};
  }
  return {true, instance.status().ToString()};
}

}  // namespace deja::text
