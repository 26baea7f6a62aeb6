// Hexadecimal text, one way everywhere: messages, digests, trace output.
#pragma once

#include <span>
#include <string>

#include "base/types.h"

namespace deja {

// "0x1a2": a value in a message (offsets, addresses, flags, handles).
std::string Hex(u64 v);

// `digits` lower-case hex digits, zero-padded, no prefix (a 64-bit value as
// 16 digits); the low digits are kept if the value needs more.
std::string HexDigits(u64 v, int digits);

// Two lower-case hex digits per byte, no prefix: hashes and digests.
std::string HexBytes(std::span<const u8> bytes);

}  // namespace deja
