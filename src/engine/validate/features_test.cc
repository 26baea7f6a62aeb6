#include "deja/features.h"

#include <gtest/gtest.h>

#include "deja/module.h"
#include "engine/decode/test_builders.h"

namespace deja::engine {
namespace {

using testing::Bytes;
using testing::Cat;
using testing::CodeSection;
using testing::Name;
using testing::OneFuncSection;
using testing::Section;
using testing::VoidTypeSection;
using testing::Wasm;

// One function of type () -> () with `body` (locals count included), plus a
// memory so that memory instructions validate.
Bytes OneFunc(const Bytes& body) {
  return Wasm({VoidTypeSection(), OneFuncSection(), Section(5, {0x01, 0x00, 0x01}),
               CodeSection(body)});
}

std::string CompileError(const Bytes& wasm, Feature off) {
  CompileOptions options;
  options.features.set(off, false);
  Result<deja::Module> m = deja::Module::Compile(wasm, options);
  if (m.ok()) return "ok";
  return m.status().ToString();
}

struct Case {
  Feature feature;
  Bytes wasm;
  const char* error;
};

TEST(FeaturesTest, A20FeatureTurnedOffRefusesAModuleUsingIt) {
  const Case cases[] = {
      {Feature::kSignExtension, OneFunc({0x00, 0x41, 0x00, 0xc0, 0x1a, 0x0b}),
       "unsupported: feature turned off: sign-extension (sign-extension operator) in func 0 "
       "offset 0x1e"},
      {Feature::kSaturatingFloatToInt,
       OneFunc({0x00, 0x43, 0x00, 0x00, 0x00, 0x00, 0xfc, 0x00, 0x1a, 0x0b}),
       "unsupported: feature turned off: saturating-float-to-int (saturating float-to-int "
       "conversion) in func 0 offset 0x21"},
      {Feature::kBulkMemory,
       OneFunc({0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0b, 0x00, 0x0b}),
       "unsupported: feature turned off: bulk-memory (bulk memory or table operation) in func 0 "
       "offset 0x22"},
      {Feature::kReferenceTypes, OneFunc({0x00, 0xd0, 0x70, 0x1a, 0x0b}),
       "unsupported: feature turned off: reference-types (reference or table instruction) in "
       "func 0 offset 0x1c"},
      {Feature::kMultiValue, Wasm({Section(1, {0x01, 0x60, 0x00, 0x02, 0x7f, 0x7f})}),
       "unsupported: feature turned off: multi-value (more than one result) in type 0"},
      {Feature::kMultiValue,
       Wasm({VoidTypeSection(), OneFuncSection(), CodeSection({0x00, 0x02, 0x00, 0x0b, 0x0b})}),
       "unsupported: feature turned off: multi-value (block with a type index) in func 0 "
       "offset 0x17"},
      {Feature::kMutableGlobal,
       Wasm({Section(6, {0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b}),
             Section(7, Cat({{0x01}, Name("g"), {0x03, 0x00}}))}),
       "unsupported: feature turned off: mutable-global (exported mutable global) in export g"},
      {Feature::kSimd,
       OneFunc(Cat({{0x00, 0xfd, 0x0c}, Bytes(16, 0x00), {0x1a, 0x0b}})),
       "unsupported: feature turned off: simd (SIMD instruction) in func 0 offset 0x1c"},
      {Feature::kSimd, Wasm({Section(1, {0x01, 0x60, 0x01, 0x7b, 0x00})}),
       "unsupported: feature turned off: simd (v128 value type) in type 0"},
      {Feature::kRelaxedSimd,
       OneFunc(Cat({{0x00, 0xfd, 0x0c}, Bytes(16, 0x00), {0xfd, 0x0c}, Bytes(16, 0x00),
                    {0xfd, 0x80, 0x02, 0x1a, 0x0b}})),
       "unsupported: feature turned off: relaxed-simd (relaxed SIMD instruction) in func 0 "
       "offset 0x40"},
      {Feature::kSimd, OneFunc({0x01, 0x01, 0x7b, 0x0b}),
       "unsupported: feature turned off: simd (v128 local) in func 0 offset 0x1e"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CompileError(c.wasm, c.feature), c.error) << FeatureName(c.feature);
    // With every feature on (the default) the same module compiles.
    EXPECT_TRUE(deja::Module::Compile(c.wasm).ok()) << FeatureName(c.feature);
  }
}

TEST(FeaturesTest, TurningOffAnotherFeatureDoesNotRefuse) {
  Bytes wasm = OneFunc({0x00, 0x41, 0x00, 0xc0, 0x1a, 0x0b});
  EXPECT_EQ(CompileError(wasm, Feature::kBulkMemory), "ok");
}

TEST(FeaturesTest, DefaultsAndNames) {
  Features f;
  EXPECT_TRUE(f.all_implemented());
  for (int i = 0; i < kFeatureCount; ++i) {
    Feature feature = static_cast<Feature>(i);
    EXPECT_EQ(f.enabled(feature), FeatureImplemented(feature)) << FeatureName(feature);
    EXPECT_EQ(ParseFeature(FeatureName(feature)), feature);
  }
  EXPECT_TRUE(f.enabled(Feature::kSimd));
  EXPECT_TRUE(f.enabled(Feature::kRelaxedSimd));
  EXPECT_TRUE(f.enabled(Feature::kTailCall));
  EXPECT_TRUE(f.enabled(Feature::kExceptions));
  EXPECT_TRUE(f.enabled(Feature::kExtendedConst));
  f.set(Feature::kMemory64, true);  // not implemented: stays off
  EXPECT_FALSE(f.enabled(Feature::kMemory64));
  f.set(Feature::kMultiValue, false);
  EXPECT_FALSE(f.enabled(Feature::kMultiValue));
  EXPECT_FALSE(f.all_implemented());
  EXPECT_EQ(ParseFeature("nontrapping-float-to-int"), Feature::kSaturatingFloatToInt);
  EXPECT_EQ(ParseFeature("tail-call"), Feature::kTailCall);
  EXPECT_EQ(ParseFeature("simd128"), std::nullopt);
  EXPECT_NE(AllFeatureNames().find("function-references"), std::string::npos);
}

}  // namespace
}  // namespace deja::engine
