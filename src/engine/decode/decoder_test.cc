#include "engine/decode/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/decode/sections.h"
#include "engine/decode/test_builders.h"

namespace deja::engine {
namespace {

using namespace testing;  // NOLINT: byte builders

struct ErrorCase {
  const char* what;
  Bytes bytes;
  const char* error;  // Status::ToString()
};

// Offsets: the preamble is 8 bytes, so the first section's id is at 0x8, its
// size at 0x9 and its contents from 0xa. VoidTypeSection spans 0x8-0xd and
// OneFuncSection 0xe-0x11; a code section after them has its count at 0x14,
// the body size at 0x15 and the body (locals first) from 0x16.
const ErrorCase kModuleErrors[] = {
    {"empty", {}, "malformed: offset 0x0: unexpected end"},
    {"short magic", {0x00, 0x61, 0x73}, "malformed: offset 0x3: unexpected end"},
    {"bad magic",
     {0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00},
     "malformed: offset 0x0: magic header not detected"},
    {"short version", {0x00, 0x61, 0x73, 0x6d, 0x01}, "malformed: offset 0x5: unexpected end"},
    {"bad version",
     {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00},
     "malformed: offset 0x4: unknown binary version"},
    {"section id", Wasm({{0x0e, 0x00}}), "malformed: offset 0x8: malformed section id"},
    {"no section size", Wasm({{0x01}}), "malformed: offset 0x9: unexpected end"},
    {"section too long", Wasm({{0x01, 0x05, 0x00}}), "malformed: offset 0x9: length out of bounds"},
    {"section not consumed", Wasm({Section(1, {0x00, 0x00})}),
     "malformed: offset 0xa: section size mismatch"},
    {"section ran out", Wasm({Section(1, {0x01})}),
     "malformed: offset 0xb: unexpected end of section or function"},
    {"out of order", Wasm({Section(3, {0x00}), Section(1, {0x00})}),
     "malformed: offset 0xb: unexpected content after last section"},
    {"duplicate", Wasm({Section(1, {0x00}), Section(1, {0x00})}),
     "malformed: offset 0xb: unexpected content after last section"},
    {"data count after code", Wasm({Section(10, {0x00}), Section(12, {0x00})}),
     "malformed: offset 0xb: unexpected content after last section"},
    {"empty custom section", Wasm({Section(0, {})}),
     "malformed: offset 0xa: unexpected end of section or function"},
    {"custom name utf8", Wasm({Section(0, {0x01, 0xc0})}),
     "malformed: offset 0xb: malformed UTF-8 encoding"},
    {"leb too long", Wasm({Section(3, {0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00})}),
     "malformed: offset 0xf: integer representation too long"},
    {"leb too large", Wasm({Section(3, {0x01, 0xff, 0xff, 0xff, 0xff, 0x1f})}),
     "malformed: offset 0xf: integer too large"},
    {"function type form", Wasm({Section(1, {0x01, 0x61, 0x00, 0x00})}),
     "malformed: offset 0xb: malformed function type"},
    {"value type", Wasm({Section(1, {0x01, 0x60, 0x01, 0x40, 0x00})}),
     "malformed: offset 0xd: malformed value type"},
    {"exnref result in type 1", Wasm({Section(1, {0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x69})}),
     "unsupported: type 1 offset 0x11: unsupported feature: exnref (exnref value type)"},
    {"typed reference param",
     Wasm({Section(1, {0x01, 0x60, 0x01, 0x64, 0x00, 0x00})}),
     "unsupported: type 0 offset 0xd: unsupported feature: function-references (typed "
     "reference value type)"},
    {"gc struct type", Wasm({Section(1, {0x01, 0x5f, 0x00})}),
     "unsupported: type 0 offset 0xb: unsupported feature: gc (struct, array or subtype "
     "definition)"},
    {"import name utf8", Wasm({Section(2, {0x01, 0x01, 0xff})}),
     "malformed: offset 0xc: malformed UTF-8 encoding"},
    {"import kind", Wasm({Section(2, Cat({{0x01}, Name("m"), Name("f"), {0x05, 0x00}}))}),
     "malformed: offset 0xf: malformed import kind"},
    {"name length", Wasm({Section(7, {0x01, 0x05, 'a'})}),
     "malformed: offset 0xb: length out of bounds"},
    {"export kind", Wasm({Section(7, Cat({{0x01}, Name("e"), {0x05, 0x00}}))}),
     "malformed: offset 0xd: malformed export kind"},
    {"table reftype", Wasm({Section(4, {0x01, 0x7f, 0x00, 0x00})}),
     "malformed: offset 0xb: malformed reference type"},
    {"table limits flags", Wasm({Section(4, {0x01, 0x70, 0x02, 0x00})}),
     "malformed: offset 0xc: integer too large"},
    {"memory limits flags", Wasm({Section(5, {0x01, 0x08, 0x00})}),
     "malformed: offset 0xb: integer too large"},
    {"shared memory without maximum", Wasm({Section(5, {0x01, 0x02, 0x00})}),
     "malformed: offset 0xb: integer too large"},
    {"shared memory", Wasm({Section(5, {0x01, 0x03, 0x01, 0x01})}),
     "unsupported: offset 0xb: unsupported feature: threads (shared memory)"},
    {"memory64", Wasm({Section(5, {0x01, 0x04, 0x00})}),
     "unsupported: offset 0xb: unsupported feature: memory64 (64-bit memory limits)"},
    {"imported shared memory",
     Wasm({Section(2, Cat({{0x01}, Name("m"), Name("mem"), {0x02, 0x03, 0x01, 0x01}}))}),
     "unsupported: offset 0x12: unsupported feature: threads (shared memory)"},
    {"limits flags as long leb", Wasm({Section(5, {0x01, 0x81, 0x00, 0x00})}),
     "malformed: offset 0xb: integer representation too long"},
    {"mutability", Wasm({Section(6, {0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b})}),
     "malformed: offset 0xc: malformed mutability"},
    {"global init without end", Wasm({Section(6, {0x01, 0x7f, 0x00, 0x41, 0x00})}),
     "malformed: offset 0xf: unexpected end of section or function"},
    {"function without code", Wasm({VoidTypeSection(), OneFuncSection()}),
     "malformed: offset 0x12: function and code section have inconsistent lengths"},
    {"code without function", Wasm({VoidTypeSection(), CodeSection({0x00, 0x0b})}),
     "malformed: offset 0x10: function and code section have inconsistent lengths"},
    {"tag attribute other than 0", Wasm({Section(13, {0x01, 0x01, 0x00})}),
     "malformed: offset 0xb: malformed tag attribute"},
    {"empty tag section", Wasm({Section(13, {})}),
     "malformed: offset 0xa: unexpected end of section or function"},
    {"tag section after global", Wasm({Section(6, {0x00}), Section(13, {0x00})}),
     "malformed: offset 0xb: unexpected content after last section"},
    {"section id 14", Wasm({Section(14, {0x00})}), "malformed: offset 0x8: malformed section id"},
    {"data count without data", Wasm({Section(12, {0x01})}),
     "malformed: offset 0xb: data count and data section have inconsistent lengths"},
    {"data count mismatch", Wasm({Section(12, {0x01}), Section(11, {0x00})}),
     "malformed: offset 0xd: data count and data section have inconsistent lengths"},
};

const ErrorCase kFunctionErrors[] = {
    {"too many locals", CodeSection({0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x01, 0x7e, 0x0b}),
     "malformed: func 0 offset 0x1d: too many locals"},
    {"missing end at module end", CodeSection({0x00, 0x01}),
     "malformed: func 0 offset 0x18: unexpected end of section or function"},
    {"bytes after end", CodeSection({0x00, 0x0b, 0x01}),
     "malformed: func 0 offset 0x18: section size mismatch"},
    {"else outside if", CodeSection({0x00, 0x02, 0x40, 0x05, 0x0b, 0x0b}),
     "malformed: func 0 offset 0x19: END opcode expected"},
    {"second else", CodeSection({0x00, 0x41, 0x00, 0x04, 0x40, 0x05, 0x05, 0x0b, 0x0b}),
     "malformed: func 0 offset 0x1c: END opcode expected"},
    {"illegal opcode", CodeSection({0x00, 0x27, 0x0b}),
     "malformed: func 0 offset 0x17: illegal opcode"},
    {"try_table (exnref)", CodeSection({0x00, 0x1f, 0x40, 0x00, 0x0b, 0x0b}),
     "unsupported: func 0 offset 0x17: unsupported feature: exnref (try_table)"},
    {"call_ref", CodeSection({0x00, 0x14, 0x00, 0x0b}),
     "unsupported: func 0 offset 0x17: unsupported feature: function-references (call_ref)"},
    {"atomic", CodeSection({0x00, 0xfe, 0x03, 0x00, 0x0b}),
     "unsupported: func 0 offset 0x17: unsupported feature: threads (0xfe-prefixed atomic "
     "instruction)"},
    {"simd opcode past relaxed simd", CodeSection({0x00, 0xfd, 0x94, 0x02, 0x0b}),
     "malformed: func 0 offset 0x17: illegal opcode"},
    {"memory.size reserved byte", CodeSection({0x00, 0x3f, 0x01, 0x1a, 0x0b}),
     "malformed: func 0 offset 0x18: zero byte expected"},
    {"body size past section", Section(10, {0x01, 0x05, 0x00, 0x0b}),
     "malformed: func 0 offset 0x15: length out of bounds"},
};

TEST(DecoderTest, ModuleLevelErrors) {
  for (const ErrorCase& c : kModuleErrors) {
    Result<Module> r = DecodeModule(c.bytes);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().ToString(), c.error) << c.what;
  }
}

TEST(DecoderTest, FunctionLevelErrors) {
  for (const ErrorCase& c : kFunctionErrors) {
    Result<Module> r = DecodeModule(Wasm({VoidTypeSection(), OneFuncSection(), c.bytes}));
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().ToString(), c.error) << c.what;
  }
}

