// Helpers for the runtime's unit tests: modules written as text.
#pragma once

#include <string_view>

#include "deja/deja.h"
#include "text/wat.h"

namespace deja::engine::testing {

inline Result<deja::Module> CompileWat(std::string_view wat) {
  DEJA_ASSIGN_OR_RETURN(std::vector<u8> bytes, text::WatToWasm(wat));
  return deja::Module::Compile(bytes);
}

}  // namespace deja::engine::testing
