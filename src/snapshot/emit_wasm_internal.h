// Internal to EmitInitializedWasm (emit_wasm.h): the pieces of a binary
// module the rewriter reads and writes (a bounds-checked cursor, LEB128
// writers, constant expressions, limits), what it knows of the instance,
// and the state half of the rewrite (emit_wasm_state.cc).
#pragma once

#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "deja/store.h"
#include "engine/decode/leb128.h"

namespace deja::snapshot::emit {

using Bytes = std::vector<u8>;

inline constexpr u8 kSecCustom = 0, kSecImport = 2, kSecFunction = 3, kSecTable = 4, kSecMemory = 5,
                    kSecGlobal = 6, kSecExport = 7, kSecStart = 8, kSecElement = 9, kSecCode = 10,
                    kSecData = 11, kSecDataCount = 12;
inline constexpr u8 kEnd = 0x0b, kI32Const = 0x41, kI64Const = 0x42, kF32Const = 0x43,
                    kF64Const = 0x44, kGlobalGet = 0x23, kRefNull = 0xd0, kRefFunc = 0xd2;

// Where a section goes among the others (the data count section sits
// between elements and code); custom sections have none.
inline int Rank(u8 id) {
  switch (id) {
    case kSecDataCount:
      return 10;
    case kSecCode:
      return 11;
    case kSecData:
      return 12;
    default:
      return id;
  }
}

class Cursor {
 public:
  explicit Cursor(std::span<const u8> bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  bool done() const { return pos_ >= bytes_.size(); }
  // Everything read since `start`.
  std::span<const u8> Since(size_t start) const { return bytes_.subspan(start, pos_ - start); }
  std::span<const u8> Rest() const { return bytes_.subspan(pos_); }

  bool Byte(u8* out) {
    if (done()) return false;
    *out = bytes_[pos_++];
    return true;
  }
  bool U32(u32* out) {
    u64 v = 0;
    if (engine::ReadUleb<32>(bytes_, &pos_, &v) != engine::LebError::kNone) return false;
    *out = static_cast<u32>(v);
    return true;
  }
  bool Skip(u64 n) {
    if (n > bytes_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  bool SkipLeb() {  // any LEB128, at most 10 bytes
    for (int i = 0; i < 10; ++i) {
      u8 b = 0;
      if (!Byte(&b)) return false;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool SkipName() {
    u32 n = 0;
    return U32(&n) && Skip(n);
  }
  // A constant expression of WebAssembly 2.0, through its `end`.
  bool SkipConstExpr() {
    for (;;) {
      u8 op = 0;
      if (!Byte(&op)) return false;
      switch (op) {
        case kEnd:
          return true;
        case kI32Const:
        case kI64Const:
        case kGlobalGet:
        case kRefFunc:
          if (!SkipLeb()) return false;
          break;
        case kF32Const:
          if (!Skip(4)) return false;
          break;
        case kF64Const:
          if (!Skip(8)) return false;
          break;
        case kRefNull:
          if (!Skip(1)) return false;
          break;
        default:
          return false;
      }
    }
  }
  // Limits: returns the flags byte (0: min only, 1: min and max).
  bool Limits(u8* flags, u64* min, u64* max) {
    u32 lo = 0, hi = 0;
    if (!Byte(flags) || *flags > 1 || !U32(&lo)) return false;
    if (*flags == 1 && !U32(&hi)) return false;
    *min = lo;
    *max = hi;
    return true;
  }

 private:
  std::span<const u8> bytes_;
  size_t pos_ = 0;
};

inline void PutU32(Bytes* out, u64 v) {
  do {
    u8 b = v & 0x7f;
    v >>= 7;
    out->push_back(v != 0 ? (b | 0x80) : b);
  } while (v != 0);
}

inline void PutS64(Bytes* out, i64 v) {
  for (;;) {
    u8 b = v & 0x7f;
    v >>= 7;  // arithmetic: keeps the sign
    bool last = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
    out->push_back(last ? b : (b | 0x80));
    if (last) return;
  }
}

inline void PutRaw(Bytes* out, std::span<const u8> bytes) {
  out->insert(out->end(), bytes.begin(), bytes.end());
}

inline void PutLimits(Bytes* out, u8 flags, u64 min, u64 max) {
  out->push_back(flags);
  PutU32(out, min);
  if (flags == 1) PutU32(out, max);
}

inline void PutI32Offset(Bytes* out, u64 offset) {  // i32.const OFFSET end
  out->push_back(kI32Const);
  PutS64(out, static_cast<i32>(static_cast<u32>(offset)));
  out->push_back(kEnd);
}

struct Section {
  u8 id = 0;
  std::span<const u8> body;
};

struct Context {
  Store* store = nullptr;
  Store::InstanceObjects objects;
  std::unordered_map<u32, u32> func_index;  // store address -> function index
  u32 imported_funcs = 0, imported_tables = 0, imported_memories = 0;
  std::vector<u32> func_types;                 // type index of each function, imports first
  std::vector<Bytes> baked_elems, baked_data;  // encoded segments, appended
};

// kMalformed: "cannot read the module's <section> section, or it does not
// match the instance".
Status Mismatch(const char* section);

// emit_wasm_state.cc. Counts imports by kind (refusing imported tables and
// memories) and learns every function's type index and store address.
Status ReadImportsAndFunctions(std::span<const Section> sections, Context* cx);
// Each defined memory's non-zero bytes / table's non-null elements as active
// segments, into cx->baked_data / cx->baked_elems.
Status BakeMemories(Context* cx);
Status BakeTables(Context* cx);
// The table or memory section with each minimum set to the current size.
Result<Bytes> RewriteLimits(const Section& s, const Context& cx);
// The global section with each initializer set to the current value.
Result<Bytes> RewriteGlobals(const Section& s, const Context& cx);

}  // namespace deja::snapshot::emit
