#include "base/hex.h"

namespace deja {
namespace {
constexpr char kDigits[] = "0123456789abcdef";
}  // namespace

std::string Hex(u64 v) {
  int digits = 1;
  while (digits < 16 && (v >> (4 * digits)) != 0) ++digits;
  return "0x" + HexDigits(v, digits);
}

std::string HexDigits(u64 v, int digits) {
  std::string s(static_cast<size_t>(digits > 0 ? digits : 0), '0');
  for (size_t i = s.size(); i-- > 0; v >>= 4) s[i] = kDigits[v & 15];
  return s;
}

std::string HexBytes(std::span<const u8> bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  for (u8 b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

}  // namespace deja
