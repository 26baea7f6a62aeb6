// Constant expressions (global initializers, segment offsets and element
// initializers): which instructions are constant, and the type they produce.
#pragma once

#include "deja/status.h"
#include "engine/module.h"

namespace deja::engine {

// Checks that `expr` is exactly one constant instruction producing `expected`:
// t.const, ref.null, ref.func of a known function, or global.get of an
// imported immutable global (WebAssembly 2.0 allows no other globals here).
// Errors: kInvalid "offset 0xHEX: constant expression required" | "type
// mismatch" | "unknown global N" | "unknown function N".
Status ValidateConstExpr(const Module& module, const ConstExpr& expr, ValType expected);

}  // namespace deja::engine
