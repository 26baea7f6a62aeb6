// The "spectest" module that WAST scripts import from: print functions,
// globals of each number type, a funcref table and a memory, with the
// values the official test suite expects.
#pragma once

#include <ostream>

#include "base/types.h"
#include "deja/status.h"
#include "deja/store.h"

namespace deja::text {

// Creates the spectest objects in `store` and defines them in `linker` under
// module name "spectest". The print functions write their arguments to
// `print_to` (one line per call) or discard them when it is null; `print_to`
// must outlive the store.
Status DefineSpectest(Store& store, Linker& linker, std::ostream* print_to);

}  // namespace deja::text
