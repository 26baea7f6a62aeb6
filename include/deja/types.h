// WebAssembly types and values as the embedding API sees them.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace deja {

// Encoded as in the binary format.
enum class ValType : uint8_t {
  kI32 = 0x7f,
  kI64 = 0x7e,
  kF32 = 0x7d,
  kF64 = 0x7c,
  kV128 = 0x7b,
  kFuncRef = 0x70,
  kExternRef = 0x6f,
};

const char* ValTypeName(ValType t);  // "i32", "funcref", ...
inline bool IsRefType(ValType t) { return t == ValType::kFuncRef || t == ValType::kExternRef; }

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
  std::string ToString() const;  // "(i32 i32) -> (i64)"
};

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool operator==(const Limits&) const = default;
};

struct TableType {
  ValType elem = ValType::kFuncRef;
  Limits limits;
  bool operator==(const TableType&) const = default;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
  bool operator==(const MemoryType&) const = default;
};

struct GlobalType {
  ValType type = ValType::kI32;
  bool mut = false;
  bool operator==(const GlobalType&) const = default;
};

enum class ExternKind : uint8_t { kFunc = 0, kTable = 1, kMemory = 2, kGlobal = 3, kTag = 4 };
const char* ExternKindName(ExternKind k);

// A reference as stored in a value slot: 0 is null. A funcref is
// (store function address + 1); an externref is (embedder payload + 1).
// Being plain integers, references serialize like any other value.
using RefBits = uint64_t;
inline constexpr RefBits kNullRef = 0;

// A typed value. Numbers are kept as raw bits so NaN payloads survive;
// v128 uses both words (room reserved for the SIMD proposal).
struct Value {
  ValType type = ValType::kI32;
  uint64_t lo = 0;
  uint64_t hi = 0;

  static Value I32(uint32_t v) { return {ValType::kI32, v, 0}; }
  static Value I64(uint64_t v) { return {ValType::kI64, v, 0}; }
  static Value F32Bits(uint32_t bits) { return {ValType::kF32, bits, 0}; }
  static Value F64Bits(uint64_t bits) { return {ValType::kF64, bits, 0}; }
  static Value F32(float f) { uint32_t b; std::memcpy(&b, &f, 4); return F32Bits(b); }
  static Value F64(double d) { uint64_t b; std::memcpy(&b, &d, 8); return F64Bits(b); }
  static Value NullRef(ValType t) { return {t, kNullRef, 0}; }
  // `payload` must be < UINT64_MAX.
  static Value Extern(uint64_t payload) { return {ValType::kExternRef, payload + 1, 0}; }

  uint32_t i32() const { return static_cast<uint32_t>(lo); }
  uint64_t i64() const { return lo; }
  float f32() const { float f; uint32_t b = i32(); std::memcpy(&f, &b, 4); return f; }
  double f64() const { double d; std::memcpy(&d, &lo, 8); return d; }
  bool is_null() const { return lo == kNullRef; }
  uint64_t extern_payload() const { return lo - 1; }  // requires !is_null()

  bool operator==(const Value&) const = default;
  std::string ToString() const;  // "i32:42", "f64:1.5", "funcref:null", ...
};

}  // namespace deja
