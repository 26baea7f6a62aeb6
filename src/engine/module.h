// The decoded form of a module: what the binary says, nothing executed yet.
// Produced by decode/, checked by validate/, translated by compile/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/types.h"
#include "deja/types.h"
#include "engine/instr.h"

namespace deja::engine {

// A constant expression, without its final `end`. Kept as instructions so the
// validator can reject non-constant or ill-typed ones.
struct ConstExpr {
  std::vector<Instr> instrs;
  u32 offset = 0;  // byte offset of the first instruction
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  u32 func_type = 0;  // kFunc: type index
  TableType table;    // kTable
  MemoryType memory;  // kMemory
  GlobalType global;  // kGlobal
  u32 tag_type = 0;   // kTag: type index (params = the payload, no results)
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  u32 index = 0;
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

enum class SegmentMode : u8 { kActive, kPassive, kDeclarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::kActive;
  ValType type = ValType::kFuncRef;
  u32 table = 0;
  ConstExpr offset;             // kActive only
  std::vector<ConstExpr> init;  // function-index forms become ref.func exprs
  u32 byte_offset = 0;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::kActive;  // never kDeclarative
  u32 memory = 0;
  ConstExpr offset;  // kActive only
  std::vector<u8> bytes;
  u32 byte_offset = 0;
};

struct LocalRun {
  u32 count = 0;
  ValType type = ValType::kI32;
};

// A function defined by the module (not imported).
struct Function {
  u32 type = 0;                  // type index
  std::vector<LocalRun> locals;  // as declared; parameters not included
  u64 num_locals = 0;            // sum of the runs (checked against a limit)
  u32 body_offset = 0;           // first instruction, as an offset into Module::bytes
  u32 body_size = 0;             // through the final `end`
  // Deepest nesting of try blocks, from the decoder's scan of the body (each
  // level needs a frame slot for its caught exception; compile/func_compiler_eh.cc).
  u32 try_depth = 0;
};
inline constexpr u32 kTryDepthUnknown = UINT32_MAX;  // the body was not scanned

struct Module {
  std::vector<u8> bytes;  // the binary the module was decoded from

  std::vector<FuncType> types;
  std::vector<Import> imports;

  // Index spaces, imports first.
  std::vector<u32> func_types;  // type index of every function
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<GlobalType> globals;
  u32 num_imported_funcs = 0;
  u32 num_imported_tables = 0;
  u32 num_imported_memories = 0;
  u32 num_imported_globals = 0;
  // Exception tags (tag section, id 13): the type index of each, imports first.
  std::vector<u32> tags;
  u32 num_imported_tags = 0;

  std::vector<Function> code;       // defined functions, index = func index - num_imported_funcs
  std::vector<Global> global_defs;  // defined globals, index = global index - num_imported_globals
  std::vector<Export> exports;
  std::optional<u32> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::optional<u32> data_count;  // from the data count section

  // From the "name" custom section, when present and well formed.
  std::string name;
  std::map<u32, std::string> func_names;

  std::span<const u8> body(const Function& f) const {
    return std::span<const u8>(bytes).subspan(f.body_offset, f.body_size);
  }
  const FuncType& func_type(u32 func_index) const { return types[func_types[func_index]]; }
};

}  // namespace deja::engine
