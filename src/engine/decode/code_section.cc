// Decoder for the code section: locals and the bounds of each function body.
// Bodies stay bytes in Module::bytes; here they are scanned once so that every
// instruction decodes, blocks balance and the final `end` is the last byte.
#include <algorithm>
#include <cstdio>

#include "engine/decode/sections.h"

namespace deja::engine {
namespace {

constexpr u64 kMaxLocals = 0xffffffffu;

enum class Frame : u8 { kFunc, kBlock, kIf, kElse, kTry };

}  // namespace

Status InFunc(u32 func_index, const Status& st) {
  char prefix[24];
  std::snprintf(prefix, sizeof prefix, "func %u ", func_index);
  std::string m(prefix);
  m += st.message();
  return Status(st.code(), std::move(m));
}

namespace {

Status ReadLocals(Reader& r, Function* f) {
  u32 runs{};
  DEJA_TRY(r.ReadU32(&runs));
  for (u32 i = 0; i < runs; ++i) {
    size_t at = r.pos();
    LocalRun run;
    DEJA_TRY(r.ReadU32(&run.count));
    f->num_locals += run.count;
    if (f->num_locals > kMaxLocals) return r.Fail(at, "too many locals");
    DEJA_TRY(r.ReadValType(&run.type));
    f->locals.push_back(run);
  }
  return Status();
}

// Why a body ran out before its final `end`. Worded as the spec suite's
// reference decoder sees it: that decoder does not bound a body by its size,
// so it reads on into the next body, the next section or the end of input.
const char* MissingEndReason(size_t body_end, size_t section_end, size_t module_size) {
  if (body_end < section_end) return "END opcode expected";
  if (section_end < module_size) return "section size mismatch";
  return "unexpected end of section or function";
}

// Walks the body's instructions: each must decode, `else` must close an
// `if`, and the `end` closing the function must be the body's last byte.
Status ScanBody(const Reader& section, DecodeState& s, Function& f) {
  const Module& m = *s.module;
  InstrReader ir(std::span<const u8>(m.bytes).subspan(f.body_offset, f.body_size), f.body_offset);
  size_t body_end = size_t{f.body_offset} + f.body_size;
  std::vector<u8>& control = s.control;
  control.clear();
  control.push_back(static_cast<u8>(Frame::kFunc));
  Instr in;
  u32 tries = 0;  // try blocks open (their caught exceptions need a slot each)
  while (!control.empty()) {
    if (ir.AtEnd()) {
      return MalformedAt(body_end, MissingEndReason(body_end, section.end(), s.module_size));
    }
    DEJA_TRY(ir.Next(&in));
    switch (in.op) {
      case Opcode::kBlock:
      case Opcode::kLoop:
        control.push_back(static_cast<u8>(Frame::kBlock));
        break;
      case Opcode::kTry:
        control.push_back(static_cast<u8>(Frame::kTry));
        f.try_depth = std::max(f.try_depth, ++tries);
        break;
      case Opcode::kIf:
        control.push_back(static_cast<u8>(Frame::kIf));
        break;
      case Opcode::kElse:
        if (control.back() != static_cast<u8>(Frame::kIf)) {
          return MalformedAt(in.offset, "END opcode expected");
        }
        control.back() = static_cast<u8>(Frame::kElse);
        break;
      case Opcode::kEnd:
      case Opcode::kDelegate:  // ends its try block (the validator checks it is one)
        if (control.back() == static_cast<u8>(Frame::kTry)) --tries;
        control.pop_back();
        break;
      case Opcode::kMemoryInit:
      case Opcode::kDataDrop:
        if (!m.data_count && !s.data_op_func) {
          s.data_op_func = s.func_index;
          s.data_op_offset = in.offset;
        }
        break;
      default:
        break;
    }
  }
  if (!ir.AtEnd()) return MalformedAt(ir.offset(), "section size mismatch");
  return Status();
}

Status ReadFunction(Reader& r, DecodeState& s, Function* f) {
  size_t at = r.pos();
  u32 size{};
  DEJA_TRY(r.ReadU32(&size));
  if (size > r.remaining()) return r.Fail(at, "length out of bounds");
  Reader body = r.Split(size, "unexpected end of section or function");
  DEJA_TRY(ReadLocals(body, f));
  f->body_offset = static_cast<u32>(body.pos());
  f->body_size = static_cast<u32>(body.remaining());
  return s.scan_bodies ? ScanBody(r, s, *f) : Status();
}

}  // namespace

Status DecodeCodeSection(Reader& r, DecodeState& s) {
  Module& m = *s.module;
  size_t at = r.pos();
  u32 count{};
  DEJA_TRY(r.ReadU32(&count));
  if (count != m.func_types.size() - m.num_imported_funcs) {
    return r.Fail(at, "function and code section have inconsistent lengths");
  }
  ReserveAtMost(m.code, count, r);
  for (u32 i = 0; i < count; ++i) {
    Function f;
    f.try_depth = s.scan_bodies ? 0 : kTryDepthUnknown;
    f.type = m.func_types[m.num_imported_funcs + i];
    s.func_index = m.num_imported_funcs + i;
    if (Status st = ReadFunction(r, s, &f); !st.ok()) return InFunc(m.num_imported_funcs + i, st);
    m.code.push_back(std::move(f));
  }
  return Status();
}

}  // namespace deja::engine
