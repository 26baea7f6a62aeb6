#include "cli/cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/exit_codes.h"

namespace deja::cli {
namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Deja(std::vector<std::string> args) {
  args.insert(args.begin(), "deja");
  std::ostringstream out, err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("deja_cli_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::string Module() {
    return Write("m.wat", R"((module
      (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
      (func (export "pair") (param i64 f64) (result f64 i64) local.get 1 local.get 0)
      (func $boom (export "boom") unreachable)
      (func (export "spin") (loop (br 0)))
      (global (export "g") i32 (i32.const 1))))");
  }

  std::filesystem::path dir_;
};

TEST_F(CliTest, HelpAndVersionSucceed) {
  CliRun help = Deja({"--help"});
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_NE(help.out.find("Exit codes:"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("invoke"), std::string::npos);
  CliRun version = Deja({"--version"});
  EXPECT_EQ(version.code, kExitOk);
  EXPECT_NE(version.out.find("deja "), std::string::npos);
  EXPECT_EQ(Deja({"invoke", "--help"}).code, kExitOk);
}

TEST_F(CliTest, BadCommandLinesAreUsageErrors) {
  EXPECT_EQ(Deja({}).code, kExitUsage);
  CliRun bogus = Deja({"validate", "--bogus", "m.wasm"});
  EXPECT_EQ(bogus.code, kExitUsage);
  EXPECT_NE(bogus.err.find("--bogus"), std::string::npos) << bogus.err;
  EXPECT_EQ(Deja({"frobnicate"}).code, kExitUsage);
  EXPECT_EQ(Deja({"validate"}).code, kExitUsage);  // MODULE is required
  EXPECT_EQ(Deja({"invoke", Module(), "spin", "--timeout", "soon"}).code, kExitUsage);
}

TEST_F(CliTest, ValidateReportsOkOrTheError) {
  CliRun ok = Deja({"validate", Module()});
  EXPECT_EQ(ok.code, kExitOk) << ok.err;
  EXPECT_EQ(ok.out, "ok\n");

  std::string invalid = Write("invalid.wat", "(module (func (result i32)))");
  CliRun bad = Deja({"validate", invalid});
  EXPECT_EQ(bad.code, kExitFailed);
  EXPECT_NE(bad.err.find("invalid: "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find(invalid), std::string::npos) << bad.err;

  std::string malformed = Write("bad.wasm", std::string("\0asm\x02\0\0\0", 8));
  CliRun worse = Deja({"validate", malformed});
  EXPECT_EQ(worse.code, kExitFailed);
  EXPECT_NE(worse.err.find("malformed: "), std::string::npos) << worse.err;

  CliRun missing = Deja({"validate", (dir_ / "nope.wasm").string()});
  EXPECT_EQ(missing.code, kExitIoError);
  EXPECT_NE(missing.err.find("nope.wasm"), std::string::npos) << missing.err;
}

TEST_F(CliTest, InvokePrintsResultsOnePerLine) {
  CliRun add = Deja({"invoke", Module(), "add", "-1", "0x10"});
  EXPECT_EQ(add.code, kExitOk) << add.err;
  EXPECT_EQ(add.out, "15\n");
  CliRun pair = Deja({"invoke", Module(), "pair", "--", "-7", "2.5"});
  EXPECT_EQ(pair.code, kExitOk) << pair.err;
  EXPECT_EQ(pair.out, "2.5\n-7\n");
}

TEST_F(CliTest, InvokeCanonicalizesNansOnRequest) {
  std::string module = Write("nan.wat",
                             "(module (func (export \"sub\") (param f32) (result f32)"
                             " local.get 0 local.get 0 f32.sub))");
  // Which NaN x - x gives for a NaN x is up to the CPU, unless canonicalized.
  CliRun canonical = Deja({"invoke", "--canonicalize-nans", module, "sub", "--", "-nan:0x1234"});
  EXPECT_EQ(canonical.code, kExitOk) << canonical.err;
  EXPECT_EQ(canonical.out, "nan\n");
}

TEST_F(CliTest, InvokeRejectsUnknownExportsAndBadArguments) {
  CliRun unknown = Deja({"invoke", Module(), "sub", "1"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_NE(unknown.err.find("no function \"sub\""), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("\"add\""), std::string::npos) << unknown.err;  // lists exports
  CliRun global = Deja({"invoke", Module(), "g"});
  EXPECT_EQ(global.code, kExitUsage);
  CliRun count = Deja({"invoke", Module(), "add", "1"});
  EXPECT_EQ(count.code, kExitUsage);
  EXPECT_NE(count.err.find("takes 2 arguments, got 1"), std::string::npos) << count.err;
  CliRun type = Deja({"invoke", Module(), "add", "1", "one"});
  EXPECT_EQ(type.code, kExitUsage);
  EXPECT_NE(type.err.find("argument 2: \"one\" is not a valid i32"), std::string::npos) << type.err;
  CliRun missing = Deja({"invoke", (dir_ / "none.wat").string(), "f"});
  EXPECT_EQ(missing.code, kExitIoError);
  std::string imports = Write("imports.wat", "(module (import \"env\" \"f\" (func)))");
  CliRun unlinkable = Deja({"invoke", imports, "f"});
  EXPECT_EQ(unlinkable.code, kExitFailed);
  EXPECT_NE(unlinkable.err.find("cannot instantiate"), std::string::npos) << unlinkable.err;
}

TEST_F(CliTest, InvokeReportsTrapsWithBacktrace) {
  CliRun trap = Deja({"invoke", Module(), "boom"});
  EXPECT_EQ(trap.code, kExitTrap);
  EXPECT_NE(trap.err.find("trap: unreachable"), std::string::npos) << trap.err;
  EXPECT_NE(trap.err.find("  at boom"), std::string::npos) << trap.err;
  CliRun fuel = Deja({"invoke", "--fuel", "1000", Module(), "spin"});
  EXPECT_EQ(fuel.code, kExitTrap);
  EXPECT_NE(fuel.err.find("out of fuel"), std::string::npos) << fuel.err;
  CliRun timeout = Deja({"invoke", "--timeout", "50ms", Module(), "spin"});
  EXPECT_EQ(timeout.code, kExitTrap);
  EXPECT_NE(timeout.err.find("interrupted"), std::string::npos) << timeout.err;
  EXPECT_NE(timeout.err.find("--timeout expired"), std::string::npos) << timeout.err;
}

TEST_F(CliTest, WastCountsAndExitsByFailures) {
  std::string good = Write("good.wast", R"((module (func (export "f") (result i32) i32.const 1))
    (assert_return (invoke "f") (i32.const 1)))");
  CliRun pass = Deja({"wast", good});
  EXPECT_EQ(pass.code, kExitOk) << pass.out;
  EXPECT_EQ(pass.out, good + ": 2 passed, 0 failed\n2 passed, 0 failed\n");

  std::string bad = Write("bad.wast", R"((module (func (export "f") (result i32) i32.const 1))
    (assert_return (invoke "f") (i32.const 2)))");
  CliRun fail = Deja({"wast", good, bad});
  EXPECT_EQ(fail.code, kExitFailed);
  EXPECT_NE(fail.out.find(bad + ":2: assert_return"), std::string::npos) << fail.out;
  EXPECT_TRUE(fail.out.ends_with("\n3 passed, 1 failed\n")) << fail.out;

  CliRun missing = Deja({"wast", (dir_ / "none.wast").string()});
  EXPECT_EQ(missing.code, kExitIoError);
  EXPECT_NE(missing.err.find("none.wast"), std::string::npos);

  std::string spin = Write("spin.wast", R"((module (func (export "spin") (loop (br 0))))
    (assert_return (invoke "spin")))");
  CliRun timeout = Deja({"wast", "--timeout", "50ms", spin});
  EXPECT_EQ(timeout.code, kExitFailed);
  EXPECT_NE(timeout.out.find("interrupted"), std::string::npos) << timeout.out;
}

}  // namespace
}  // namespace deja::cli

namespace deja::cli {
namespace {

// Issue 13 item 11: counts are read strictly, and every parse error names
// the command it belongs to.
TEST_F(CliTest, CountsAreCheckedAndParseErrorsNameTheCommand) {
  std::string m = Module();
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const Case cases[] = {
      {{"run", "--fuel", "-5", m}, "deja run: --fuel: \"-5\" is not a whole number"},
      {{"run", "--fuel", "12345678901234567890123", m}, "deja run: --fuel: \"12345678901234567890123\" is too large"},
      {{"run", "--fuel", "abc", m}, "deja run: --fuel: \"abc\" is not"},
      {{"run", "--max-fds", "-1", m}, "deja run: --max-fds: \"-1\" is not"},
      {{"run", "--max-fds", "4294967296", m}, "deja run: --max-fds: \"4294967296\" is too large"},
      {{"run", "--suspend-after-fuel", "-1", "--snapshot-to", "x", m},
       "deja run: --suspend-after-fuel: \"-1\" is not"},
      {{"resume", "--fuel", "-5", "x.snap"}, "deja resume: --fuel: \"-5\" is not"},
      {{"replay", "--until", "-1", "last"}, "deja replay: --until: \"-1\" is not"},
      {{"run", "--bogus", m}, "deja run: The following argument was not expected: --bogus"},
      {{"replay"}, "deja replay: ID is required"},
      {{"bogus"}, "deja: unknown command \"bogus\""},
      {{}, "deja: a command is required"},
  };
  for (const Case& c : cases) {
    CliRun r = Deja(c.args);
    std::string joined;
    for (const std::string& a : c.args) joined += a + " ";
    EXPECT_EQ(r.code, kExitUsage) << joined;
    EXPECT_EQ(r.err.rfind(c.err, 0), 0u) << joined << "\n" << r.err;
  }
}

// Usage errors are found before the run is recorded: no "failed" rows.
TEST_F(CliTest, UsageErrorsLeaveNoRowInTheRegistry) {
  std::string home = (dir_ / "home").string();
  setenv("DEJA_HOME", home.c_str(), 1);
  std::string m = Module();
  EXPECT_EQ(Deja({"run", "--max-fds", "0", "--invoke", "add", m, "1", "2"}).code, kExitUsage);
  CliRun dir = Deja({"run", "--dir", (dir_ / "nonexistent").string(), "--invoke", "add", m, "1", "2"});
  EXPECT_EQ(dir.code, kExitIoError);
  EXPECT_NE(dir.err.find("nonexistent"), std::string::npos) << dir.err;
  CliRun nope = Deja({"run", "--invoke", "nope", m});
  EXPECT_EQ(nope.code, kExitUsage);
  EXPECT_NE(nope.err.find("deja run: " + m + " exports no function \"nope\""), std::string::npos)
      << nope.err;
  EXPECT_EQ(Deja({"run", m}).code, kExitUsage);  // no _start
  CliRun ls = Deja({"ls", "--json"});
  EXPECT_EQ(ls.out, "") << ls.out;
  CliRun ok = Deja({"run", "--invoke", "add", m, "1", "2"});
  EXPECT_EQ(ok.code, kExitOk) << ok.err;
  EXPECT_EQ(ok.out, "3\n");
  EXPECT_NE(Deja({"ls", "--json"}).out, "");
  unsetenv("DEJA_HOME");
}

}  // namespace
}  // namespace deja::cli
