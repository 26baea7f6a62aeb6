#include <gtest/gtest.h>

#include <vector>

#include "engine/instr.h"

namespace deja::engine {
namespace {

constexpr u32 kBase = 0x100;

// Decodes the single instruction in `bytes` (read as if at module offset
// kBase) and checks that it used every byte.
Instr DecodeOne(const std::vector<u8>& bytes) {
  InstrReader r(bytes, kBase);
  Instr in;
  Status st = r.Next(&in);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(r.AtEnd());
  return in;
}

std::string DecodeError(const std::vector<u8>& bytes) {
  InstrReader r(bytes, kBase);
  Instr in;
  Status st = r.Next(&in);
  EXPECT_FALSE(st.ok());
  return st.ToString();
}

TEST(InstrReaderTest, Constants) {
  Instr in = DecodeOne({0x41, 0x7f});
  EXPECT_EQ(in.op, Opcode::kI32Const);
  EXPECT_EQ(in.offset, kBase);
  EXPECT_EQ(in.value, ~u64{0});  // -1, sign-extended as read
  in = DecodeOne({0x42, 0x80, 0x01});
  EXPECT_EQ(in.op, Opcode::kI64Const);
  EXPECT_EQ(in.value, 128u);
  in = DecodeOne({0x43, 0x00, 0x00, 0xc0, 0x7f});
  EXPECT_EQ(in.op, Opcode::kF32Const);
  EXPECT_EQ(in.value, 0x7fc00000u);
  in = DecodeOne({0x44, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});
  EXPECT_EQ(in.op, Opcode::kF64Const);
  EXPECT_EQ(in.value, 0x0807060504030201u);
}

TEST(InstrReaderTest, BlockTypes) {
  Instr in = DecodeOne({0x02, 0x40});
  EXPECT_EQ(in.op, Opcode::kBlock);
  EXPECT_EQ(in.block_type.kind, BlockType::Kind::kEmpty);
  in = DecodeOne({0x03, 0x7e});
  EXPECT_EQ(in.op, Opcode::kLoop);
  EXPECT_EQ(in.block_type.kind, BlockType::Kind::kValue);
  EXPECT_EQ(in.block_type.value, ValType::kI64);
  in = DecodeOne({0x04, 0x6f});
  EXPECT_EQ(in.block_type.value, ValType::kExternRef);
  in = DecodeOne({0x02, 0x85, 0x01});  // type index 133, as s33
  EXPECT_EQ(in.block_type.kind, BlockType::Kind::kTypeIndex);
  EXPECT_EQ(in.block_type.type_index, 133u);
  EXPECT_EQ(DecodeError({0x02, 0x60}), "malformed: offset 0x101: malformed value type");
  in = DecodeOne({0x02, 0x7b});
  EXPECT_EQ(in.block_type.value, ValType::kV128);
}

TEST(InstrReaderTest, IndexImmediates) {
  Instr in = DecodeOne({0x0c, 0x03});
  EXPECT_EQ(in.op, Opcode::kBr);
  EXPECT_EQ(in.index, 3u);
  in = DecodeOne({0x10, 0xff, 0xff, 0xff, 0xff, 0x0f});
  EXPECT_EQ(in.op, Opcode::kCall);
  EXPECT_EQ(in.index, 0xffffffffu);
  in = DecodeOne({0x11, 0x02, 0x81, 0x00});  // table index as a (padded) LEB
  EXPECT_EQ(in.op, Opcode::kCallIndirect);
  EXPECT_EQ(in.index, 2u);
  EXPECT_EQ(in.index2, 1u);
  in = DecodeOne({0x23, 0x05});
  EXPECT_EQ(in.op, Opcode::kGlobalGet);
  EXPECT_EQ(in.index, 5u);
  in = DecodeOne({0x28, 0x02, 0x90, 0x03});
  EXPECT_EQ(in.op, Opcode::kI32Load);
  EXPECT_EQ(in.index, 2u);    // alignment exponent
  EXPECT_EQ(in.value, 400u);  // offset
  in = DecodeOne({0xd2, 0x07});
  EXPECT_EQ(in.op, Opcode::kRefFunc);
  EXPECT_EQ(in.index, 7u);
}

TEST(InstrReaderTest, BrTableTargetsAreReusedAcrossInstructions) {
  std::vector<u8> bytes = {0x0e, 0x02, 0x00, 0x01, 0x02, 0x0e, 0x00, 0x04};
  InstrReader r(bytes, kBase);
  Instr in;
  ASSERT_TRUE(r.Next(&in).ok());
  EXPECT_EQ(in.op, Opcode::kBrTable);
  EXPECT_EQ(std::vector<u32>(in.targets.begin(), in.targets.end()), (std::vector<u32>{0, 1, 2}));
  ASSERT_TRUE(r.Next(&in).ok());
  EXPECT_EQ(in.offset, kBase + 5);
  EXPECT_EQ(std::vector<u32>(in.targets.begin(), in.targets.end()), (std::vector<u32>{4}));
  EXPECT_TRUE(r.AtEnd());
}

TEST(InstrReaderTest, HugeBrTableCountFailsCleanly) {
  EXPECT_EQ(DecodeError({0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00}),
            "malformed: offset 0x107: unexpected end of section or function");
}

TEST(InstrReaderTest, SelectAndReferenceTypes) {
  Instr in = DecodeOne({0x1c, 0x01, 0x7d});
  EXPECT_EQ(in.op, Opcode::kSelectT);
  EXPECT_EQ(in.index, 1u);
  EXPECT_EQ(in.type, ValType::kF32);
  in = DecodeOne({0x1c, 0x02, 0x7f, 0x7e});
  EXPECT_EQ(in.index, 2u);
  EXPECT_EQ(in.type, ValType::kI32);
  in = DecodeOne({0xd0, 0x6f});
  EXPECT_EQ(in.op, Opcode::kRefNull);
  EXPECT_EQ(in.type, ValType::kExternRef);
  EXPECT_EQ(DecodeError({0xd0, 0x7f}), "malformed: offset 0x101: malformed reference type");
  in = DecodeOne({0x1c, 0x01, 0x7b});
  EXPECT_EQ(in.type, ValType::kV128);
}

TEST(InstrReaderTest, PrefixedOpcodes) {
  Instr in = DecodeOne({0xfc, 0x80, 0x00});  // sub-opcode 0 as a padded LEB
  EXPECT_EQ(in.op, Opcode::kI32TruncSatF32S);
  in = DecodeOne({0xfc, 0x08, 0x03, 0x00});
  EXPECT_EQ(in.op, Opcode::kMemoryInit);
  EXPECT_EQ(in.index, 3u);
  in = DecodeOne({0xfc, 0x0a, 0x00, 0x00});
  EXPECT_EQ(in.op, Opcode::kMemoryCopy);
  in = DecodeOne({0xfc, 0x0c, 0x04, 0x01});
  EXPECT_EQ(in.op, Opcode::kTableInit);
  EXPECT_EQ(in.index, 4u);
  EXPECT_EQ(in.index2, 1u);
  in = DecodeOne({0xfc, 0x0e, 0x01, 0x02});
  EXPECT_EQ(in.op, Opcode::kTableCopy);
  EXPECT_EQ(in.index, 1u);
  EXPECT_EQ(in.index2, 2u);
  in = DecodeOne({0xfc, 0x11, 0x03});
  EXPECT_EQ(in.op, Opcode::kTableFill);
  EXPECT_EQ(in.index, 3u);
}

TEST(InstrReaderTest, Errors) {
  struct Case {
    std::vector<u8> bytes;
    const char* error;
  };
  const Case cases[] = {
      {{0x27}, "malformed: offset 0x100: illegal opcode"},
      {{0xff}, "malformed: offset 0x100: illegal opcode"},
      {{0xfc, 0x12}, "malformed: offset 0x100: illegal opcode"},
      {{0xfc, 0x80, 0x02}, "malformed: offset 0x100: illegal opcode"},  // 256: not a byte
      {{0xfd, 0x0c}, "malformed: offset 0x102: unexpected end of section or function"},
      {{0xfd, 0x94, 0x02}, "malformed: offset 0x100: illegal opcode"},  // 0x114: past relaxed SIMD
      {{0xfd, 0x9a, 0x01}, "malformed: offset 0x100: illegal opcode"},  // 0x9a: a gap
      {{0xfd, 0x80, 0x04}, "malformed: offset 0x100: illegal opcode"},
      {{0x41}, "malformed: offset 0x101: unexpected end of section or function"},
      {{0x44, 0x00, 0x00}, "malformed: offset 0x103: unexpected end of section or function"},
      {{0x41, 0xff, 0xff, 0xff, 0xff, 0x4f}, "malformed: offset 0x105: integer too large"},
      {{0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
       "malformed: offset 0x105: integer representation too long"},
      {{0x3f, 0x01}, "malformed: offset 0x101: zero byte expected"},
      {{0x40, 0x80, 0x00}, "malformed: offset 0x101: zero byte expected"},
      {{0xfc, 0x0b, 0x01}, "malformed: offset 0x102: zero byte expected"},
      {{0xfc, 0x08, 0x00, 0x01}, "malformed: offset 0x103: zero byte expected"},
      {{0xfc, 0x0a, 0x00, 0x01}, "malformed: offset 0x103: zero byte expected"},
  };
  for (const Case& c : cases) EXPECT_EQ(DecodeError(c.bytes), c.error);
}

// Opcodes of later proposals are refused by feature and instruction name, not
// as illegal: the user learns what the module needs.
TEST(InstrReaderTest, ProposalOpcodesNameTheirFeature) {
  struct Case {
    std::vector<u8> bytes;
    const char* error;
  };
  const Case cases[] = {
      {{0x0a}, "unsupported: offset 0x100: unsupported feature: exnref (throw_ref)"},
      {{0x1f, 0x40, 0x00}, "unsupported: offset 0x100: unsupported feature: exnref (try_table)"},
      // 0x12 and 0x13 (tail calls) are implemented: decoded as instructions.
      {{0x14, 0x00},
       "unsupported: offset 0x100: unsupported feature: function-references (call_ref)"},
      {{0xd4},
       "unsupported: offset 0x100: unsupported feature: function-references (ref.as_non_null)"},
      {{0xd5, 0x00},
       "unsupported: offset 0x100: unsupported feature: function-references (br_on_null)"},
      {{0xd3}, "unsupported: offset 0x100: unsupported feature: gc (ref.eq)"},
      {{0xfb, 0x00},
       "unsupported: offset 0x100: unsupported feature: gc (0xfb-prefixed instruction)"},
      {{0xfe, 0x10, 0x02, 0x00},
       "unsupported: offset 0x100: unsupported feature: threads (0xfe-prefixed atomic "
       "instruction)"},
  };
  for (const Case& c : cases) EXPECT_EQ(DecodeError(c.bytes), c.error);
}

TEST(InstrReaderTest, FailureDoesNotAdvance) {
  std::vector<u8> bytes = {0x01, 0x06};
  InstrReader r(bytes, kBase);
  Instr in;
  ASSERT_TRUE(r.Next(&in).ok());
  EXPECT_EQ(r.offset(), kBase + 1);
  EXPECT_FALSE(r.Next(&in).ok());
  EXPECT_EQ(r.offset(), kBase + 1);
}

}  // namespace
}  // namespace deja::engine
