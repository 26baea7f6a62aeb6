// Constant expressions (global initializers, segment offsets and element
// initializers): which instructions are constant, and the type they produce.
#pragma once

#include "deja/status.h"
#include "engine/module.h"

namespace deja::engine {

// Checks that `expr` is a constant expression producing exactly `expected`:
// t.const, ref.null, ref.func of a known function, global.get of an imported
// immutable global (WebAssembly 2.0 allows no other globals here), and the
// extended-const proposal's i32/i64 add, sub and mul over those. Whether
// extended-const is turned on is judged later (CheckFeatures).
// Errors: kInvalid "offset 0xHEX: constant expression required" | "type
// mismatch" | "unknown global N" | "unknown function N".
Status ValidateConstExpr(const Module& module, const ConstExpr& expr, ValType expected);

// True for the instructions extended-const adds to constant expressions.
bool IsExtendedConstInstr(const Instr& in);

}  // namespace deja::engine
