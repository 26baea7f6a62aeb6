// The WebAssembly text format, through Debian's libwabt: deja never parses
// text itself; it turns text into the binary format and runs that. The
// embedder's part is the public deja/text.h; this adds what the WAST runner
// needs.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "deja/text.h"

namespace wabt {
struct Module;
}

namespace deja::text {

// Encodes a module parsed by libwabt (e.g. one command of a WAST script).
// Errors: kMalformed if libwabt cannot encode it.
Result<std::vector<u8>> EncodeModule(const wabt::Module& module);

}  // namespace deja::text
