// Standing in for imports nothing provides: a module that imports more than
// the embedder implements (an interpreter asking for a dozen host hooks it
// rarely calls) can still be instantiated, with each missing function made a
// host function that traps when called or returns default results.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "deja/module.h"
#include "deja/status.h"
#include "deja/store.h"
#include "deja/types.h"

namespace deja {

// The numbers are stored in recordings and snapshots: never renumber.
enum class UnknownImports : uint8_t {
  kError = 0,          // a missing import is an error (kUnlinkable)
  kTrap = 1,           // a missing function traps when called
  kDefaultValues = 2,  // a missing function returns zeros (0, +0.0, null)
};

struct ImportStubOptions {
  UnknownImports mode = UnknownImports::kTrap;
  // Results for a missing function of exactly this type, in kTrap and
  // kDefaultValues mode: it returns these values instead of trapping or
  // returning zeros. Each list must match the type's results.
  std::vector<std::pair<FuncType, std::vector<Value>>> defaults;
  // Appended to the kError message ("unknown import ...; <hint>"), e.g. how
  // to stand in for it.
  std::string error_hint;
  // Appended in parentheses to the trap message of a stand-in, e.g. what
  // made it a stand-in.
  std::string trap_note;
};

// Owns the stand-ins' data: keep it alive as long as the store may call them.
class ImportStubs {
 public:
  ImportStubs();
  ~ImportStubs();
  ImportStubs(ImportStubs&&) noexcept;
  ImportStubs& operator=(ImportStubs&&) noexcept;

  // Looks up every import of `module` in `linker`; each one that is missing
  // is an error (kError mode), or, if a function, is defined in `linker` as
  // a host function of `store` that traps with "unknown import "m" "n" was
  // called" or returns defaults. Missing memories, tables and globals are
  // always errors: there is no sensible stand-in. Call it after defining
  // everything real (WASI, your own functions).
  // Errors: kUnlinkable naming the import's module, name and type;
  // kInvalidArgument for a `defaults` entry whose values do not match its type.
  Status Define(Store& store, Linker& linker, const Module& module,
                const ImportStubOptions& options = {});

  // The imports stood in for so far, in the order they were defined.
  const std::vector<ImportDesc>& stubbed() const { return stubbed_; }

  struct Stub;

 private:
  std::vector<std::unique_ptr<Stub>> stubs_;
  std::vector<ImportDesc> stubbed_;
};

// `"m" "n" (func (i32) -> (i32))`: how messages name an import.
std::string DescribeImport(const ImportDesc& import);

}  // namespace deja
