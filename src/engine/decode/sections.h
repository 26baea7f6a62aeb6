// The per-section decoders DecodeModule dispatches to; internal to decode/.
// Each reads exactly one section's contents from a reader bounded to it and
// appends to the module; the caller checks the section was consumed.
#pragma once

#include <optional>
#include <vector>

#include "engine/decode/reader.h"
#include "engine/module.h"

namespace deja::engine {

enum class SectionId : u8 {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kTable = 4,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kElement = 9,
  kCode = 10,
  kData = 11,
  kDataCount = 12,
  kTag = 13,  // exception handling; ordered between memory and global
};

// What a section decoder may need beyond its own bytes.
struct DecodeState {
  Module* module = nullptr;
  size_t module_size = 0;
  bool saw_code = false;
  bool saw_data = false;
  bool scan_bodies = true;  // DecodeOptions::scan_bodies
  std::vector<u8> control;  // block kinds while scanning a body; reused
  u32 func_index = 0;       // of the body being scanned (imports counted)
  // The first memory.init or data.drop seen without a data count section.
  // It makes the module malformed only if data segments exist: without any,
  // the validator reports the unknown segment index instead, as the spec
  // suite expects of text modules (which carry no data count section then).
  std::optional<u32> data_op_func;
  u32 data_op_offset = 0;
  // Offset of the first constant expression too long to store: the module
  // is invalid if it decodes.
  std::optional<u32> too_long_const_expr;
};

Status DecodeTypeSection(Reader& r, DecodeState& s);
Status DecodeImportSection(Reader& r, DecodeState& s);
Status DecodeFunctionSection(Reader& r, DecodeState& s);
Status DecodeTableSection(Reader& r, DecodeState& s);
Status DecodeMemorySection(Reader& r, DecodeState& s);
Status DecodeGlobalSection(Reader& r, DecodeState& s);
Status DecodeExportSection(Reader& r, DecodeState& s);
Status DecodeStartSection(Reader& r, DecodeState& s);
Status DecodeTagSection(Reader& r, DecodeState& s);  // tag_section.cc
// A tag type: attribute 0 (exception) and a type index.
Status ReadTagType(Reader& r, u32* type_index);
Status DecodeElementSection(Reader& r, DecodeState& s);
Status DecodeDataCountSection(Reader& r, DecodeState& s);
Status DecodeCodeSection(Reader& r, DecodeState& s);
Status DecodeDataSection(Reader& r, DecodeState& s);
// Checks the custom section's name; fills Module::name and func_names from a
// well-formed "name" section and ignores a malformed one.
Status DecodeCustomSection(Reader& r, DecodeState& s);

// "func N offset 0x..: reason" from an "offset 0x..: reason" status.
Status InFunc(u32 func_index, const Status& st);

// Reads a constant expression through its final `end` (balancing nested
// blocks, which the validator will reject); the `end` is not stored. An
// expression longer than kMaxConstExprInstrs is decoded but not stored, and
// recorded in s.too_long_const_expr.
Status ReadConstExpr(Reader& r, DecodeState& s, ConstExpr* out);

// A valid WebAssembly 2.0 constant expression is a single instruction, so a
// longer one is invalid whatever it holds. Storing it whole would let hostile
// input turn each byte into a 56-byte Instr.
inline constexpr size_t kMaxConstExprInstrs = 1024;

// Most vectors take at least one byte per element: reserve no more than the
// bytes left could hold.
template <typename T>
void ReserveAtMost(std::vector<T>& v, u32 count, const Reader& r) {
  v.reserve(v.size() + (count < r.remaining() ? count : r.remaining()));
}

}  // namespace deja::engine
