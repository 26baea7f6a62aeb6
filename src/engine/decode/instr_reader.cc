// InstrReader::Next: one instruction and its immediates. This is on the hot
// path of decoding, validation and compilation: no allocation per
// instruction (br_table targets reuse the reader's vector).
#include <array>
#include <optional>

#include "engine/decode/leb128.h"
#include "engine/decode/reader.h"
#include "engine/instr.h"

namespace deja::engine {
namespace {

constexpr u8 kNoOpcode = 0xff;

// Immediate kind of each opcode, indexed by its byte (or by the 0xFC
// 0xFC or 0xFD sub-opcode); kNoOpcode where no opcode exists.
constexpr std::array<u8, 256> BuildImmTable(u8 prefix) {
  std::array<u8, 256> t{};
  for (u8& e : t) e = kNoOpcode;
#define DEJA_OPCODE(name, code, imm, text, sig)        \
  if (((code) >> 8) == prefix) {                       \
    t[(code)&0xff] = static_cast<u8>(ImmKind::k##imm); \
  }
#include "engine/opcodes.def"
  return t;
}

constexpr std::array<u8, 256> kOneByteImm = BuildImmTable(0);
constexpr std::array<u8, 256> kPrefixedImm = BuildImmTable(0xfc);
constexpr std::array<u8, 256> kSimdImm = BuildImmTable(0xfd);
constexpr std::array<u8, 256> kRelaxedSimdImm = BuildImmTable(0xfe);  // 0xFD 0x100 + i

// A copy of the reader's position, so helpers can advance it and Next()
// writes it back once.
struct Cursor {
  std::span<const u8> bytes;
  size_t pos;
  u32 base{};

  Status Fail(size_t at, std::string_view reason) const { return MalformedAt(base + at, reason); }
  Status End() const { return Fail(bytes.size(), "unexpected end of section or function"); }
  Status Leb(LebError e, size_t at) const {
    return e == LebError::kEnd ? End() : Fail(at, LebErrorReason(e));
  }

  Status Byte(u8* out) {
    if (pos >= bytes.size()) return End();
    *out = bytes[pos++];
    return Status();
  }
  Status U32(u32* out) {
    if (pos < bytes.size() && bytes[pos] < 0x80) {  // the common one-byte case
      *out = bytes[pos++];
      return Status();
    }
    u64 v{};
    if (LebError e = ReadUleb<32>(bytes, &pos, &v); e != LebError::kNone) return Leb(e, pos);
    *out = static_cast<u32>(v);
    return Status();
  }
  template <unsigned kBits>
  Status Signed(i64* out) {
    if (LebError e = ReadSleb<kBits>(bytes, &pos, out); e != LebError::kNone) return Leb(e, pos);
    return Status();
  }
  Status Fixed(size_t n, u64* out) {
    if (bytes.size() - pos < n) return End();
    u64 v = 0;
    for (size_t i = 0; i < n; ++i) v |= u64{bytes[pos + i]} << (8 * i);
    pos += n;
    *out = v;
    return Status();
  }
  // A reserved memory index: a single 0x00 byte in WebAssembly 2.0.
  Status ZeroByte() {
    u8 b{};
    DEJA_TRY(Byte(&b));
    return b == 0 ? Status() : Fail(pos - 1, "zero byte expected");
  }
  Status ValueType(ValType* out) {
    u8 b{};
    DEJA_TRY(Byte(&b));
    if (DecodeValType(b, out)) return Status();
    DEJA_TRY(ProposalValTypeAt(base + pos - 1, b));
    return Fail(pos - 1, "malformed value type");
  }
  Status BlockTypeImm(BlockType* out) {
    if (pos >= bytes.size()) return End();
    u8 b = bytes[pos];
    if (b == 0x40) {
      ++pos;
      out->kind = BlockType::Kind::kEmpty;
      return Status();
    }
    if (DecodeValType(b, &out->value)) {
      ++pos;
      out->kind = BlockType::Kind::kValue;
      return Status();
    }
    DEJA_TRY(ProposalValTypeAt(base + pos, b));
    size_t at = pos;
    i64 index{};
    DEJA_TRY(Signed<33>(&index));
    // Negative values are the value type encodings, none of which matched.
    if (index < 0) return Fail(at, "malformed value type");
    out->kind = BlockType::Kind::kTypeIndex;
    out->type_index = static_cast<u32>(index);
    return Status();
  }
};

Status ReadBrTable(Cursor& c, std::vector<u32>& targets) {
  u32 count{};
  DEJA_TRY(c.U32(&count));
  targets.clear();
  // Each target takes at least one byte; never trust the count beyond that.
  size_t cap = c.bytes.size() - c.pos;
  if (targets.capacity() < count && count <= cap) targets.reserve(size_t{count} + 1);
  for (u64 i = 0; i <= count; ++i) {  // the last one is the default
    u32 t{};
    DEJA_TRY(c.U32(&t));
    targets.push_back(t);
  }
  return Status();
}

Status ReadSelectTypes(Cursor& c, Instr* out) {
  u32 count{};
  DEJA_TRY(c.U32(&count));
  out->index = count;
  for (u32 i = 0; i < count; ++i) {
    ValType t{};
    DEJA_TRY(c.ValueType(&t));
    if (i == 0) out->type = t;
  }
  return Status();
}

Status ReadRefTypeImm(Cursor& c, Instr* out) {
  u8 b{};
  DEJA_TRY(c.Byte(&b));
  if (b != 0x70 && b != 0x6f) return c.Fail(c.pos - 1, "malformed reference type");
  out->type = static_cast<ValType>(b);
  return Status();
}

Status ReadImmediates(Cursor& c, ImmKind kind, std::vector<u32>& targets, Instr* out) {
  switch (kind) {
    case ImmKind::kNone:
      return Status();
    case ImmKind::kBlockType:
      return c.BlockTypeImm(&out->block_type);
    case ImmKind::kBrTable:
      DEJA_TRY(ReadBrTable(c, targets));
      out->targets = targets;
      return Status();
    case ImmKind::kLabel:
    case ImmKind::kFunc:
    case ImmKind::kLocal:
    case ImmKind::kGlobal:
    case ImmKind::kTable:
    case ImmKind::kData:
    case ImmKind::kElem:
    case ImmKind::kTag:
      return c.U32(&out->index);
    case ImmKind::kCallIndirect:
    case ImmKind::kElemTable:
    case ImmKind::kTableTable:
      DEJA_TRY(c.U32(&out->index));
      return c.U32(&out->index2);
    case ImmKind::kMemarg: {
      u32 offset{};
      DEJA_TRY(c.U32(&out->index));
      DEJA_TRY(c.U32(&offset));
      out->value = offset;
      return Status();
    }
    case ImmKind::kMemory:
      return c.ZeroByte();
    case ImmKind::kDataMemory:
      DEJA_TRY(c.U32(&out->index));
      return c.ZeroByte();
    case ImmKind::kMemoryMemory:
      DEJA_TRY(c.ZeroByte());
      return c.ZeroByte();
    case ImmKind::kI32:
    case ImmKind::kI64: {
      i64 v{};
      DEJA_TRY(kind == ImmKind::kI32 ? c.Signed<32>(&v) : c.Signed<64>(&v));
      out->value = static_cast<u64>(v);
      return Status();
    }
    case ImmKind::kF32:
      return c.Fixed(4, &out->value);
    case ImmKind::kF64:
      return c.Fixed(8, &out->value);
    case ImmKind::kRefType:
      return ReadRefTypeImm(c, out);
    case ImmKind::kSelectT:
      return ReadSelectTypes(c, out);
    case ImmKind::kV128:
    case ImmKind::kShuffle:
      DEJA_TRY(c.Fixed(8, &out->value));
      return c.Fixed(8, &out->value2);
    case ImmKind::kLane: {
      u8 lane{};
      DEJA_TRY(c.Byte(&lane));
      out->index = lane;
      return Status();
    }
    case ImmKind::kMemargLane: {
      u32 offset{};
      u8 lane{};
      DEJA_TRY(c.U32(&out->index));
      DEJA_TRY(c.U32(&offset));
      DEJA_TRY(c.Byte(&lane));
      out->value = offset;
      out->index2 = lane;
      return Status();
    }
  }
  return c.Fail(out->offset - c.base, "illegal opcode");
}

// An opcode byte that no WebAssembly 2.0 instruction uses but a later
// proposal does: the proposal (as wasmtime names it) and the instruction.
struct ProposalOpcode {
  const char* feature;
  const char* name;
};

std::optional<ProposalOpcode> FindProposalOpcode(u8 b) {
  switch (b) {
    // The new exception-handling form (exnref); the legacy one is implemented.
    case 0x0a: return ProposalOpcode{"exnref", "throw_ref"};
    case 0x1f: return ProposalOpcode{"exnref", "try_table"};
    case 0x14: return ProposalOpcode{"function-references", "call_ref"};
    case 0x15: return ProposalOpcode{"function-references", "return_call_ref"};
    case 0xd4: return ProposalOpcode{"function-references", "ref.as_non_null"};
    case 0xd5: return ProposalOpcode{"function-references", "br_on_null"};
    case 0xd6: return ProposalOpcode{"function-references", "br_on_non_null"};
    case 0xd3: return ProposalOpcode{"gc", "ref.eq"};
    case 0xfb: return ProposalOpcode{"gc", "0xfb-prefixed instruction"};
    case 0xfe: return ProposalOpcode{"threads", "0xfe-prefixed atomic instruction"};
    default: return std::nullopt;
  }
}

}  // namespace

Status InstrReader::Next(Instr* out) {
  Cursor c{bytes_, pos_, base_};
  size_t start = c.pos;
  u8 b{};
  DEJA_TRY(c.Byte(&b));
  u8 imm{};
  u16 code = b;
  if (b == 0xfc) {
    u32 sub{};
    DEJA_TRY(c.U32(&sub));
    imm = sub < 256 ? kPrefixedImm[sub] : kNoOpcode;
    code = static_cast<u16>(0xfc00 | (sub & 0xff));
  } else if (b == 0xfd) {
    u32 sub{};
    DEJA_TRY(c.U32(&sub));
    imm = sub < 0x100 ? kSimdImm[sub] : sub < 0x200 ? kRelaxedSimdImm[sub - 0x100] : kNoOpcode;
    code = static_cast<u16>(0xfd00 + (sub & 0x1ff));
  } else {
    imm = kOneByteImm[b];
  }
  if (imm == kNoOpcode) {
    if (b != 0xfc && b != 0xfd) {
      if (std::optional<ProposalOpcode> p = FindProposalOpcode(b)) {
        return UnsupportedAt(base_ + start, p->feature, p->name);
      }
    }
    return c.Fail(start, "illegal opcode");
  }
  *out = Instr{};
  out->op = static_cast<Opcode>(code);
  out->offset = base_ + static_cast<u32>(start);
  DEJA_TRY(ReadImmediates(c, static_cast<ImmKind>(imm), targets_, out));
  pos_ = c.pos;
  return Status();
}

}  // namespace deja::engine
