#include <gtest/gtest.h>

#include "engine/decode/decoder.h"
#include "engine/decode/test_builders.h"

namespace deja::engine {
namespace {

using namespace testing;  // NOLINT: byte builders

// Decodes a module whose only section is `id` with one segment `segment`.
Module DecodeOneSegment(u8 id, const Bytes& segment) {
  Result<Module> r = DecodeModule(Wasm({Section(id, Cat({{0x01}, segment}))}));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : Module{};
}

struct ElemCase {
  Bytes bytes;
  SegmentMode mode;
  ValType type;
  u32 table;
  size_t offset_instrs;          // 0 unless active
  std::vector<Opcode> init_ops;  // first opcode of each init expression
};

// The elem section's contents start at 0xa; the segment at 0xb.
TEST(SegmentsTest, AllEightElementSegmentForms) {
  const ElemCase cases[] = {
      {{0x00, 0x41, 0x01, 0x0b, 0x02, 0x05, 0x06},
       SegmentMode::kActive,
       ValType::kFuncRef,
       0,
       1,
       {Opcode::kRefFunc, Opcode::kRefFunc}},
      {{0x01, 0x00, 0x01, 0x07},
       SegmentMode::kPassive,
       ValType::kFuncRef,
       0,
       0,
       {Opcode::kRefFunc}},
      {{0x02, 0x03, 0x41, 0x00, 0x0b, 0x00, 0x01, 0x08},
       SegmentMode::kActive,
       ValType::kFuncRef,
       3,
       1,
       {Opcode::kRefFunc}},
      {{0x03, 0x00, 0x01, 0x09},
       SegmentMode::kDeclarative,
       ValType::kFuncRef,
       0,
       0,
       {Opcode::kRefFunc}},
      {{0x04, 0x41, 0x02, 0x0b, 0x02, 0xd2, 0x01, 0x0b, 0xd0, 0x70, 0x0b},
       SegmentMode::kActive,
       ValType::kFuncRef,
       0,
       1,
       {Opcode::kRefFunc, Opcode::kRefNull}},
      {{0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b},
       SegmentMode::kPassive,
       ValType::kExternRef,
       0,
       0,
       {Opcode::kRefNull}},
      {{0x06, 0x02, 0x41, 0x00, 0x0b, 0x70, 0x01, 0xd2, 0x00, 0x0b},
       SegmentMode::kActive,
       ValType::kFuncRef,
       2,
       1,
       {Opcode::kRefFunc}},
      {{0x07, 0x70, 0x01, 0xd2, 0x03, 0x0b},
       SegmentMode::kDeclarative,
       ValType::kFuncRef,
       0,
       0,
       {Opcode::kRefFunc}},
  };
  for (const ElemCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "flags " << int{c.bytes[0]});
    Module m = DecodeOneSegment(9, c.bytes);
    ASSERT_EQ(m.elems.size(), 1u);
    const ElemSegment& seg = m.elems[0];
    EXPECT_EQ(seg.byte_offset, 0xbu);
    EXPECT_EQ(seg.mode, c.mode);
    EXPECT_EQ(seg.type, c.type);
    EXPECT_EQ(seg.table, c.table);
    EXPECT_EQ(seg.offset.instrs.size(), c.offset_instrs);
    ASSERT_EQ(seg.init.size(), c.init_ops.size());
    for (size_t i = 0; i < c.init_ops.size(); ++i) {
      ASSERT_EQ(seg.init[i].instrs.size(), 1u);  // the `end` is not kept
      EXPECT_EQ(seg.init[i].instrs[0].op, c.init_ops[i]);
    }
  }
}

TEST(SegmentsTest, FunctionIndicesBecomeRefFuncWithTheirOffsets) {
  Module m = DecodeOneSegment(9, {0x00, 0x41, 0x01, 0x0b, 0x02, 0x05, 0x86, 0x01});
  const ElemSegment& seg = m.elems[0];
  EXPECT_EQ(seg.offset.offset, 0xcu);
  ASSERT_EQ(seg.offset.instrs.size(), 1u);
  EXPECT_EQ(seg.offset.instrs[0].op, Opcode::kI32Const);
  EXPECT_EQ(seg.offset.instrs[0].value, 1u);
  ASSERT_EQ(seg.init.size(), 2u);
  EXPECT_EQ(seg.init[0].instrs[0].index, 5u);
  EXPECT_EQ(seg.init[0].offset, 0x10u);
  EXPECT_EQ(seg.init[1].instrs[0].index, 134u);
  EXPECT_EQ(seg.init[1].instrs[0].offset, 0x11u);
}

TEST(SegmentsTest, ElementErrors) {
  struct Case {
    Bytes segment;
    const char* error;
  };
  const Case cases[] = {
      {{0x08}, "malformed: offset 0xb: malformed elements segment kind"},
      {{0x01, 0x01, 0x00}, "malformed: offset 0xc: malformed element kind"},
      {{0x05, 0x7f, 0x00}, "malformed: offset 0xc: malformed reference type"},
      {{0x05, 0x70, 0x01, 0xf3, 0x0b}, "malformed: offset 0xe: illegal opcode"},
      {{0x04, 0x41, 0x00}, "malformed: offset 0xe: unexpected end of section or function"},
  };
  for (const Case& c : cases) {
    Result<Module> r = DecodeModule(Wasm({Section(9, Cat({{0x01}, c.segment}))}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().ToString(), c.error);
  }
}

TEST(SegmentsTest, AllThreeDataSegmentForms) {
  Module m = DecodeOneSegment(11, {0x00, 0x41, 0x10, 0x0b, 0x02, 'a', 'b'});
  ASSERT_EQ(m.datas.size(), 1u);
  EXPECT_EQ(m.datas[0].mode, SegmentMode::kActive);
  EXPECT_EQ(m.datas[0].memory, 0u);
  EXPECT_EQ(m.datas[0].offset.instrs.size(), 1u);
  EXPECT_EQ(m.datas[0].bytes, (Bytes{'a', 'b'}));
  EXPECT_EQ(m.datas[0].byte_offset, 0xbu);

  m = DecodeOneSegment(11, {0x01, 0x01, 'c'});
  EXPECT_EQ(m.datas[0].mode, SegmentMode::kPassive);
  EXPECT_TRUE(m.datas[0].offset.instrs.empty());
  EXPECT_EQ(m.datas[0].bytes, (Bytes{'c'}));

  m = DecodeOneSegment(11, {0x02, 0x01, 0x41, 0x00, 0x0b, 0x00});
  EXPECT_EQ(m.datas[0].mode, SegmentMode::kActive);
  EXPECT_EQ(m.datas[0].memory, 1u);  // a validation error, not a decoding one
  EXPECT_TRUE(m.datas[0].bytes.empty());
}

TEST(SegmentsTest, DataErrors) {
  struct Case {
    Bytes segment;
    const char* error;
  };
  const Case cases[] = {
      {{0x03}, "malformed: offset 0xb: malformed data segment kind"},
      {{0x01, 0x05, 'a'}, "malformed: offset 0xe: unexpected end of section or function"},
      {{0x01, 0xff, 0xff, 0xff, 0xff, 0x0f},
       "malformed: offset 0x11: unexpected end of section or function"},
  };
  for (const Case& c : cases) {
    Result<Module> r = DecodeModule(Wasm({Section(11, Cat({{0x01}, c.segment}))}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().ToString(), c.error);
  }
}

TEST(SegmentsTest, GlobalInitKeepsNestedBlocksForTheValidator) {
  // (global i32 (block) (i32.const 7)): not constant, but well formed.
  Result<Module> r =
      DecodeModule(Wasm({Section(6, {0x01, 0x7f, 0x00, 0x02, 0x40, 0x0b, 0x41, 0x07, 0x0b})}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->global_defs.size(), 1u);
  const ConstExpr& init = r->global_defs[0].init;
  EXPECT_EQ(init.offset, 0xdu);
  ASSERT_EQ(init.instrs.size(), 3u);
  EXPECT_EQ(init.instrs[0].op, Opcode::kBlock);
  EXPECT_EQ(init.instrs[1].op, Opcode::kEnd);
  EXPECT_EQ(init.instrs[2].op, Opcode::kI32Const);
  EXPECT_EQ(r->globals.size(), 1u);
}

}  // namespace
}  // namespace deja::engine
