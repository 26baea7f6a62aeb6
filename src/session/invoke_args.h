// Command-line text to and from WebAssembly values for `deja invoke`:
// arguments are read by the export's parameter types, results printed one
// per line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "deja/status.h"
#include "deja/store.h"
#include "deja/types.h"

namespace deja::session {

// Parses `text` as a value of type `type`:
//   i32, i64: decimal (signed or unsigned, e.g. -1 or 4294967295) or 0x hex;
//   f32, f64: decimal or hex floats, inf, -inf, nan, nan:0xPAYLOAD;
//   funcref: null;  externref: null or a number N (the host reference N).
// Errors: kInvalidArgument naming the text and the type.
Result<Value> ParseValue(ValType type, std::string_view text);

// A result as text: integers in signed decimal, floats in the shortest form
// that reads back to the same bits ("nan:0x..." for NaNs with a payload other
// than the canonical one), references as "null", "funcref" or "externref:N".
std::string FormatValueText(const Value& value);

// Parses one text per parameter of export `name` (for `deja invoke` and
// `deja run --invoke`). Errors: kInvalidArgument naming the count or the
// argument that does not parse.
Result<std::vector<Value>> ParseArgs(const std::string& name, const FuncType& type,
                                     const std::vector<std::string>& texts);

// The function exports of `instance` as "\"a\", \"b\"", or "none" (for
// "unknown export" messages).
std::string ExportedFunctions(const Store& store, InstanceId instance);

}  // namespace deja::session
