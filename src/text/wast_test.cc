#include "text/wast.h"

#include <gtest/gtest.h>

#include <sstream>

namespace deja::text {
namespace {

// One command of every kind, each of which passes on a correct engine.
constexpr std::string_view kPassingScript = R"wast(
(module $m
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "nan") (result f32) f32.const nan)
  (func (export "pair") (result i64 f64) i64.const -1 f64.const -0.0)
  (func (export "trap") unreachable)
  (func $loop (export "loop") call $loop)
  (func (export "ext") (param externref) (result externref) local.get 0)
  (func (export "null") (result funcref) ref.null func)
  (global (export "g") i32 (i32.const 42)))
(register "m" $m)
(module
  (import "m" "add" (func $add (param i32 i32) (result i32)))
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (func (export "twice") (param i32) (result i32)
    local.get 0 call $print
    local.get 0 local.get 0 call $add)
  (func (export "spectest_global") (result i32) global.get $g))
(assert_return (invoke "twice" (i32.const 21)) (i32.const 42))
(assert_return (invoke "spectest_global") (i32.const 666))
(invoke $m "add" (i32.const 1) (i32.const 2))
(get $m "g")
(assert_return (get $m "g") (i32.const 42))
(assert_return (invoke $m "nan") (f32.const nan:canonical))
(assert_return (invoke $m "nan") (f32.const nan:arithmetic))
(assert_return (invoke $m "pair") (i64.const -1) (f64.const -0.0))
(assert_return (invoke $m "ext" (ref.extern 7)) (ref.extern 7))
(assert_return (invoke $m "ext" (ref.null extern)) (ref.null extern))
(assert_return (invoke $m "null") (ref.null func))
(assert_trap (invoke $m "trap") "unreachable")
(assert_exhaustion (invoke $m "loop") "call stack exhausted")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module quote "(func i32.konst 0)") "unknown operator")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module binary
  "\00asm\01\00\00\00"
  "\01\05\01\60\00\01\7f"  ;; type 0: () -> (i32)
  "\03\02\01\00"           ;; func 0 has type 0
  "\0a\04\01\02\00\0b"     ;; body: end (no result)
) "type mismatch")
(assert_unlinkable (module (import "m" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "m" "add" (func (param i64)))) "incompatible import type")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
)wast";

constexpr uint64_t kPassingCommands = 23;

// Every assertion here is wrong about a correct engine.
constexpr std::string_view kFailingScript = R"wast(
(module
  (func (export "one") (result i32) i32.const 1)
  (func (export "trap") unreachable))
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "one") (i64.const 1))
(assert_return (invoke "one") (i32.const 1) (i32.const 1))
(assert_trap (invoke "one") "unreachable")
(assert_trap (invoke "trap") "integer overflow")
(assert_return (invoke "missing") (i32.const 1))
(invoke $nope "one")
(assert_invalid (module (func (result i32) i32.const 0)) "type mismatch")
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")
(assert_unlinkable (module) "unknown import")
(assert_unlinkable (module (import "spectest" "nope" (func))) "incompatible import type")
(assert_trap (module) "unreachable")
(assert_exhaustion (invoke "one") "call stack exhausted")
(module (import "nowhere" "f" (func)))
)wast";

constexpr uint64_t kFailingCommands = 14;

WastCounts RunScript(std::string_view script, std::string* output, WastOptions options = {}) {
  std::ostringstream out;
  WastCounts counts = RunWastScript(script, "test.wast", options, out);
  *output = out.str();
  return counts;
}

TEST(RunWastScript, EveryCommandKindPasses) {
  std::string output;
  WastCounts counts = RunScript(kPassingScript, &output);
  EXPECT_EQ(counts.failed, 0u) << output;
  EXPECT_EQ(counts.passed, kPassingCommands) << output;
  EXPECT_EQ(output, "");  // only failures are reported
}

