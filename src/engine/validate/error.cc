#include "engine/validate/error.h"

#include "base/hex.h"

namespace deja::engine {

std::string HexOffset(u32 offset) { return Hex(offset); }

Status InvalidAt(u32 offset, std::string_view reason) {
  std::string message = "offset " + HexOffset(offset) + ": ";
  message += reason;
  return Status::Invalid(std::move(message));
}

std::string WithIndex(std::string_view reason, u64 index) {
  std::string out(reason);
  out += ' ';
  out += std::to_string(index);
  return out;
}

}  // namespace deja::engine
