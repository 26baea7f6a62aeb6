#include "text/wat.h"

#include <gtest/gtest.h>

namespace deja::text {
namespace {

TEST(WatToWasm, EncodesAModule) {
  auto wasm = WatToWasm("(module (func (export \"f\") (result i32) i32.const 7))");
  ASSERT_TRUE(wasm.ok()) << wasm.status().ToString();
  EXPECT_TRUE(IsBinaryModule(*wasm));
}

TEST(WatToWasm, ReportsWhereParsingFailed) {
  auto wasm = WatToWasm("(module (func (result i32) i32.konst 7))", "bad.wat");
  ASSERT_FALSE(wasm.ok());
  EXPECT_EQ(wasm.status().code(), Status::Code::kMalformed);
  EXPECT_NE(wasm.status().message().find("bad.wat:1:"), std::string_view::npos)
      << wasm.status().message();
}

// The public header (deja/text.h) promises one "file:line:col: error: ..."
// line per parse error.
TEST(WatToWasm, EachErrorHasLineAndColumn) {
  auto wasm = WatToWasm("(module\n  (func (oops))\n  (func (result i32) i32.konst 7))", "two.wat");
  ASSERT_FALSE(wasm.ok());
  std::string_view m = wasm.status().message();
  EXPECT_EQ(m.substr(0, m.find('\n')),
            "two.wat:2:10: error: unexpected token \"oops\", expected an instr.");
  EXPECT_NE(m.find("\ntwo.wat:3:22: error: "), std::string_view::npos) << m;
}

TEST(LoadModuleFile, MissingFileIsAnIoError) {
  auto wasm = LoadModuleFile("/nonexistent/x.wasm");
  ASSERT_FALSE(wasm.ok());
  EXPECT_EQ(wasm.status().code(), Status::Code::kIoError);
  auto dir = LoadModuleFile("/");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), Status::Code::kIoError);
}

}  // namespace
}  // namespace deja::text
