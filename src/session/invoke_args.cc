#include "session/invoke_args.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "base/types.h"

namespace deja::session {
namespace {

Status BadValue(ValType type, std::string_view text) {
  return Status::InvalidArgument("\"" + std::string(text) + "\" is not a valid " +
                                 ValTypeName(type));
}

// Parses an unsigned number in decimal or 0x hex; the whole text must be used.
bool ParseUnsigned(std::string_view text, u64* out) {
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

// An integer of `bits` bits: unsigned up to 2^bits - 1, or negative down to -2^(bits-1).
Result<u64> ParseInteger(ValType type, std::string_view text, int bits) {
  bool negative = text.starts_with('-');
  u64 magnitude = 0;
  if (!ParseUnsigned(negative ? text.substr(1) : text, &magnitude)) return BadValue(type, text);
  u64 max = bits == 64 ? ~u64{0} : (u64{1} << bits) - 1;
  u64 max_negative = u64{1} << (bits - 1);
  if (negative ? magnitude > max_negative : magnitude > max) {
    return Status::InvalidArgument("\"" + std::string(text) + "\" is out of range for " +
                                   ValTypeName(type));
  }
  u64 value = negative ? ~magnitude + 1 : magnitude;
  return bits == 64 ? value : value & max;
}

// How a float's bits are laid out, for printing NaNs.
struct FloatLayout {
  u64 sign;
  u64 fraction;       // the payload bits
  u64 canonical_nan;  // exponent all ones, quiet bit only
  int hex_digits;     // of a full payload
};
constexpr FloatLayout kF32Layout = {0x8000'0000ull, 0x7f'ffffull, 0x7fc0'0000ull, 6};
constexpr FloatLayout kF64Layout = {0x8000'0000'0000'0000ull, 0xf'ffff'ffff'ffffull,
                                    0x7ff8'0000'0000'0000ull, 13};

// "nan:0x..." with an explicit payload, or a number strtod understands.
Result<Value> ParseFloat(ValType type, std::string_view text) {
  bool f32 = type == ValType::kF32;
  std::string s(text);
  bool negative = !s.empty() && s[0] == '-';
  std::string_view unsigned_text = std::string_view(s).substr(negative || s[0] == '+' ? 1 : 0);
  if (unsigned_text.starts_with("nan:")) {
    u64 payload = 0;
    const FloatLayout& layout = f32 ? kF32Layout : kF64Layout;
    if (!ParseUnsigned(unsigned_text.substr(4), &payload) || payload == 0 ||
        payload > layout.fraction) {
      return BadValue(type, text);
    }
    u64 exponent = layout.canonical_nan & ~layout.fraction;  // all ones
    u64 bits = (negative ? layout.sign : 0) | exponent | payload;
    return f32 ? Value::F32Bits(static_cast<u32>(bits)) : Value::F64Bits(bits);
  }
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return BadValue(type, text);
  char* end = nullptr;
  Value v =
      f32 ? Value::F32(std::strtof(s.c_str(), &end)) : Value::F64(std::strtod(s.c_str(), &end));
  if (end != s.c_str() + s.size()) return BadValue(type, text);
  return v;
}

Result<Value> ParseRef(ValType type, std::string_view text) {
  if (text == "null") return Value::NullRef(type);
  u64 payload = 0;
  if (type == ValType::kExternRef && ParseUnsigned(text, &payload) && payload != ~u64{0}) {
    return Value::Extern(payload);
  }
  return BadValue(type, text);
}

template <typename Float>
std::string FormatFloat(Float f, u64 bits, const FloatLayout& layout) {
  if (std::isnan(f)) {
    std::string sign = (bits & layout.sign) ? "-" : "";
    if ((bits & ~layout.sign) == layout.canonical_nan) return sign + "nan";
    char hex[32];
    std::snprintf(hex, sizeof hex, "nan:0x%0*llx", layout.hex_digits,
                  static_cast<unsigned long long>(bits & layout.fraction));
    return sign + hex;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  return ec == std::errc() ? std::string(buf, end) : "?";
}

}  // namespace

Result<Value> ParseValue(ValType type, std::string_view text) {
  switch (type) {
    case ValType::kI32: {
      DEJA_ASSIGN_OR_RETURN(u64 v, ParseInteger(type, text, 32));
      return Value::I32(static_cast<u32>(v));
    }
    case ValType::kI64: {
      DEJA_ASSIGN_OR_RETURN(u64 v, ParseInteger(type, text, 64));
      return Value::I64(v);
    }
    case ValType::kF32:
    case ValType::kF64:
      return ParseFloat(type, text);
    case ValType::kFuncRef:
    case ValType::kExternRef:
      return ParseRef(type, text);
    case ValType::kV128:
      break;
  }
  return Status::InvalidArgument("unsupported feature: simd (v128 argument)");
}

std::string FormatValueText(const Value& value) {
  switch (value.type) {
    case ValType::kI32:
      return std::to_string(static_cast<i32>(value.i32()));
    case ValType::kI64:
      return std::to_string(static_cast<i64>(value.i64()));
    case ValType::kF32:
      return FormatFloat(value.f32(), value.i32(), kF32Layout);
    case ValType::kF64:
      return FormatFloat(value.f64(), value.i64(), kF64Layout);
    case ValType::kFuncRef:
      return value.is_null() ? "null" : "funcref";
    case ValType::kExternRef:
      return value.is_null() ? "null" : "externref:" + std::to_string(value.extern_payload());
    case ValType::kV128:
      break;
  }
  return value.ToString();
}

std::string ExportedFunctions(const Store& store, InstanceId instance) {
  std::string names;
  for (const auto& [name, ext] : store.Exports(instance)) {
    if (ext.kind != ExternKind::kFunc) continue;
    names += (names.empty() ? "" : ", ") + ("\"" + name + "\"");
  }
  return names.empty() ? "none" : names;
}

Result<std::vector<Value>> ParseArgs(const std::string& name, const FuncType& type,
                                     const std::vector<std::string>& texts) {
  if (texts.size() != type.params.size()) {
    return Status::InvalidArgument("\"" + name + "\" " + type.ToString() + " takes " +
                                   std::to_string(type.params.size()) + " arguments, got " +
                                   std::to_string(texts.size()));
  }
  std::vector<Value> values;
  for (size_t i = 0; i < texts.size(); ++i) {
    Result<Value> v = ParseValue(type.params[i], texts[i]);
    if (!v.ok()) return v.status().WithContext("argument " + std::to_string(i + 1));
    values.push_back(*v);
  }
  return values;
}

}  // namespace deja::session
