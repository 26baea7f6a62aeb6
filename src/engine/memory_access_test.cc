#include "engine/memory_access.h"

#include <gtest/gtest.h>

namespace deja::engine {
namespace {

// Every opcode with a memarg immediate has a width (the validator's alignment
// check and the compiler's load/store fusion read it), and no other has one.
TEST(MemoryAccess, EveryMemargOpcodeHasAWidth) {
  struct Entry {
    Opcode op;
    ImmKind imm;
    const char* text;
  };
  static constexpr Entry kAll[] = {
#define DEJA_OPCODE(name, code, imm, text, sig) {Opcode::k##name, ImmKind::k##imm, text},
#include "engine/opcodes.def"
#undef DEJA_OPCODE
  };
  int memargs = 0;
  for (const Entry& e : kAll) {
    u32 bytes = AccessBytes(e.op);
    if (e.imm != ImmKind::kMemarg && e.imm != ImmKind::kMemargLane) {
      EXPECT_EQ(bytes, 0u) << e.text;
      continue;
    }
    ++memargs;
    ASSERT_TRUE(bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8 || bytes == 16) << e.text;
    EXPECT_EQ(u32{1} << NaturalAlignment(e.op), bytes) << e.text;
  }
  // 14 loads, 9 stores; SIMD: 13 loads, 1 store, 8 lane loads and stores.
  EXPECT_EQ(memargs, 23 + 22);
}

TEST(MemoryAccess, WidthsFollowTheOpcodeName) {
  EXPECT_EQ(AccessBytes(Opcode::kI64Load8S), 1u);
  EXPECT_EQ(AccessBytes(Opcode::kI32Store16), 2u);
  EXPECT_EQ(AccessBytes(Opcode::kI64Load32U), 4u);
  EXPECT_EQ(AccessBytes(Opcode::kF32Store), 4u);
  EXPECT_EQ(AccessBytes(Opcode::kF64Load), 8u);
  EXPECT_EQ(AccessBytes(Opcode::kV128Load), 16u);
  EXPECT_EQ(AccessBytes(Opcode::kV128Load16x4S), 8u);
  EXPECT_EQ(AccessBytes(Opcode::kV128Load32Zero), 4u);
  EXPECT_EQ(AccessBytes(Opcode::kV128Store8Lane), 1u);
  EXPECT_EQ(AccessBytes(Opcode::kI32Add), 0u);
}

}  // namespace
}  // namespace deja::engine
