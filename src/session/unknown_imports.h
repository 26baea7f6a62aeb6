// What `deja run` does with imports that neither WASI nor anything else in
// the linker provides: report them (the default), or stand in for unknown
// function imports with host functions that trap when called
// (--trap-unknown-imports) or return zeros (--default-values-unknown-imports).
// The stand-ins are the library's (deja/imports.h); this adds the CLI's words.
#pragma once

#include "deja/imports.h"
#include "deja/module.h"
#include "deja/session.h"
#include "deja/status.h"
#include "deja/store.h"

namespace deja::session {

// deja::UnknownImports (kError, kTrap, kDefaultValues) is the mode.

// Owns the stand-ins' data; must outlive every call into `store`.
class UnknownImportStubs {
 public:
  // Looks up every import of `module` in `linker`. In kError mode, the first
  // missing one is an error; otherwise each missing function import is
  // defined in `linker` as a host function of `store`. Missing memories,
  // tables and globals are always errors: there is no sensible stand-in.
  // Errors: kUnlinkable naming the import's module, name and type.
  Status Define(Store& store, Linker& linker, const Module& module, UnknownImports mode);

 private:
  ImportStubs stubs_;
};

}  // namespace deja::session
