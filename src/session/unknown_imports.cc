#include "session/unknown_imports.h"

namespace deja::session {

Status UnknownImportStubs::Define(Store& store, Linker& linker, const Module& module,
                                  UnknownImports mode) {
  ImportStubOptions options;
  options.mode = mode;
  options.error_hint =
      "deja run provides wasi_snapshot_preview1 only (stand in for unknown functions with "
      "--trap-unknown-imports or --default-values-unknown-imports)";
  options.trap_note = "stood in for by --trap-unknown-imports";
  return stubs_.Define(store, linker, module, options);
}

}  // namespace deja::session
