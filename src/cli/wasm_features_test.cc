#include "cli/wasm_features.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/cli.h"
#include "cli/exit_codes.h"

namespace deja::cli {
namespace {

struct Out {
  int code;
  std::string out;
  std::string err;
};

Out Deja(std::vector<std::string> args) {
  args.insert(args.begin(), "deja");
  std::ostringstream out, err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

class WasmFeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("deja_wasm_features_test_" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    // Uses sign-extension (i32.extend8_s) and nothing else that can be off.
    module_ = (dir_ / "se.wat").string();
    std::ofstream(module_) << "(module (func (export \"f\") (param i32) (result i32)\n"
                              "  local.get 0 i32.extend8_s))";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string module_;
};

TEST_F(WasmFeaturesTest, ParsesNamesAndSettingsInOrder) {
  Result<Features> f = ParseWasmFeatures({"bulk-memory=n", "multi-value=n", "multi-value=y",
                                          "nontrapping-float-to-int=n", "simd=n"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->enabled(Feature::kBulkMemory));
  EXPECT_TRUE(f->enabled(Feature::kMultiValue));
  EXPECT_FALSE(f->enabled(Feature::kSaturatingFloatToInt));
  EXPECT_FALSE(f->enabled(Feature::kSimd));
  EXPECT_TRUE(f->enabled(Feature::kReferenceTypes));
}

TEST_F(WasmFeaturesTest, ValidateRefusesAModuleUsingAFeatureTurnedOff) {
  Out on = Deja({"validate", module_});
  EXPECT_EQ(on.code, kExitOk) << on.err;
  Out off = Deja({"validate", "--wasm", "sign-extension=n", module_});
  EXPECT_EQ(off.code, kExitFailed);
  EXPECT_NE(off.err.find("feature turned off: sign-extension"), std::string::npos) << off.err;
  EXPECT_NE(off.err.find("func 0 offset 0x"), std::string::npos) << off.err;
  // Another feature off (and a later proposal explicitly off) changes nothing.
  Out other = Deja({"validate", "--wasm", "bulk-memory=n", "--wasm", "simd=n", module_});
  EXPECT_EQ(other.code, kExitOk) << other.err;
}

TEST_F(WasmFeaturesTest, WastCompilesEveryModuleWithTheFeatures) {
  std::string wast = (dir_ / "se.wast").string();
  std::ofstream(wast) << "(module (func (export \"f\") (param i32) (result i32)\n"
                         "  local.get 0 i32.extend8_s))\n"
                         "(assert_return (invoke \"f\" (i32.const 0x80)) (i32.const -128))\n";
  EXPECT_EQ(Deja({"wast", wast}).code, kExitOk);
  Out off = Deja({"wast", "--wasm", "sign-extension=n", wast});
  EXPECT_EQ(off.code, kExitFailed);
  EXPECT_NE(off.out.find("sign-extension"), std::string::npos) << off.out;
}

TEST_F(WasmFeaturesTest, RunRefusesAModuleUsingAFeatureTurnedOff) {
  std::string start = (dir_ / "start.wat").string();
  std::ofstream(start) << "(module (memory (export \"memory\") 1)\n"
                          "  (func (export \"_start\") i32.const 1 i32.extend8_s drop))";
  std::string home = (dir_ / "home").string();
  setenv("DEJA_HOME", home.c_str(), 1);
  Out off = Deja({"run", "--wasm", "sign-extension=n", start});
  EXPECT_EQ(off.code, kExitFailed) << off.err;
  EXPECT_NE(off.err.find("feature turned off: sign-extension"), std::string::npos) << off.err;
  Out on = Deja({"run", start});
  EXPECT_EQ(on.code, kExitOk) << on.err;
  unsetenv("DEJA_HOME");
}

TEST_F(WasmFeaturesTest, BadValuesAreUsageErrorsNamingTheProblem) {
  for (const char* cmd : {"validate", "wast", "run"}) {
    Out unknown = Deja({cmd, "--wasm", "simd128=n", module_});
    EXPECT_EQ(unknown.code, kExitUsage) << cmd;
    EXPECT_NE(unknown.err.find("unknown feature \"simd128\""), std::string::npos) << unknown.err;
    EXPECT_NE(unknown.err.find("known features: mutable-global"), std::string::npos)
        << unknown.err;
    Out unimplemented = Deja({cmd, "--wasm", "threads=y", module_});
    EXPECT_EQ(unimplemented.code, kExitUsage) << cmd;
    EXPECT_NE(unimplemented.err.find("feature threads is not implemented"), std::string::npos)
        << unimplemented.err;
    Out setting = Deja({cmd, "--wasm", "gc=maybe", module_});
    EXPECT_EQ(setting.code, kExitUsage) << cmd;
    EXPECT_NE(setting.err.find("expected gc=y or gc=n"), std::string::npos) << setting.err;
  }
}

}  // namespace
}  // namespace deja::cli