TEST(DecoderTest, MissingEndIsWordedByWhatFollowsTheBody) {
  Bytes body = {0x00, 0x01};  // nop, no end
  // Another section follows the code section.
  Result<Module> r = DecodeModule(
      Wasm({VoidTypeSection(), OneFuncSection(), CodeSection(body), Section(0, Name("x"))}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "malformed: func 0 offset 0x18: section size mismatch");
  // Another body follows in the same section.
  Bytes two = Section(10, Cat({{0x02, 0x02}, body, {0x02, 0x00, 0x0b}}));
  r = DecodeModule(Wasm({VoidTypeSection(), Section(3, {0x02, 0x00, 0x00}), two}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "malformed: func 0 offset 0x19: END opcode expected");
}

TEST(DecoderTest, DataCountSectionRequiredWhenDataSegmentsExist) {
  const Bytes kDataDrop = CodeSection({0x00, 0xfc, 0x09, 0x00, 0x0b});  // data.drop at 0x17
  const Bytes kMemoryInit = CodeSection(
      {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b});  // at 0x1d
  const Bytes kData = Section(11, {0x01, 0x01, 0x00});
  Result<Module> r = DecodeModule(Wasm({VoidTypeSection(), OneFuncSection(), kDataDrop, kData}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "malformed: func 0 offset 0x17: data count section required");
  r = DecodeModule(Wasm({VoidTypeSection(), OneFuncSection(), kMemoryInit, kData}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "malformed: func 0 offset 0x1d: data count section required");
  // With the section, or without any data segment (the validator then
  // reports the unknown segment), decoding succeeds.
  EXPECT_TRUE(DecodeModule(Wasm({VoidTypeSection(), OneFuncSection(), Section(12, {0x01}),
                                 kDataDrop, kData}))
                  .ok());
  EXPECT_TRUE(DecodeModule(Wasm({VoidTypeSection(), OneFuncSection(), kDataDrop})).ok());
}

TEST(DecoderTest, OverlongConstantExpressionIsInvalidButNotStored) {
  Bytes init(kMaxConstExprInstrs + 1, 0x01);  // nops
  Bytes global = Section(6, Cat({{0x01, 0x7f, 0x00}, init, {0x41, 0x00, 0x0b}}));
  Result<Module> r = DecodeModule(Wasm({global}));
  ASSERT_FALSE(r.ok());
  // The global section's size takes two bytes: the expression is at 0xe.
  EXPECT_EQ(r.status().ToString(), "invalid: offset 0xe: constant expression required");
  // A malformed byte later on still makes the module malformed.
  r = DecodeModule(Wasm({global, {0x0d, 0x00}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kMalformed);
}

TEST(DecoderTest, FunctionIndexInMessagesCountsImports) {
  Bytes import = Section(2, Cat({{0x01}, Name("m"), Name("f"), {0x00, 0x00}}));
  Result<Module> r = DecodeModule(
      Wasm({VoidTypeSection(), import, OneFuncSection(), CodeSection({0x00, 0x27, 0x0b})}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString().substr(0, 19), "malformed: func 1 o");
}

TEST(DecoderTest, SectionsInOrderWithCustomSectionsAnywhere) {
  Result<Module> r = DecodeModule(Wasm({
      Section(0, Name("first")),
      VoidTypeSection(),
      Section(0, Name("between")),
      OneFuncSection(),
      Section(12, {0x00}),
      CodeSection({0x00, 0x0b}),
      Section(11, {0x00}),
      Section(0, Cat({Name("last"), {0xde, 0xad}})),
  }));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data_count.value_or(99), 0u);
  ASSERT_EQ(r->code.size(), 1u);
}

TEST(DecoderTest, HugeCountsFailWithoutHugeAllocations) {
  const Bytes kHuge = {0xff, 0xff, 0xff, 0xff, 0x0f};
  for (u8 id : {1, 2, 3, 4, 5, 6, 7, 9, 10, 11}) {
    Result<Module> r = DecodeModule(Wasm({Section(id, kHuge)}));
    ASSERT_FALSE(r.ok()) << int{id};
    EXPECT_EQ(r.status().code(), Status::Code::kMalformed) << int{id};
  }
  // A huge local count is only summed, never allocated.
  Result<Module> r =
      DecodeModule(Wasm({VoidTypeSection(), OneFuncSection(),
                         CodeSection({0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b})}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code[0].num_locals, 0xffffffffu);
}

TEST(DecoderTest, EveryTruncationInsideASectionFails) {
  const std::vector<Bytes> sections = {
      VoidTypeSection(),
      Section(2, Cat({{0x01}, Name("env"), Name("g"), {0x03, 0x7f, 0x00}})),
      OneFuncSection(),
      Section(4, {0x01, 0x70, 0x01, 0x01, 0x02}),
      Section(5, {0x01, 0x00, 0x01}),
      Section(6, {0x01, 0x7e, 0x01, 0x42, 0x05, 0x0b}),
      Section(7, Cat({{0x01}, Name("f"), {0x00, 0x00}})),
      Section(9, {0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00}),
      Section(12, {0x01}),
      CodeSection({0x01, 0x01, 0x7f, 0x20, 0x00, 0x1a, 0x0b}),
      Section(11, {0x01, 0x01, 0x02, 'h', 'i'}),
  };
  Bytes full = Preamble();
  std::vector<size_t> boundaries = {full.size()};
  for (const Bytes& s : sections) {
    full.insert(full.end(), s.begin(), s.end());
    boundaries.push_back(full.size());
  }
  ASSERT_TRUE(DecodeModule(full).ok());
  for (size_t n = 0; n < full.size(); ++n) {
    Result<Module> r = DecodeModule(std::span<const u8>(full).first(n));
    // Cuts between sections may leave a well-formed shorter module.
    if (std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end()) continue;
    ASSERT_FALSE(r.ok()) << "truncated to " << n;
    EXPECT_EQ(r.status().code(), Status::Code::kMalformed) << "truncated to " << n;
  }
}

}  // namespace
}  // namespace deja::engine
