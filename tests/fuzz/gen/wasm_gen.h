// A structure-aware generator of WebAssembly modules for fuzzing: any byte
// string becomes a valid module (WebAssembly 2.0 without SIMD) whose every
// exported call terminates. See docs/FUZZING.md, "The generator".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace deja::fuzz {

// Turns `data` (the fuzzer's bytes, read as a stream of decisions; once used
// up every decision is 0, the simplest choice) into a module's binary.
//
// What is in it: 1..7 function types (multi-value results), an optional
// imported function, a bounded memory and two bounded tables, globals of
// every type, active/passive/declarative element and data segments, an
// optional start function, and functions built by type-directed generation
// (an expression of each requested type, statements that leave the stack as
// they found it), covering control flow with results, br/br_if/br_table,
// direct and indirect calls, every load and store, bulk memory and table
// operations, references, select, numeric edge cases and traps.
//
// Termination: the mutable i32 global 0 is fuel, reset by the first export
// ("refuel"); every function entry and loop header takes one unit and traps
// (unreachable) when none is left. Each loop's back edge is also bounded by
// a counter of its own.
//
// NaN bits: a value that can be observed bit for bit (reinterpreted, stored
// to memory, the sign operand of copysign) first goes through a select that
// replaces a NaN with 0, so the module's behaviour does not depend on the
// NaN sign and payload the engine produces (the spec leaves them open).
std::vector<uint8_t> GenerateModule(const uint8_t* data, size_t size);

}  // namespace deja::fuzz
