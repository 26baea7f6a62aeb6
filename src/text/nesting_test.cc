#include "text/nesting.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "text/wast.h"
#include "text/wat.h"

namespace deja::text {
namespace {

std::string Folded(int depth) {
  std::string s = "(module (func";
  for (int i = 0; i < depth; ++i) s += " (block";
  return s + std::string(depth, ')') + "))";
}

std::string Plain(int depth) {
  std::string s = "(module (func\n";
  for (int i = 0; i < depth; ++i) s += "block\n";
  for (int i = 0; i < depth; ++i) s += "end\n";
  return s + "))";
}

// The issue's file: 100,000 nested blocks crashed every command.
TEST(TextNesting, DeepTextIsRefusedBeforeParsing) {
  for (const std::string& wat : {Folded(100000), Plain(100000)}) {
    Result<std::vector<u8>> wasm = WatToWasm(wat, "deep.wat");
    ASSERT_FALSE(wasm.ok());
    EXPECT_EQ(wasm.status().code(), Status::Code::kMalformed);
    EXPECT_NE(wasm.status().message().find("text nested deeper than 1000 levels"),
              std::string::npos)
        << wasm.status().ToString();
  }
  // Where: the 1001st level (two module/func parentheses, then blocks).
  Status s = CheckTextNesting(Folded(2000), "deep.wat");
  EXPECT_NE(s.message().find("deep.wat:1:"), std::string::npos) << s.ToString();
  s = CheckTextNesting(Plain(2000), "deep.wat");
  EXPECT_NE(s.message().find("deep.wat:1000:1:"), std::string::npos) << s.ToString();
}

TEST(TextNesting, UpToTheLimitParses) {
  // 2 for (module (func, then blocks.
  EXPECT_TRUE(WatToWasm(Folded(998)).ok());
  EXPECT_TRUE(WatToWasm(Plain(998)).ok());
  EXPECT_FALSE(WatToWasm(Folded(999)).ok());
  EXPECT_FALSE(WatToWasm(Plain(999)).ok());
}

TEST(TextNesting, FoldedKeywordsCommentsAndStringsDoNotCount) {
  // Folded blocks, ifs and loops count once (their parenthesis).
  EXPECT_TRUE(CheckTextNesting("(block (loop (if (then))))", "t", 4).ok());
  EXPECT_FALSE(CheckTextNesting("(block (loop (if (then (nop)))))", "t", 4).ok());
  // Plain blocks count until their end; `end` closes one.
  EXPECT_TRUE(CheckTextNesting("(func block loop end if end end)", "t", 3).ok());
  EXPECT_FALSE(CheckTextNesting("(func block loop if end end end)", "t", 3).ok());
  // Parentheses and keywords in comments and strings are not code.
  EXPECT_TRUE(CheckTextNesting(";; ((((( block block\n(; (((( (; nested ;) block ;) (x)",
                               "t", 1).ok());
  EXPECT_TRUE(CheckTextNesting(R"((data "((((\" block"))", "t", 1).ok());
  EXPECT_TRUE(CheckTextNesting("(func $block $loop)", "t", 1).ok());
}

TEST(TextNesting, ScriptsAndQuotedModulesAreChecked) {
  std::ostringstream out;
  WastCounts c = RunWastScript(Folded(5000), "deep.wast", {}, out);
  EXPECT_EQ(c.failed, 1u) << out.str();
  EXPECT_NE(out.str().find("text nested deeper than 1000 levels"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace deja::text
