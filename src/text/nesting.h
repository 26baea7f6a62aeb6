// A cheap scan of WebAssembly text for nesting depth, before libwabt parses
// it: libwabt's parser recurses once per nested parenthesis or block, so
// 100,000 nested blocks (800 KB) overflowed the stack and crashed every
// command (issue 13, item 6; about 11,000 folded blocks crash a release
// build on an 8 MiB stack).
#pragma once

#include <string_view>

#include "base/types.h"
#include "deja/status.h"

namespace deja::text {

// Deepest nesting the text parser accepts: open parentheses plus open
// plain-syntax blocks (`block`, `loop`, `if`, `try` up to their `end`).
// Ten times below where libwabt runs out of an 8 MiB stack; binary modules
// have no such limit (deja's decoder and validator do not recurse).
inline constexpr u32 kMaxTextNesting = 1000;

// Errors: kMalformed "FILE:LINE:COL: text nested deeper than 1000 levels
// ..." at the first place where the depth passes `max_depth`. Comments and
// strings are skipped; a text that is otherwise malformed passes, for the
// parser to report.
Status CheckTextNesting(std::string_view text, std::string_view filename,
                        u32 max_depth = kMaxTextNesting);

}  // namespace deja::text
