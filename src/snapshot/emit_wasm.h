// `deja snapshot --init ... --emit-wasm OUT.wasm`: an initialised instance
// written back as a plain module that any runtime can run, with its state
// baked in (docs/snapshots.md, "A plain .wasm"). Instantiating the result
// gives the memories, globals and tables the instance has now, without
// running any of the code that produced them.
#pragma once

#include <span>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "deja/store.h"

namespace deja::snapshot {

// Rewrites `wasm`, the module `instance` of `store` was instantiated from:
//  - each defined memory's minimum becomes its current page count and its
//    non-zero bytes become active data segments (appended after the
//    module's own, so data indices stay valid);
//  - each defined table's minimum becomes its current size and its non-null
//    elements become active element segments;
//  - each defined global's initializer becomes its current value;
//  - the module's own active segments (applied already) become dropped
//    ones: data as empty passive segments, elements as declarative segments
//    (which keep declaring their functions for ref.func); passive segments
//    keep their contents unless dropped; the data count follows;
//  - the start section goes (it ran at instantiation), and the
//    "_initialize" export, when it is a function of the module, points to
//    a new function of the same type that does nothing;
//  - imports (functions, globals) stay imports; custom sections are kept.
// Errors: kInvalidArgument when `store` is suspended (only an initialisation
// that returned can be baked); kUnsupported for state a module cannot
// express (an imported memory or table, a table element or global holding a
// non-null externref or a function from outside the instance, v128);
// kMalformed if `wasm` is not that instance's module.
Result<std::vector<u8>> EmitInitializedWasm(std::span<const u8> wasm, Store& store,
                                            InstanceId instance);

}  // namespace deja::snapshot
