// The WebAssembly text format (.wat) for embedders: turn text into the binary
// format that deja::Module::Compile takes. Parsing is libwabt's, so this
// header's functions live in the deja::text library (CMake target
// deja::text), which links wabt; deja::deja alone does not need it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"

namespace deja::text {

// Parses a .wat module and encodes it as a binary module (with a name
// section). Errors: kMalformed; the message has one "file:line:col: error:
// ..." line per parse error, `filename` being the name it shows.
Result<std::vector<uint8_t>> WatToWasm(std::string_view wat,
                                       std::string_view filename = "<text>");

// True if `bytes` start with the binary magic "\0asm".
bool IsBinaryModule(std::span<const uint8_t> bytes);

// Reads a module file: binary as is, anything else parsed as text.
// Errors: kIoError naming the path (cannot open or read it), kMalformed.
Result<std::vector<uint8_t>> LoadModuleFile(const std::string& path);

}  // namespace deja::text