TEST(RunWastScript, VerboseReportsEveryCommandAndSpectestPrints) {
  std::string output;
  WastOptions options;
  options.verbose = true;
  RunScript(kPassingScript, &output, options);
  EXPECT_NE(output.find("test.wast:20: assert_return (invoke \"twice\" (i32:21)): ok"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("spectest.print(i32:21)"), std::string::npos) << output;
}

TEST(RunWastScript, WrongAssertionsAreCountedAsFailures) {
  std::string output;
  WastCounts counts = RunScript(kFailingScript, &output);
  EXPECT_EQ(counts.passed, 1u) << output;  // the first module
  EXPECT_EQ(counts.failed, kFailingCommands) << output;
  EXPECT_NE(output.find("test.wast:5: assert_return (invoke \"one\" ()): FAILED: expected "
                        "(i32:2), got (i32:1)"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("test.wast:9: assert_trap (invoke \"trap\" ()): FAILED: expected trap "
                        "\"integer overflow\", got trap \"unreachable\""),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("test.wast:12: assert_invalid (module ...): FAILED: expected invalid"),
            std::string::npos)
      << output;
}

TEST(RunWastScript, CapsTheFailuresShown) {
  std::string output;
  WastOptions options;
  options.max_failures_shown = 2;
  WastCounts counts = RunScript(kFailingScript, &output, options);
  EXPECT_EQ(counts.failed, kFailingCommands);
  EXPECT_NE(output.find("test.wast: 12 more failures not shown"), std::string::npos) << output;
  EXPECT_EQ(output.find("test.wast:7:"), std::string::npos) << output;
}

TEST(RunWastScript, UnparsableScriptIsOneFailure) {
  std::string output;
  WastCounts counts = RunScript("(module (func)", &output);
  EXPECT_EQ(counts.passed, 0u);
  EXPECT_EQ(counts.failed, 1u);
  EXPECT_NE(output.find("test.wast: cannot parse the script"), std::string::npos) << output;
}

TEST(RunWastScript, RefusesTopLevelQuotedModulesThatLibwabtCannotParse) {
  std::string output;
  // Quoted modules inside assertions, strings and comments are fine.
  WastCounts fine = RunScript(R"wast(
    (; (module quote "") ;) ;; (module quote "")
    (assert_malformed (module quote "(func") "unexpected end")
    (module $m (func (export "(module quote")))
  )wast",
                              &output);
  EXPECT_EQ(fine.failed, 0u) << output;
  EXPECT_EQ(fine.passed, 2u) << output;
  WastCounts refused = RunScript("(module)\n(module $q\n quote \"(func)\")", &output);
  EXPECT_EQ(refused.passed, 0u);
  EXPECT_EQ(refused.failed, 1u);
  EXPECT_NE(output.find("test.wast:2: a (module quote ...) command"), std::string::npos) << output;
}

TEST(RunWastScript, SimdValuesMatchPerLane) {
  std::string output;
  WastCounts counts = RunScript(
      "(module (func (export \"add\") (param v128 v128) (result v128)\n"
      "  local.get 0 local.get 1 f32x4.add))\n"
      "(assert_return (invoke \"add\" (v128.const f32x4 1 2 inf 4)\n"
      "                              (v128.const f32x4 1 2 -inf 4))\n"
      "  (v128.const f32x4 2 4 nan:canonical 8))\n"
      "(assert_return (invoke \"add\" (v128.const i32x4 1 2 3 4) (v128.const i32x4 0 0 0 0))\n"
      "  (v128.const i32x4 1 2 3 4))\n"
      "(assert_return (invoke \"add\" (v128.const f32x4 1 2 3 4) (v128.const f32x4 0 0 0 0))\n"
      "  (v128.const f32x4 1 2 3 5))\n",
      &output);
  EXPECT_EQ(counts.passed, 3u) << output;
  EXPECT_EQ(counts.failed, 1u) << output;  // the last: lane 3 differs
  EXPECT_NE(output.find("v128:f32x4"), std::string::npos) << output;
}

TEST(RunWastFile, FailsOnMissingFiles) {
  std::ostringstream out;
  WastCounts simd = RunWastFile("/nonexistent/simd_lane.wast", {}, out);  // no longer skipped
  EXPECT_FALSE(simd.skipped);
  EXPECT_EQ(simd.failed, 1u);
  EXPECT_EQ(RunWastFile("/", {}, out).failed, 1u);  // a directory
  WastCounts missing = RunWastFile("/nonexistent/i32.wast", {}, out);
  EXPECT_EQ(missing.failed, 1u);
  EXPECT_NE(out.str().find("/nonexistent/i32.wast: 0 passed, 1 failed\n"), std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace deja::text
