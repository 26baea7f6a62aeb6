#include "engine/decode/decoder.h"

namespace deja::engine {

Result<Module> DecodeModule(std::span<const u8> bytes) {
  (void)bytes;
  return Status::Unsupported("offset 0x0: binary decoder not implemented yet");
}

}  // namespace deja::engine
