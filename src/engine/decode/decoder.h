// Decodes a WebAssembly 2.0 binary module into engine::Module. Only the binary
// format is checked here; validation rules are validate/'s job.
#pragma once

#include <span>

#include "base/types.h"
#include "deja/status.h"
#include "engine/module.h"

namespace deja::engine {

// Decodes `bytes` (a copy is kept in Module::bytes; function bodies are
// offsets into it). Errors: kMalformed with "offset 0xHEX: reason" or, inside
// a function body, "func N offset 0xHEX: reason" (N counts imported
// functions); kUnsupported "offset 0xHEX: unsupported feature: simd" for
// SIMD types or instructions; kInvalid "offset 0xHEX: constant expression
// required" for a constant expression too long to store (see
// kMaxConstExprInstrs), once the rest decoded. A malformed "name" section is
// ignored.
struct DecodeOptions {
  // Walk every function body to check that its instructions decode and its
  // blocks balance. Off only for a binary that passed before: a saved
  // compiled module (runtime/module_serialize.cc), behind its checksum and
  // build id.
  bool scan_bodies = true;
};
Result<Module> DecodeModule(std::span<const u8> bytes, const DecodeOptions& options = {});

}  // namespace deja::engine
