// Message helpers shared by the validator's files: every message names the
// byte offset (and the function) where a rule was broken.
#pragma once

#include <string>
#include <string_view>

#include "base/types.h"
#include "deja/status.h"

namespace deja::engine {

// "0x1a2"
std::string HexOffset(u32 offset);

// kInvalid "offset 0xHEX: reason".
Status InvalidAt(u32 offset, std::string_view reason);

// "reason N", as the spec words unknown indices ("unknown global 3").
std::string WithIndex(std::string_view reason, u64 index);

}  // namespace deja::engine
