// The module generator (wasm_gen.h): a decision stream, a small binary
// encoder and a type-directed generator of function bodies.
#include "wasm_gen.h"

#include <algorithm>
#include <string>
#include <utility>

namespace deja::fuzz {
namespace {

using Types = std::vector<uint8_t>;

constexpr uint8_t kI32 = 0x7f, kI64 = 0x7e, kF32 = 0x7d, kF64 = 0x7c;
constexpr uint8_t kFuncRef = 0x70, kExternRef = 0x6f;
constexpr uint8_t kEmptyBlock = 0x40;
constexpr uint8_t kPrefixFC = 0xfc;
constexpr uint32_t kRefuelAmount = 400;  // fuel units per "refuel" call
constexpr int kMaxDepth = 6;

bool IsRef(uint8_t t) { return t == kFuncRef || t == kExternRef; }

// The fuzzer's bytes as decisions. Once used up, every decision is 0, which
// every choice below maps to its simplest option (a constant, no statement).
class Decisions {
 public:
  Decisions(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(U8()) << (8 * i);
    return v;
  }
  uint64_t U64() { return U32() | static_cast<uint64_t>(U32()) << 32; }
  // 0..n-1.
  uint32_t Below(uint32_t n) {
    if (n <= 1) return 0;
    if (n <= 256) return U8() % n;
    return U32() % n;
  }
  // True with probability 1/n; false once the bytes are used up.
  bool OneIn(uint32_t n) { return n <= 1 || Below(n) == n - 1; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The binary format's primitives.
struct Enc {
  std::vector<uint8_t> b;
  void Byte(uint8_t v) { b.push_back(v); }
  void U32(uint32_t v) {
    do {
      uint8_t byte = v & 0x7f;
      v >>= 7;
      if (v != 0) byte |= 0x80;
      b.push_back(byte);
    } while (v != 0);
  }
  void S64(int64_t v) {
    for (;;) {
      uint8_t byte = v & 0x7f;
      v >>= 7;  // arithmetic
      bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
      if (!done) byte |= 0x80;
      b.push_back(byte);
      if (done) return;
    }
  }
  void S32(int32_t v) { S64(v); }
  void Fixed(uint64_t bits, int bytes) {
    for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  }
  void Name(const std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
  }
  void Append(const Enc& e) { b.insert(b.end(), e.b.begin(), e.b.end()); }
  void Section(uint8_t id, const Enc& content) {
    Byte(id);
    U32(static_cast<uint32_t>(content.b.size()));
    Append(content);
  }
};

struct Sig {
  Types params;
  Types results;
};

struct GlobalDef {
  uint8_t type;
  bool mut;
};

// Edge values for constants.
constexpr uint32_t kI32Edges[] = {0,          1,          0xffffffffu, 0x80000000u, 0x7fffffffu, 31, 32, 33,
                                  63,         64,         0xfffffffeu, 0xffffu,     0x10000u,    8,  16, 0xff};
constexpr uint64_t kI64Edges[] = {0,           1,          ~0ull,        0x8000000000000000ull,
                                  0x7fffffffffffffffull,   63,           64,
                                  65,          0xffffffffull, 0x100000000ull, 0x80000000ull,
                                  32,          0xfffffffffffffffeull, 0xffffffff80000000ull, 7,
                                  0x7fffffff};
constexpr uint32_t kF32Edges[] = {
    0x00000000u, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7f800000u, 0xff800000u,
    0x7fc00000u, 0xffc00000u, 0x7fa00001u, 0x00000001u, 0x7f7fffffu, 0x4f000000u,  // 2^31
    0xcf000000u,                                                                     // -2^31
    0x4f800000u,                                                                     // 2^32
    0x5f000000u,                                                                     // 2^63
    0xdf000000u, 0x5f800000u, 0x3f000000u, 0xbf000000u, 0x3fc00000u, 0x40200000u,   // 2^64 .5 -.5 1.5 2.5
    0xcf000001u, 0x4effffffu, 0x00800000u};
constexpr uint64_t kF64Edges[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
    0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff4000000000001ull, 0x0000000000000001ull, 0x7fefffffffffffffull,
    0x41e0000000000000ull,  // 2^31
    0xc1e0000000000000ull,  // -2^31
    0xc1e0000000200000ull,  // -2^31 - 1
    0x41dfffffffc00000ull,  // 2^31 - 1
    0x41f0000000000000ull,  // 2^32
    0x43e0000000000000ull,  // 2^63
    0xc3e0000000000000ull,  // -2^63
    0x43f0000000000000ull,  // 2^64
    0x3fe0000000000000ull, 0xbfe0000000000000ull, 0x3ff8000000000000ull, 0x4004000000000000ull,
    0x0010000000000000ull, 0xbfefffffffffffffull};

template <typename T, size_t N>
T Pick(Decisions& in, const T (&values)[N]) {
  return values[in.Below(N)];
}

// Opcodes, grouped by signature.
struct Conv {
  uint8_t to;
  uint8_t from;
  bool fc;      // 0xfc-prefixed (saturating truncation)
  uint8_t op;
  bool denan;   // the operand's NaN bits would be observable
};
constexpr Conv kConvs[] = {
    {kI32, kI64, false, 0xa7, false}, {kI32, kF32, false, 0xa8, false}, {kI32, kF32, false, 0xa9, false},
    {kI32, kF64, false, 0xaa, false}, {kI32, kF64, false, 0xab, false}, {kI32, kF32, false, 0xbc, true},
    {kI32, kF32, true, 0, false},     {kI32, kF32, true, 1, false},     {kI32, kF64, true, 2, false},
    {kI32, kF64, true, 3, false},     {kI64, kI32, false, 0xac, false}, {kI64, kI32, false, 0xad, false},
    {kI64, kF32, false, 0xae, false}, {kI64, kF32, false, 0xaf, false}, {kI64, kF64, false, 0xb0, false},
    {kI64, kF64, false, 0xb1, false}, {kI64, kF64, false, 0xbd, true},  {kI64, kF32, true, 4, false},
    {kI64, kF32, true, 5, false},     {kI64, kF64, true, 6, false},     {kI64, kF64, true, 7, false},
    {kF32, kI32, false, 0xb2, false}, {kF32, kI32, false, 0xb3, false}, {kF32, kI64, false, 0xb4, false},
    {kF32, kI64, false, 0xb5, false}, {kF32, kF64, false, 0xb6, false}, {kF32, kI32, false, 0xbe, false},
    {kF64, kI32, false, 0xb7, false}, {kF64, kI32, false, 0xb8, false}, {kF64, kI64, false, 0xb9, false},
    {kF64, kI64, false, 0xba, false}, {kF64, kF32, false, 0xbb, false}, {kF64, kI64, false, 0xbf, false},
};

struct MemOp {
  uint8_t type;
  uint8_t op;
  uint8_t max_align;  // log2 of the natural alignment
};
constexpr MemOp kLoads[] = {
    {kI32, 0x28, 2}, {kI64, 0x29, 3}, {kF32, 0x2a, 2}, {kF64, 0x2b, 3}, {kI32, 0x2c, 0},
    {kI32, 0x2d, 0}, {kI32, 0x2e, 1}, {kI32, 0x2f, 1}, {kI64, 0x30, 0}, {kI64, 0x31, 0},
    {kI64, 0x32, 1}, {kI64, 0x33, 1}, {kI64, 0x34, 2}, {kI64, 0x35, 2},
};
constexpr MemOp kStores[] = {
    {kI32, 0x36, 2}, {kI64, 0x37, 3}, {kF32, 0x38, 2}, {kF64, 0x39, 3}, {kI32, 0x3a, 0},
    {kI32, 0x3b, 1}, {kI64, 0x3c, 0}, {kI64, 0x3d, 1}, {kI64, 0x3e, 2},
};

class Generator {
 public:
  Generator(const uint8_t* data, size_t size) : in_(data, size) {}
  std::vector<uint8_t> Run();

 private:
  struct Label {
    Types types;  // what a branch to it carries
  };

  uint8_t ValType() {
    switch (in_.Below(16)) {
      case 4: case 5: case 6: return kI64;
      case 7: case 8: case 9: return kF32;
      case 10: case 11: case 12: return kF64;
      case 13: return kFuncRef;
      case 14: return kExternRef;
      default: return kI32;
    }
  }
  uint8_t NumType() {
    static constexpr uint8_t kNum[] = {kI32, kI64, kF32, kF64};
    return kNum[in_.Below(4)];
  }
  uint32_t NumFuncs() const { return static_cast<uint32_t>(func_types_.size()); }
  uint32_t RefuelIndex() const { return num_imports_; }
  // A function that may be called or referenced (anything but refuel, which
  // would reset the fuel and so defeat termination).
  uint32_t CallableFunc() {
    uint32_t f = in_.Below(NumFuncs() - 1);
    return f >= RefuelIndex() ? f + 1 : f;
  }

  // Module-level parts.
  void MakeTypes();
  void MakeFuncs();
  void MakeTablesMemoryGlobals();
  void MakeElems(Enc& section);
  void MakeData(Enc& section);
  void ConstExpr(Enc& e, uint8_t type);
  std::vector<uint8_t> FunctionBody(uint32_t func, bool refuel);

  // Function bodies.
  void Const(uint8_t t);
  void Expr(uint8_t t, int depth);
  void NumExpr(uint8_t t, int depth);
  void RefExpr(uint8_t t, int depth);
  void Stmt(int depth);
  void Stmts(int depth, uint32_t max);
  void Values(const Types& ts, int depth) {
    for (uint8_t t : ts) Expr(t, depth);
  }
  void Denan(uint8_t t, int depth);
  void FuelCheck();
  void Addr(int depth);
  void MemArg(uint8_t max_align);
  void Length(int depth);
  void TableIndex(uint32_t table, int depth);
  void Branch(int depth);  // a divergent br / br_table / return / unreachable
  bool LabelWith(const Types& ts, uint32_t* depth_out);
  bool Local(uint8_t t, uint32_t* index);
  uint32_t NewLocal(uint8_t t, bool reserved);
  void BlockType(uint8_t t) { code_.Byte(t); }
  void CallAny(int depth);
  bool CallReturning(uint8_t t, int depth);
  void CallIndirect(uint32_t type, int depth);
  void Load(uint8_t t, int depth);
  void Store(int depth);
  void Bulk(int depth);
  void TableOp(int depth);
  void TypedBlock(int depth);

  Decisions in_;
  std::vector<Sig> types_;
  std::vector<uint32_t> multi_types_;   // []->[t t ...] types for blocks
  std::vector<uint32_t> func_types_;    // imports first
  uint32_t num_imports_ = 0;
  bool has_memory_ = false;
  uint32_t mem_min_ = 0, mem_max_ = 0;
  std::vector<uint8_t> table_elem_;     // per table
  std::vector<uint32_t> table_min_, table_max_;
  std::vector<GlobalDef> globals_;      // 0 is the fuel
  std::vector<uint8_t> elem_types_;     // per element segment
  uint32_t data_segments_ = 0;
  int start_ = -1;

  // The function being generated.
  Enc code_;
  Types locals_;                 // params, then declared locals
  std::vector<bool> reserved_;   // loop counters and scratch locals
  std::vector<Label> labels_;    // labels_[0] is the function body
  int budget_ = 0;
};

// ---- Module-level parts -----------------------------------------------------

void Generator::MakeTypes() {
  types_.push_back({});  // 0: [] -> [] (refuel, start)
  uint32_t n = 1 + in_.Below(6);
  for (uint32_t i = 0; i < n; ++i) {
    Sig s;
    uint32_t np = in_.OneIn(8) ? in_.Below(12) : in_.Below(4), nr = in_.OneIn(8) ? in_.Below(6) : in_.Below(3);
    for (uint32_t k = 0; k < np; ++k) s.params.push_back(ValType());
    for (uint32_t k = 0; k < nr; ++k) s.results.push_back(ValType());
    types_.push_back(std::move(s));
  }
  uint32_t nm = 1 + in_.Below(2);
  for (uint32_t i = 0; i < nm; ++i) {
    Sig s;
    uint32_t nr = 2 + in_.Below(2);
    for (uint32_t k = 0; k < nr; ++k) s.results.push_back(ValType());
    multi_types_.push_back(static_cast<uint32_t>(types_.size()));
    types_.push_back(std::move(s));
  }
}

void Generator::MakeFuncs() {
  if (in_.OneIn(2)) {
    num_imports_ = 1;
    func_types_.push_back(in_.Below(static_cast<uint32_t>(types_.size())));
  }
  func_types_.push_back(0);  // refuel
  uint32_t n = 2 + in_.Below(7);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t t = in_.Below(static_cast<uint32_t>(types_.size()));
    if (start_ < 0 && t == 0 && in_.OneIn(4)) start_ = static_cast<int>(func_types_.size());
    func_types_.push_back(t);
  }
}

void Generator::MakeTablesMemoryGlobals() {
  table_elem_ = {kFuncRef, in_.OneIn(2) ? kExternRef : kFuncRef};
  table_min_ = {in_.Below(8) + 1, in_.Below(4)};
  table_max_ = {table_min_[0] + in_.Below(8), table_min_[1] + in_.Below(5)};
  has_memory_ = !in_.OneIn(8);
  mem_min_ = in_.OneIn(6) ? 0 : 1 + in_.Below(2);
  mem_max_ = mem_min_ + in_.Below(4);
  globals_.push_back({kI32, true});  // fuel
  uint32_t n = 2 + in_.Below(6);
  for (uint32_t i = 0; i < n; ++i) globals_.push_back({ValType(), !in_.OneIn(3)});
}

void Generator::ConstExpr(Enc& e, uint8_t type) {
  switch (type) {
    case kI32: e.Byte(0x41); e.S32(static_cast<int32_t>(in_.OneIn(2) ? in_.U32() : Pick(in_, kI32Edges))); break;
    case kI64: e.Byte(0x42); e.S64(static_cast<int64_t>(in_.OneIn(2) ? in_.U64() : Pick(in_, kI64Edges))); break;
    case kF32: e.Byte(0x43); e.Fixed(Pick(in_, kF32Edges), 4); break;
    case kF64: e.Byte(0x44); e.Fixed(Pick(in_, kF64Edges), 8); break;
    case kFuncRef:
      if (in_.OneIn(2)) {
        e.Byte(0xd2);
        e.U32(CallableFunc());
      } else {
        e.Byte(0xd0);
        e.Byte(kFuncRef);
      }
      break;
    default: e.Byte(0xd0); e.Byte(type); break;
  }
  e.Byte(0x0b);
}

void Generator::MakeElems(Enc& section) {
  Enc segs;
  uint32_t count = 0;
  if (!in_.OneIn(4)) {  // most modules fill table 0 from the start
    segs.Byte(0x00);
    segs.Byte(0x41);
    segs.S32(0);
    segs.Byte(0x0b);
    segs.U32(table_min_[0]);
    for (uint32_t k = 0; k < table_min_[0]; ++k) segs.U32(CallableFunc());
    elem_types_.push_back(kFuncRef);
    ++count;
  }
  uint32_t n = in_.Below(5);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t len = in_.Below(6);
    switch (in_.Below(4)) {
      case 0: {  // active, table 0, function indices
        if (len > table_min_[0] && !in_.OneIn(40)) len = table_min_[0];
        uint32_t offset = len <= table_min_[0] ? in_.Below(table_min_[0] - len + 1) : 0;
        if (in_.OneIn(40)) offset = table_min_[0] + 1 - in_.Below(2);  // out of bounds
        segs.Byte(0x00);
        segs.Byte(0x41);
        segs.S32(static_cast<int32_t>(offset));
        segs.Byte(0x0b);
        segs.U32(len);
        for (uint32_t k = 0; k < len; ++k) segs.U32(CallableFunc());
        elem_types_.push_back(kFuncRef);
        break;
      }
      case 1: {  // passive, function indices
        segs.Byte(0x01);
        segs.Byte(0x00);
        segs.U32(len);
        for (uint32_t k = 0; k < len; ++k) segs.U32(CallableFunc());
        elem_types_.push_back(kFuncRef);
        break;
      }
      case 2: {  // passive, expressions, either reference type
        uint8_t t = in_.OneIn(3) ? kExternRef : kFuncRef;
        segs.Byte(0x05);
        segs.Byte(t);
        segs.U32(len);
        for (uint32_t k = 0; k < len; ++k) ConstExpr(segs, t);
        elem_types_.push_back(t);
        break;
      }
      default: {  // active, table 1, expressions
        uint8_t t = table_elem_[1];
        uint32_t offset = len <= table_min_[1] ? in_.Below(table_min_[1] - len + 1) : 0;
        if (len > table_min_[1]) len = table_min_[1];
        segs.Byte(0x06);
        segs.U32(1);
        segs.Byte(0x41);
        segs.S32(static_cast<int32_t>(offset));
        segs.Byte(0x0b);
        segs.Byte(t);
        segs.U32(len);
        for (uint32_t k = 0; k < len; ++k) ConstExpr(segs, t);
        elem_types_.push_back(t);
        break;
      }
    }
    ++count;
  }
  // Declares every function for ref.func.
  segs.Byte(0x03);
  segs.Byte(0x00);
  segs.U32(NumFuncs());
  for (uint32_t f = 0; f < NumFuncs(); ++f) segs.U32(f);
  elem_types_.push_back(kFuncRef);
  ++count;
  section.U32(count);
  section.Append(segs);
}

void Generator::MakeData(Enc& section) {
  if (has_memory_) data_segments_ = in_.Below(4);
  section.U32(data_segments_);
  uint64_t bytes = uint64_t{mem_min_} * 65536;
  for (uint32_t i = 0; i < data_segments_; ++i) {
    uint32_t len = in_.Below(17);
    bool active = in_.OneIn(2) && (bytes >= len || in_.OneIn(40));
    if (active) {
      uint64_t offset = bytes >= len ? in_.Below(static_cast<uint32_t>(std::min<uint64_t>(bytes - len + 1, 1u << 20)))
                                     : bytes;
      if (in_.OneIn(3) && bytes >= len) offset = bytes - len;  // at the end
      section.Byte(0x00);
      section.Byte(0x41);
      section.S32(static_cast<int32_t>(offset));
      section.Byte(0x0b);
    } else {
      section.Byte(0x01);
    }
    section.U32(len);
    for (uint32_t k = 0; k < len; ++k) section.Byte(in_.U8());
  }
}

std::vector<uint8_t> Generator::Run() {
  MakeTypes();
  MakeFuncs();
  MakeTablesMemoryGlobals();

  Enc out;
  out.Fixed(0x6d736100, 4);  // \0asm
  out.Fixed(1, 4);

  Enc types;
  types.U32(static_cast<uint32_t>(types_.size()));
  for (const Sig& s : types_) {
    types.Byte(0x60);
    types.U32(static_cast<uint32_t>(s.params.size()));
    for (uint8_t t : s.params) types.Byte(t);
    types.U32(static_cast<uint32_t>(s.results.size()));
    for (uint8_t t : s.results) types.Byte(t);
  }
  out.Section(1, types);

  if (num_imports_ > 0) {
    Enc imports;
    imports.U32(1);
    imports.Name("env");
    imports.Name("host");
    imports.Byte(0x00);
    imports.U32(func_types_[0]);
    out.Section(2, imports);
  }

  Enc funcs;
  funcs.U32(NumFuncs() - num_imports_);
  for (uint32_t f = num_imports_; f < NumFuncs(); ++f) funcs.U32(func_types_[f]);
  out.Section(3, funcs);

  Enc tables;
  tables.U32(2);
  for (size_t i = 0; i < 2; ++i) {
    tables.Byte(table_elem_[i]);
    tables.Byte(0x01);
    tables.U32(table_min_[i]);
    tables.U32(table_max_[i]);
  }
  out.Section(4, tables);

  if (has_memory_) {
    Enc memory;
    memory.U32(1);
    memory.Byte(0x01);
    memory.U32(mem_min_);
    memory.U32(mem_max_);
    out.Section(5, memory);
  }

  Enc globals;
  globals.U32(static_cast<uint32_t>(globals_.size()));
  for (size_t i = 0; i < globals_.size(); ++i) {
    globals.Byte(globals_[i].type);
    globals.Byte(globals_[i].mut ? 1 : 0);
    if (i == 0) {
      globals.Byte(0x41);
      globals.S32(kRefuelAmount);
      globals.Byte(0x0b);
    } else {
      ConstExpr(globals, globals_[i].type);
    }
  }
  out.Section(6, globals);

  // Exports: refuel first (the harness calls exports in order), then every
  // other defined function, the memory, the tables and some globals.
  Enc exports;
  uint32_t nexp = 0;
  Enc list;
  for (uint32_t f = num_imports_; f < NumFuncs(); ++f) {
    list.Name(f == RefuelIndex() ? std::string("refuel") : "f" + std::to_string(f));
    list.Byte(0x00);
    list.U32(f);
    ++nexp;
  }
  if (has_memory_) {
    list.Name("mem");
    list.Byte(0x02);
    list.U32(0);
    ++nexp;
  }
  list.Name("t0");
  list.Byte(0x01);
  list.U32(0);
  ++nexp;
  for (uint32_t g = 1; g < globals_.size(); g += 2) {
    list.Name("g" + std::to_string(g));
    list.Byte(0x03);
    list.U32(g);
    ++nexp;
  }
  exports.U32(nexp);
  exports.Append(list);
  out.Section(7, exports);

  if (start_ >= 0) {
    Enc start;
    start.U32(static_cast<uint32_t>(start_));
    out.Section(8, start);
  }

  Enc elems;
  MakeElems(elems);
  out.Section(9, elems);

  Enc data;
  MakeData(data);  // decides data_segments_, needed by the code
  Enc datacount;
  datacount.U32(data_segments_);
  out.Section(12, datacount);

  Enc code;
  code.U32(NumFuncs() - num_imports_);
  for (uint32_t f = num_imports_; f < NumFuncs(); ++f) {
    std::vector<uint8_t> body = FunctionBody(f, f == RefuelIndex());
    code.U32(static_cast<uint32_t>(body.size()));
    code.b.insert(code.b.end(), body.begin(), body.end());
  }
  out.Section(10, code);
  out.Section(11, data);
  return std::move(out.b);
}

std::vector<uint8_t> Generator::FunctionBody(uint32_t func, bool refuel) {
  const Sig& sig = types_[func_types_[func]];
  locals_ = sig.params;
  reserved_.assign(locals_.size(), false);
  for (uint8_t t : {kI32, kI64, kF32, kF64, kFuncRef, kExternRef}) NewLocal(t, false);
  for (uint32_t i = in_.OneIn(8) ? in_.Below(60) : in_.Below(3); i > 0; --i) NewLocal(ValType(), false);
  code_ = Enc{};
  labels_ = {Label{sig.results}};
  if (refuel) {
    code_.Byte(0x41);
    code_.S32(kRefuelAmount);
    code_.Byte(0x24);
    code_.U32(0);
  } else {
    budget_ = 20 + static_cast<int>(in_.Below(200));
    FuelCheck();
    Stmts(0, 12);
    Values(sig.results, 0);
  }
  code_.Byte(0x0b);

  Enc body;
  size_t declared = locals_.size() - sig.params.size();
  body.U32(static_cast<uint32_t>(declared));
  for (size_t i = sig.params.size(); i < locals_.size(); ++i) {
    body.U32(1);
    body.Byte(locals_[i]);
  }
  body.Append(code_);
  return std::move(body.b);
}

// ---- Function bodies --------------------------------------------------------

uint32_t Generator::NewLocal(uint8_t t, bool reserved) {
  locals_.push_back(t);
  reserved_.push_back(reserved);
  return static_cast<uint32_t>(locals_.size() - 1);
}

bool Generator::Local(uint8_t t, uint32_t* index) {
  std::vector<uint32_t> candidates;
  for (uint32_t i = 0; i < locals_.size(); ++i) {
    if (locals_[i] == t && !reserved_[i]) candidates.push_back(i);
  }
  if (candidates.empty()) return false;
  *index = candidates[in_.Below(static_cast<uint32_t>(candidates.size()))];
  return true;
}

bool Generator::LabelWith(const Types& ts, uint32_t* depth_out) {
  std::vector<uint32_t> candidates;
  for (uint32_t i = 0; i < labels_.size(); ++i) {
    if (labels_[i].types == ts) candidates.push_back(static_cast<uint32_t>(labels_.size()) - 1 - i);
  }
  if (candidates.empty()) return false;
  *depth_out = candidates[in_.Below(static_cast<uint32_t>(candidates.size()))];
  return true;
}

void Generator::FuelCheck() {
  // if (fuel == 0) unreachable; fuel -= 1
  code_.Byte(0x23); code_.U32(0);
  code_.Byte(0x45);
  code_.Byte(0x04); code_.Byte(kEmptyBlock);
  code_.Byte(0x00);
  code_.Byte(0x0b);
  code_.Byte(0x23); code_.U32(0);
  code_.Byte(0x41); code_.S32(1);
  code_.Byte(0x6b);
  code_.Byte(0x24); code_.U32(0);
}

void Generator::Const(uint8_t t) {
  switch (t) {
    case kI32: {
      uint32_t v = 0;
      switch (in_.Below(4)) {
        case 0: v = in_.Below(16); break;
        case 1: v = in_.U32(); break;
        default: v = Pick(in_, kI32Edges); break;
      }
      code_.Byte(0x41);
      code_.S32(static_cast<int32_t>(v));
      break;
    }
    case kI64: {
      uint64_t v = 0;
      switch (in_.Below(4)) {
        case 0: v = in_.Below(16); break;
        case 1: v = in_.U64(); break;
        default: v = Pick(in_, kI64Edges); break;
      }
      code_.Byte(0x42);
      code_.S64(static_cast<int64_t>(v));
      break;
    }
    case kF32:
      code_.Byte(0x43);
      code_.Fixed(in_.OneIn(4) ? in_.U32() : Pick(in_, kF32Edges), 4);
      break;
    case kF64:
      code_.Byte(0x44);
      code_.Fixed(in_.OneIn(4) ? in_.U64() : Pick(in_, kF64Edges), 8);
      break;
    default:
      code_.Byte(0xd0);
      code_.Byte(t);
      break;
  }
}

// An expression of type t (f32 or f64) whose NaNs are replaced by 0:
// x; local.tee s; <0>; local.get s; local.get s; eq; select
void Generator::Denan(uint8_t t, int depth) {
  uint32_t s = NewLocal(t, true);
  Expr(t, depth + 1);
  code_.Byte(0x22); code_.U32(s);
  if (t == kF32) {
    code_.Byte(0x43); code_.Fixed(0, 4);
  } else {
    code_.Byte(0x44); code_.Fixed(0, 8);
  }
  code_.Byte(0x20); code_.U32(s);
  code_.Byte(0x20); code_.U32(s);
  code_.Byte(t == kF32 ? 0x5b : 0x61);
  code_.Byte(0x1b);
}

void Generator::Expr(uint8_t t, int depth) {
  --budget_;
  if (budget_ <= 0 || depth > kMaxDepth) {
    uint32_t l;
    if (!in_.OneIn(3) || !Local(t, &l)) {
      Const(t);
    } else {
      code_.Byte(0x20);
      code_.U32(l);
    }
    return;
  }
  if (IsRef(t)) {
    RefExpr(t, depth);
  } else {
    NumExpr(t, depth);
  }
}

// Mostly in bounds (when the memory has a page), often at its end, rarely
// anywhere.
void Generator::Addr(int depth) {
  switch (in_.Below(14)) {
    case 0: case 6: case 7: code_.Byte(0x41); code_.S32(static_cast<int32_t>(in_.Below(64))); break;
    case 1: code_.Byte(0x41); code_.S32(static_cast<int32_t>(in_.U32())); break;
    case 8: case 9: case 10:  // any expression, masked to 64 KiB
      Expr(kI32, depth + 1);
      code_.Byte(0x41); code_.S32(0xffff);
      code_.Byte(0x71);
      break;
    case 2: code_.Byte(0x41); code_.S32(static_cast<int32_t>(mem_min_ * 65536 - in_.Below(16))); break;
    case 3:  // near the current end: memory.size << 16 - k
      code_.Byte(0x3f); code_.Byte(0x00);
      code_.Byte(0x41); code_.S32(16);
      code_.Byte(0x74);
      code_.Byte(0x41); code_.S32(static_cast<int32_t>(in_.Below(20)));
      code_.Byte(0x6b);
      break;
    case 4: code_.Byte(0x41); code_.S32(static_cast<int32_t>(in_.Below(1024))); break;
    case 5: code_.Byte(0x41); code_.S32(static_cast<int32_t>(65536 * (1 + in_.Below(4)) - in_.Below(9))); break;
    case 11: Expr(kI32, depth + 1); break;
    default: code_.Byte(0x41); code_.S32(static_cast<int32_t>(in_.Below(256))); break;
  }
}

void Generator::MemArg(uint8_t max_align) {
  code_.U32(in_.Below(max_align + 1u));
  uint32_t offset = 0;
  switch (in_.Below(16)) {
    case 12: case 13: offset = in_.Below(32); break;
    case 14: offset = 65536 - in_.Below(9); break;
    case 15: offset = in_.OneIn(2) ? 0xffffffffu - in_.Below(8) : in_.U32(); break;
    default: break;
  }
  code_.U32(offset);
}

void Generator::Length(int depth) {
  switch (in_.Below(5)) {
    case 0: code_.Byte(0x41); code_.S32(static_cast<int32_t>(in_.Below(16))); break;
    case 1: code_.Byte(0x41); code_.S32(static_cast<int32_t>(in_.Below(70000))); break;
    case 2: Expr(kI32, depth + 1); break;
    case 3: code_.Byte(0x41); code_.S32(0); break;
    default: code_.Byte(0x41); code_.S32(static_cast<int32_t>(in_.Below(4))); break;
  }
}

void Generator::TableIndex(uint32_t table, int depth) {
  switch (in_.Below(6)) {
    case 0: Expr(kI32, depth + 1); break;
    case 1:  // possibly past the end
      code_.Byte(0x41);
      code_.S32(static_cast<int32_t>(in_.Below(table_max_[table] + 3)));
      break;
    default:  // within the initial size
      code_.Byte(0x41);
      code_.S32(static_cast<int32_t>(in_.Below(std::max<uint32_t>(table_min_[table], 1))));
      break;
  }
}

void Generator::Load(uint8_t t, int depth) {
  std::vector<const MemOp*> ops;
  for (const MemOp& op : kLoads) {
    if (op.type == t) ops.push_back(&op);
  }
  const MemOp& op = *ops[in_.Below(static_cast<uint32_t>(ops.size()))];
  Addr(depth);
  code_.Byte(op.op);
  MemArg(op.max_align);
}

void Generator::Store(int depth) {
  const MemOp& op = Pick(in_, kStores);
  Addr(depth);
  if (op.type == kF32 || op.type == kF64) {
    Denan(op.type, depth);
  } else {
    Expr(op.type, depth + 1);
  }
  code_.Byte(op.op);
  MemArg(op.max_align);
}

bool Generator::CallReturning(uint8_t t, int depth) {
  std::vector<uint32_t> candidates;
  for (uint32_t f = 0; f < NumFuncs(); ++f) {
    if (f == RefuelIndex()) continue;
    const Sig& s = types_[func_types_[f]];
    if (s.results.size() == 1 && s.results[0] == t) candidates.push_back(f);
  }
  if (candidates.empty()) return false;
  uint32_t f = candidates[in_.Below(static_cast<uint32_t>(candidates.size()))];
  Values(types_[func_types_[f]].params, depth + 1);
  code_.Byte(0x10);
  code_.U32(f);
  return true;
}

void Generator::CallAny(int depth) {
  uint32_t f = CallableFunc();
  const Sig& s = types_[func_types_[f]];
  Values(s.params, depth + 1);
  code_.Byte(0x10);
  code_.U32(f);
  for (size_t i = 0; i < s.results.size(); ++i) code_.Byte(0x1a);
}

void Generator::CallIndirect(uint32_t type, int depth) {
  Values(types_[type].params, depth + 1);
  uint32_t table = table_elem_[1] == kFuncRef && in_.OneIn(3) ? 1 : 0;
  TableIndex(table, depth);
  code_.Byte(0x11);
  code_.U32(type);
  code_.U32(table);
}

void Generator::Branch(int depth) {
  switch (in_.Below(8)) {
    case 0: {  // br
      uint32_t l = in_.Below(static_cast<uint32_t>(labels_.size()));
      Values(labels_[labels_.size() - 1 - l].types, depth + 1);
      code_.Byte(0x0c);
      code_.U32(l);
      break;
    }
    case 1: {  // br_table over labels of the same types
      uint32_t def = in_.Below(static_cast<uint32_t>(labels_.size()));
      const Types ts = labels_[labels_.size() - 1 - def].types;
      std::vector<uint32_t> same;
      for (uint32_t i = 0; i < labels_.size(); ++i) {
        if (labels_[labels_.size() - 1 - i].types == ts) same.push_back(i);
      }
      Values(ts, depth + 1);
      if (in_.OneIn(2)) {
        code_.Byte(0x41);
        code_.S32(static_cast<int32_t>(in_.Below(6)));
      } else {
        Expr(kI32, depth + 1);
      }
      uint32_t n = in_.OneIn(8) ? in_.Below(40) : in_.Below(5);
      code_.Byte(0x0e);
      code_.U32(n);
      for (uint32_t i = 0; i < n; ++i) code_.U32(same[in_.Below(static_cast<uint32_t>(same.size()))]);
      code_.U32(def);
      break;
    }
    case 2: case 3: case 4: case 5: case 6:  // return
      Values(labels_[0].types, depth + 1);
      code_.Byte(0x0f);
      break;
    default: code_.Byte(0x00); break;  // unreachable
  }
}

void Generator::NumExpr(uint8_t t, int depth) {
  switch (in_.Below(24)) {
    case 0: Const(t); return;
    case 1: case 2: {
      uint32_t l;
      if (Local(t, &l)) {
        code_.Byte(0x20);
        code_.U32(l);
      } else {
        Const(t);
      }
      return;
    }
    case 3: {
      std::vector<uint32_t> gs;
      for (uint32_t g = 1; g < globals_.size(); ++g) {
        if (globals_[g].type == t) gs.push_back(g);
      }
      if (gs.empty()) break;
      code_.Byte(0x23);
      code_.U32(gs[in_.Below(static_cast<uint32_t>(gs.size()))]);
      return;
    }
    case 4: {  // unary
      Expr(t, depth + 1);
      switch (t) {
        case kI32: code_.Byte(in_.OneIn(3) ? static_cast<uint8_t>(0xc0 + in_.Below(2))
                                          : static_cast<uint8_t>(0x67 + in_.Below(3))); break;
        case kI64: code_.Byte(in_.OneIn(2) ? static_cast<uint8_t>(0xc2 + in_.Below(3))
                                          : static_cast<uint8_t>(0x79 + in_.Below(3))); break;
        case kF32: code_.Byte(static_cast<uint8_t>(0x8b + in_.Below(7))); break;
        default: code_.Byte(static_cast<uint8_t>(0x99 + in_.Below(7))); break;
      }
      return;
    }
    case 5: case 6: case 7: {  // binary
      uint8_t op = 0;
      switch (t) {
        case kI32: op = static_cast<uint8_t>(0x6a + in_.Below(15)); break;
        case kI64: op = static_cast<uint8_t>(0x7c + in_.Below(15)); break;
        case kF32: op = static_cast<uint8_t>(0x92 + in_.Below(7)); break;
        default: op = static_cast<uint8_t>(0xa0 + in_.Below(7)); break;
      }
      Expr(t, depth + 1);
      if (op == 0x98 || op == 0xa6) {
        Denan(t, depth);  // copysign: the sign of a NaN is not determined
      } else {
        Expr(t, depth + 1);
      }
      code_.Byte(op);
      return;
    }
    case 8: {  // comparison
      if (t != kI32) break;
      uint8_t from = NumType();
      bool unary = in_.OneIn(5) && (from == kI32 || from == kI64);
      Expr(from, depth + 1);
      if (unary) {
        code_.Byte(from == kI32 ? 0x45 : 0x50);
        return;
      }
      Expr(from, depth + 1);
      switch (from) {
        case kI32: code_.Byte(static_cast<uint8_t>(0x46 + in_.Below(10))); break;
        case kI64: code_.Byte(static_cast<uint8_t>(0x51 + in_.Below(10))); break;
        case kF32: code_.Byte(static_cast<uint8_t>(0x5b + in_.Below(6))); break;
        default: code_.Byte(static_cast<uint8_t>(0x61 + in_.Below(6))); break;
      }
      return;
    }
    case 9: case 10: {  // conversion
      std::vector<const Conv*> convs;
      for (const Conv& c : kConvs) {
        if (c.to == t) convs.push_back(&c);
      }
      const Conv& c = *convs[in_.Below(static_cast<uint32_t>(convs.size()))];
      if (c.denan) {
        Denan(c.from, depth);
      } else if (!IsRef(c.from) && (c.from == kF32 || c.from == kF64) && in_.OneIn(2)) {
        Const(c.from);  // edge values matter most for truncation
      } else {
        Expr(c.from, depth + 1);
      }
      if (c.fc) {
        code_.Byte(kPrefixFC);
        code_.U32(c.op);
      } else {
        code_.Byte(c.op);
      }
      return;
    }
    case 11:
      if (!has_memory_) break;
      Load(t, depth);
      return;
    case 12: case 13: {  // block or if with a result
      bool is_if = in_.OneIn(2);
      if (is_if) Expr(kI32, depth + 1);
      code_.Byte(is_if ? 0x04 : 0x02);
      BlockType(t);
      labels_.push_back({{t}});
      Stmts(depth + 1, 3);
      Expr(t, depth + 1);
      if (is_if) {
        code_.Byte(0x05);
        Stmts(depth + 1, 3);
        Expr(t, depth + 1);
      }
      labels_.pop_back();
      code_.Byte(0x0b);
      return;
    }
    case 14: {  // loop with a result, bounded by its own counter and the fuel
      uint32_t counter = NewLocal(kI32, true);
      code_.Byte(0x41); code_.S32(0);
      code_.Byte(0x21); code_.U32(counter);
      code_.Byte(0x03);
      BlockType(t);
      labels_.push_back({{}});
      FuelCheck();
      Stmts(depth + 1, 4);
      code_.Byte(0x20); code_.U32(counter);
      code_.Byte(0x41); code_.S32(1);
      code_.Byte(0x6a);
      code_.Byte(0x22); code_.U32(counter);
      code_.Byte(0x41); code_.S32(static_cast<int32_t>(1 + in_.Below(6)));
      code_.Byte(0x49);
      code_.Byte(0x0d); code_.U32(0);
      Expr(t, depth + 1);
      labels_.pop_back();
      code_.Byte(0x0b);
      return;
    }
    case 15:
      if (!CallReturning(t, depth)) break;
      return;
    case 16: {  // call_indirect through a type returning t
      std::vector<uint32_t> ts;
      for (uint32_t k = 0; k < types_.size(); ++k) {
        if (types_[k].results.size() == 1 && types_[k].results[0] == t) ts.push_back(k);
      }
      if (ts.empty()) break;
      CallIndirect(ts[in_.Below(static_cast<uint32_t>(ts.size()))], depth);
      return;
    }
    case 17: {  // select, plain or typed
      Expr(t, depth + 1);
      Expr(t, depth + 1);
      Expr(kI32, depth + 1);
      if (in_.OneIn(2)) {
        code_.Byte(0x1c);
        code_.U32(1);
        code_.Byte(t);
      } else {
        code_.Byte(0x1b);
      }
      return;
    }
    case 18: {  // br_if carrying a t
      uint32_t l;
      if (LabelWith({t}, &l)) {
        Expr(t, depth + 1);
        Expr(kI32, depth + 1);
        code_.Byte(0x0d);
        code_.U32(l);
        return;
      }
      code_.Byte(0x02);
      BlockType(t);
      labels_.push_back({{t}});
      Expr(t, depth + 1);
      Expr(kI32, depth + 1);
      code_.Byte(0x0d);
      code_.U32(0);
      labels_.pop_back();
      code_.Byte(0x0b);
      return;
    }
    case 19: {  // local.tee
      uint32_t l;
      if (!Local(t, &l)) break;
      Expr(t, depth + 1);
      code_.Byte(0x22);
      code_.U32(l);
      return;
    }
    case 20: {  // i32 from memory, tables and references
      if (t != kI32) break;
      switch (in_.Below(5)) {
        case 0:
          if (!has_memory_) break;
          code_.Byte(0x3f); code_.Byte(0x00);
          return;
        case 1:
          if (!has_memory_) break;
          if (in_.OneIn(3)) {
            Expr(kI32, depth + 1);
          } else {
            code_.Byte(0x41);
            code_.S32(static_cast<int32_t>(in_.Below(3)));
          }
          code_.Byte(0x40); code_.Byte(0x00);
          return;
        case 2: {
          uint32_t x = in_.Below(2);
          code_.Byte(kPrefixFC); code_.U32(16); code_.U32(x);
          return;
        }
        case 3: {
          uint32_t x = in_.Below(2);
          Expr(table_elem_[x], depth + 1);
          Length(depth);
          code_.Byte(kPrefixFC); code_.U32(15); code_.U32(x);
          return;
        }
        default:
          Expr(in_.OneIn(3) ? kExternRef : kFuncRef, depth + 1);
          code_.Byte(0xd1);
          return;
      }
      break;
    }
    case 21:
      if (!in_.OneIn(3)) break;
      Branch(depth);  // the stack is polymorphic after it: any t is fine
      return;
    default: break;
  }
  Const(t);
}

void Generator::RefExpr(uint8_t t, int depth) {
  switch (in_.Below(9)) {
    case 1: {
      uint32_t l;
      if (!Local(t, &l)) break;
      code_.Byte(0x20);
      code_.U32(l);
      return;
    }
    case 2:
      if (t != kFuncRef) break;
      code_.Byte(0xd2);
      code_.U32(CallableFunc());
      return;
    case 3: {
      std::vector<uint32_t> gs;
      for (uint32_t g = 1; g < globals_.size(); ++g) {
        if (globals_[g].type == t) gs.push_back(g);
      }
      if (gs.empty()) break;
      code_.Byte(0x23);
      code_.U32(gs[in_.Below(static_cast<uint32_t>(gs.size()))]);
      return;
    }
    case 4: {
      uint32_t x = table_elem_[0] == t ? 0 : 1;
      if (table_elem_[x] != t) break;
      if (x == 0 && table_elem_[1] == t && in_.OneIn(2)) x = 1;
      TableIndex(x, depth);
      code_.Byte(0x25);
      code_.U32(x);
      return;
    }
    case 5:
      Expr(t, depth + 1);
      Expr(t, depth + 1);
      Expr(kI32, depth + 1);
      code_.Byte(0x1c);
      code_.U32(1);
      code_.Byte(t);
      return;
    case 6: {
      bool is_if = in_.OneIn(2);
      if (is_if) Expr(kI32, depth + 1);
      code_.Byte(is_if ? 0x04 : 0x02);
      BlockType(t);
      labels_.push_back({{t}});
      Stmts(depth + 1, 2);
      Expr(t, depth + 1);
      if (is_if) {
        code_.Byte(0x05);
        Expr(t, depth + 1);
      }
      labels_.pop_back();
      code_.Byte(0x0b);
      return;
    }
    case 7:
      if (!CallReturning(t, depth)) break;
      return;
    default: break;
  }
  code_.Byte(0xd0);
  code_.Byte(t);
}

void Generator::Stmts(int depth, uint32_t max) {
  for (uint32_t n = in_.Below(max + 1); n > 0 && budget_ > 0; --n) Stmt(depth);
}

void Generator::Bulk(int depth) {
  switch (in_.Below(4)) {
    case 0:  // memory.fill d v n
      Addr(depth);
      Expr(kI32, depth + 1);
      Length(depth);
      code_.Byte(kPrefixFC); code_.U32(11); code_.Byte(0x00);
      return;
    case 1:  // memory.copy d s n
      Addr(depth);
      Addr(depth);
      Length(depth);
      code_.Byte(kPrefixFC); code_.U32(10); code_.Byte(0x00); code_.Byte(0x00);
      return;
    case 2:  // memory.init
      if (data_segments_ == 0) break;
      Addr(depth);
      Length(depth);
      Length(depth);
      code_.Byte(kPrefixFC); code_.U32(8); code_.U32(in_.Below(data_segments_)); code_.Byte(0x00);
      return;
    default:
      if (data_segments_ == 0) break;
      code_.Byte(kPrefixFC); code_.U32(9); code_.U32(in_.Below(data_segments_));
      return;
  }
  // memory.grow, dropped
  Expr(kI32, depth + 1);
  code_.Byte(0x40); code_.Byte(0x00);
  code_.Byte(0x1a);
}

void Generator::TableOp(int depth) {
  uint32_t x = in_.Below(2);
  uint8_t t = table_elem_[x];
  switch (in_.Below(7)) {
    case 0:  // table.set
      TableIndex(x, depth);
      Expr(t, depth + 1);
      code_.Byte(0x26); code_.U32(x);
      return;
    case 1:  // table.fill i r n
      TableIndex(x, depth);
      Expr(t, depth + 1);
      Length(depth);
      code_.Byte(kPrefixFC); code_.U32(17); code_.U32(x);
      return;
    case 2: {  // table.copy between tables of the same type
      uint32_t y = table_elem_[1 - x] == t && in_.OneIn(2) ? 1 - x : x;
      TableIndex(x, depth);
      TableIndex(y, depth);
      Length(depth);
      code_.Byte(kPrefixFC); code_.U32(14); code_.U32(x); code_.U32(y);
      return;
    }
    case 3: {  // table.init from a segment of the same type
      std::vector<uint32_t> segs;
      for (uint32_t s = 0; s < elem_types_.size(); ++s) {
        if (elem_types_[s] == t) segs.push_back(s);
      }
      if (segs.empty()) break;
      TableIndex(x, depth);
      Length(depth);
      Length(depth);
      code_.Byte(kPrefixFC); code_.U32(12);
      code_.U32(segs[in_.Below(static_cast<uint32_t>(segs.size()))]);
      code_.U32(x);
      return;
    }
    case 4:  // elem.drop
      code_.Byte(kPrefixFC); code_.U32(13);
      code_.U32(in_.Below(static_cast<uint32_t>(elem_types_.size())));
      return;
    default: break;
  }
  // table.grow, dropped
  Expr(t, depth + 1);
  Length(depth);
  code_.Byte(kPrefixFC); code_.U32(15); code_.U32(x);
  code_.Byte(0x1a);
}

// A block, loop or if typed by a function type, so with parameters: they are
// pushed before it and dropped inside; a loop's back edge carries new ones.
// The results are dropped after it.
void Generator::TypedBlock(int depth) {
  uint32_t type = in_.Below(static_cast<uint32_t>(types_.size()));
  const Types params = types_[type].params;
  const Types results = types_[type].results;
  uint32_t kind = in_.Below(3);  // block, loop, if
  uint32_t counter = 0;
  if (kind == 1) {
    counter = NewLocal(kI32, true);
    code_.Byte(0x41); code_.S32(0);
    code_.Byte(0x21); code_.U32(counter);
  }
  Values(params, depth + 1);
  if (kind == 2) Expr(kI32, depth + 1);
  code_.Byte(kind == 0 ? 0x02 : kind == 1 ? 0x03 : 0x04);
  code_.S32(static_cast<int32_t>(type));
  labels_.push_back({kind == 1 ? params : results});
  for (int arm = 0; arm < (kind == 2 ? 2 : 1); ++arm) {
    if (arm == 1) code_.Byte(0x05);
    for (size_t i = 0; i < params.size(); ++i) code_.Byte(0x1a);
    if (kind == 1) FuelCheck();
    Stmts(depth + 1, 3);
    if (kind == 1) {
      Values(params, depth + 1);
      code_.Byte(0x20); code_.U32(counter);
      code_.Byte(0x41); code_.S32(1);
      code_.Byte(0x6a);
      code_.Byte(0x22); code_.U32(counter);
      code_.Byte(0x41); code_.S32(static_cast<int32_t>(1 + in_.Below(5)));
      code_.Byte(0x49);
      code_.Byte(0x0d); code_.U32(0);
      for (size_t i = 0; i < params.size(); ++i) code_.Byte(0x1a);
    }
    Values(results, depth + 1);
  }
  labels_.pop_back();
  code_.Byte(0x0b);
  for (size_t i = 0; i < results.size(); ++i) code_.Byte(0x1a);
}

void Generator::Stmt(int depth) {
  --budget_;
  if (depth > kMaxDepth) return;
  switch (in_.Below(20)) {
    case 0: case 1: {  // local.set
      uint8_t t = ValType();
      uint32_t l;
      if (!Local(t, &l)) return;
      Expr(t, depth + 1);
      code_.Byte(0x21);
      code_.U32(l);
      return;
    }
    case 2: {  // global.set (not the fuel)
      std::vector<uint32_t> gs;
      for (uint32_t g = 1; g < globals_.size(); ++g) {
        if (globals_[g].mut) gs.push_back(g);
      }
      if (gs.empty()) return;
      uint32_t g = gs[in_.Below(static_cast<uint32_t>(gs.size()))];
      Expr(globals_[g].type, depth + 1);
      code_.Byte(0x24);
      code_.U32(g);
      return;
    }
    case 3: case 4:
      if (has_memory_) Store(depth);
      return;
    case 5:  // drop
      Expr(ValType(), depth + 1);
      code_.Byte(0x1a);
      return;
    case 6: {  // if without a result
      Expr(kI32, depth + 1);
      code_.Byte(0x04);
      code_.Byte(kEmptyBlock);
      labels_.push_back({{}});
      Stmts(depth + 1, 3);
      if (in_.OneIn(2)) {
        code_.Byte(0x05);
        Stmts(depth + 1, 3);
      }
      labels_.pop_back();
      code_.Byte(0x0b);
      return;
    }
    case 7:  // block without a result
      code_.Byte(0x02);
      code_.Byte(kEmptyBlock);
      labels_.push_back({{}});
      Stmts(depth + 1, 4);
      labels_.pop_back();
      code_.Byte(0x0b);
      return;
    case 8: {  // loop without a result
      uint32_t counter = NewLocal(kI32, true);
      code_.Byte(0x41); code_.S32(0);
      code_.Byte(0x21); code_.U32(counter);
      code_.Byte(0x03);
      code_.Byte(kEmptyBlock);
      labels_.push_back({{}});
      FuelCheck();
      Stmts(depth + 1, 4);
      code_.Byte(0x20); code_.U32(counter);
      code_.Byte(0x41); code_.S32(1);
      code_.Byte(0x6a);
      code_.Byte(0x22); code_.U32(counter);
      code_.Byte(0x41); code_.S32(static_cast<int32_t>(1 + in_.Below(8)));
      code_.Byte(0x49);
      code_.Byte(0x0d); code_.U32(0);
      labels_.pop_back();
      code_.Byte(0x0b);
      return;
    }
    case 9: case 10:
      CallAny(depth);
      return;
    case 11: {  // call_indirect through any type, results dropped
      uint32_t type = in_.Below(static_cast<uint32_t>(types_.size()));
      CallIndirect(type, depth);
      for (size_t i = 0; i < types_[type].results.size(); ++i) code_.Byte(0x1a);
      return;
    }
    case 12:
      if (has_memory_) Bulk(depth);
      return;
    case 13: case 14:
      TableOp(depth);
      return;
    case 15: {  // br_if to any label, carried values dropped if not taken
      uint32_t l = in_.Below(static_cast<uint32_t>(labels_.size()));
      const Types ts = labels_[labels_.size() - 1 - l].types;
      Values(ts, depth + 1);
      Expr(kI32, depth + 1);
      code_.Byte(0x0d);
      code_.U32(l);
      for (size_t i = 0; i < ts.size(); ++i) code_.Byte(0x1a);
      return;
    }
    case 16: {  // multi-value block, results dropped
      uint32_t type = multi_types_[in_.Below(static_cast<uint32_t>(multi_types_.size()))];
      code_.Byte(0x02);
      code_.S32(static_cast<int32_t>(type));
      labels_.push_back({types_[type].results});
      Stmts(depth + 1, 2);
      Values(types_[type].results, depth + 1);
      labels_.pop_back();
      code_.Byte(0x0b);
      for (size_t i = 0; i < types_[type].results.size(); ++i) code_.Byte(0x1a);
      return;
    }
    case 17:
      if (in_.OneIn(4)) Branch(depth);
      return;
    case 18:
      TypedBlock(depth);
      return;
    default: return;
  }
}

}  // namespace

std::vector<uint8_t> GenerateModule(const uint8_t* data, size_t size) {
  return Generator(data, size).Run();
}

}  // namespace deja::fuzz
