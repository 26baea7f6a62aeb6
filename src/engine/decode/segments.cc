// Decoders for element, data count and data sections, and for the constant
// expressions they (and globals) carry.
#include "engine/decode/sections.h"

namespace deja::engine {
namespace {

// Element segment flag bits (binary format, section 5.5.12).
constexpr u32 kElemPassiveOrDeclarative = 1;
constexpr u32 kElemExplicitTableOrDeclarative = 2;
constexpr u32 kElemExpressions = 4;
constexpr u8 kElemKindFuncRef = 0x00;

Status ReadElemType(Reader& r, u32 flags, ValType* out) {
  if ((flags & 3) == 0) {  // forms 0 and 4: funcref implied
    *out = ValType::kFuncRef;
    return Status();
  }
  if (flags & kElemExpressions) return r.ReadRefType(out);
  size_t at = r.pos();
  u8 kind{};
  DEJA_TRY(r.ReadByte(&kind));
  if (kind != kElemKindFuncRef) return r.Fail(at, "malformed element kind");
  *out = ValType::kFuncRef;
  return Status();
}

Status ReadElemInits(Reader& r, DecodeState& s, bool expressions, std::vector<ConstExpr>* out) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(*out, count, r);
  for (u32 i = 0; i < count; ++i) {
    ConstExpr e;
    e.offset = static_cast<u32>(r.pos());
    if (expressions) {
      DEJA_TRY(ReadConstExpr(r, s, &e));
    } else {
      // A bare function index means `ref.func index`.
      Instr ref;
      ref.op = Opcode::kRefFunc;
      ref.offset = e.offset;
      DEJA_TRY(r.ReadU32(&ref.index));
      e.instrs.push_back(ref);
    }
    out->push_back(std::move(e));
  }
  return Status();
}

Status ReadElemSegment(Reader& r, DecodeState& s, ElemSegment* seg) {
  seg->byte_offset = static_cast<u32>(r.pos());
  u32 flags{};
  DEJA_TRY(r.ReadU32(&flags));
  if (flags > 7) return r.Fail(seg->byte_offset, "malformed elements segment kind");
  if (!(flags & kElemPassiveOrDeclarative)) {
    seg->mode = SegmentMode::kActive;
    if (flags & kElemExplicitTableOrDeclarative) DEJA_TRY(r.ReadU32(&seg->table));
    DEJA_TRY(ReadConstExpr(r, s, &seg->offset));
  } else {
    seg->mode = (flags & kElemExplicitTableOrDeclarative) ? SegmentMode::kDeclarative
                                                          : SegmentMode::kPassive;
  }
  DEJA_TRY(ReadElemType(r, flags, &seg->type));
  return ReadElemInits(r, s, flags & kElemExpressions, &seg->init);
}

Status ReadDataSegment(Reader& r, DecodeState& s, DataSegment* seg) {
  seg->byte_offset = static_cast<u32>(r.pos());
  u32 flags{};
  DEJA_TRY(r.ReadU32(&flags));
  switch (flags) {
    case 0:
      seg->mode = SegmentMode::kActive;
      DEJA_TRY(ReadConstExpr(r, s, &seg->offset));
      break;
    case 1:
      seg->mode = SegmentMode::kPassive;
      break;
    case 2:
      seg->mode = SegmentMode::kActive;
      DEJA_TRY(r.ReadU32(&seg->memory));
      DEJA_TRY(ReadConstExpr(r, s, &seg->offset));
      break;
    default:
      return r.Fail(seg->byte_offset, "malformed data segment kind");
  }
  u32 size{};
  DEJA_TRY(r.ReadU32(&size));
  std::span<const u8> bytes;
  DEJA_TRY(r.ReadBytes(size, &bytes));
  seg->bytes.assign(bytes.begin(), bytes.end());
  return Status();
}

}  // namespace

Status ReadConstExpr(Reader& r, DecodeState& s, ConstExpr* out) {
  out->offset = static_cast<u32>(r.pos());
  out->instrs.clear();
  InstrReader ir(r.bounded().subspan(r.pos()), static_cast<u32>(r.pos()));
  u32 depth = 1;
  while (true) {
    if (ir.AtEnd()) return r.EndError();
    Instr in;
    DEJA_TRY(ir.Next(&in));
    if (in.op == Opcode::kBlock || in.op == Opcode::kLoop || in.op == Opcode::kIf) {
      ++depth;
    } else if (in.op == Opcode::kEnd && --depth == 0) {
      break;
    }
    if (out->instrs.size() == kMaxConstExprInstrs) {
      if (!s.too_long_const_expr) s.too_long_const_expr = out->offset;
      continue;
    }
    // br_table targets live in the reader; a constant expression cannot use
    // them anyway (the validator rejects br_table here).
    in.targets = {};
    out->instrs.push_back(in);
  }
  r.set_pos(ir.offset());
  return Status();
}

Status DecodeElementSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  ReserveAtMost(s.module->elems, count, r);
  for (u32 i = 0; i < count; ++i) {
    ElemSegment seg;
    DEJA_TRY(ReadElemSegment(r, s, &seg));
    s.module->elems.push_back(std::move(seg));
  }
  return Status();
}

Status DecodeDataCountSection(Reader& r, DecodeState& s) {
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  s.module->data_count = count;
  return Status();
}

Status DecodeDataSection(Reader& r, DecodeState& s) {
  size_t at = r.pos();
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  if (s.module->data_count && *s.module->data_count != count) {
    return r.Fail(at, "data count and data section have inconsistent lengths");
  }
  ReserveAtMost(s.module->datas, count, r);
  for (u32 i = 0; i < count; ++i) {
    DataSegment seg;
    DEJA_TRY(ReadDataSegment(r, s, &seg));
    s.module->datas.push_back(std::move(seg));
  }
  return Status();
}

}  // namespace deja::engine
