// The WebAssembly text format, through Debian's libwabt: deja never parses
// text itself; it turns text into the binary format and runs that.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "deja/status.h"

namespace wabt {
struct Module;
}

namespace deja::text {

// Parses a .wat module and encodes it as a binary module (with a name section).
// Errors: kMalformed, with "file:line:col: message" for each parse error.
Result<std::vector<u8>> WatToWasm(std::string_view wat, std::string_view filename = "<text>");

// Encodes a module parsed by libwabt (e.g. one command of a WAST script).
// Errors: kMalformed if libwabt cannot encode it.
Result<std::vector<u8>> EncodeModule(const wabt::Module& module);

// True if `bytes` start with the binary magic "\0asm".
bool IsBinaryModule(std::span<const u8> bytes);

// Reads a module file: binary as is, anything else parsed as text.
// Errors: kIoError (cannot read), kMalformed.
Result<std::vector<u8>> LoadModuleFile(const std::string& path);

}  // namespace deja::text
