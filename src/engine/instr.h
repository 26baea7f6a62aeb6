// Opcodes and one decoded instruction. InstrReader (decode/instr_reader.cc)
// decodes a function body or constant expression one instruction at a time;
// the decoder, validator and compiler all read code through it.
#pragma once

#include <span>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "deja/types.h"

namespace deja::engine {

enum class Opcode : u16 {
#define DEJA_OPCODE(name, code, imm, text, sig) k##name = code,
#include "engine/opcodes.def"
};

enum class ImmKind : u8 {
  kNone,
  kBlockType,     // block_type
  kLabel,         // index = label depth
  kBrTable,       // targets (last entry is the default)
  kFunc,          // index = function index
  kCallIndirect,  // index = type index, index2 = table index
  kLocal,         // index
  kGlobal,        // index
  kTable,         // index = table index
  kMemarg,        // index = alignment exponent, value = offset; memory 0
  kMemory,        // index = memory index (must be 0 in 2.0)
  kI32,           // value = the constant, sign-extended to 64 bits as read
  kI64,           // value
  kF32,           // value = raw bits
  kF64,           // value = raw bits
  kRefType,       // type
  kSelectT,       // index = number of types, type = the first one
  kDataMemory,    // index = data index, index2 = memory index
  kData,          // index = data index
  kMemoryMemory,  // index = destination memory, index2 = source memory
  kElemTable,     // index = elem index, index2 = table index
  kElem,          // index = elem index
  kTableTable,    // index = destination table, index2 = source table
  kV128,          // value = low 64 bits, value2 = high 64 bits
  kShuffle,       // 16 lane indices: value = lanes 0-7, value2 = lanes 8-15
  kLane,          // index = lane index
  kMemargLane,    // as kMemarg, and index2 = lane index
  kTag,           // index = tag index
};

const char* OpcodeName(Opcode op);      // "i32.add"
ImmKind OpcodeImmKind(Opcode op);
// "ii_i"-style signature from opcodes.def; "" when typed by hand.
const char* OpcodeSignature(Opcode op);

// A block type: no value, one value type, or a function type index.
struct BlockType {
  enum class Kind : u8 { kEmpty, kValue, kTypeIndex } kind = Kind::kEmpty;
  ValType value = ValType::kI32;
  u32 type_index = 0;
};

struct Instr {
  Opcode op = Opcode::kNop;
  u32 offset = 0;   // byte offset of the opcode in the module binary
  u32 index = 0;
  u32 index2 = 0;
  u64 value = 0;
  u64 value2 = 0;  // kV128, kShuffle: the high 64 bits
  ValType type = ValType::kI32;
  BlockType block_type;
  std::span<const u32> targets;  // br_table only; owned by the reader, valid until Next()
};

// Decodes instructions from `bytes`, which start at `base_offset` in the
// module. Next() fails with kMalformed naming the offset (or kUnsupported for
// proposals outside WebAssembly 2.0).
class InstrReader {
 public:
  InstrReader(std::span<const u8> bytes, u32 base_offset) : bytes_(bytes), base_(base_offset) {}
  bool AtEnd() const { return pos_ >= bytes_.size(); }
  u32 offset() const { return base_ + static_cast<u32>(pos_); }
  Status Next(Instr* out);

 private:
  std::span<const u8> bytes_;
  u32 base_;
  size_t pos_ = 0;
  std::vector<u32> targets_;
};

}  // namespace deja::engine
