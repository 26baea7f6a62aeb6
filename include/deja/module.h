// A compiled module: decoded, validated and translated once; immutable and
// shareable between stores and threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "deja/features.h"
#include "deja/status.h"
#include "deja/types.h"

namespace deja {

namespace engine {
struct CompiledModule;
}

struct CompileOptions {
  // Replace every NaN produced by a float operator with the canonical NaN
  // (sign 0, quiet bit only), making float results independent of the host
  // CPU's NaN propagation. Costs nothing when off. See docs/DETERMINISM.md.
  bool canonicalize_nans = false;
  // Tests only: 1 compiles the same semantics into a different code layout
  // (a no-op jump before every instruction, no deferred operands), so that a
  // test can check that a saved call stack resumes under another layout.
  uint8_t test_layout_variant = 0;
  // Which WebAssembly features a module may use: a module using one that is
  // off is refused as kUnsupported naming the feature. See deja/features.h.
  Features features{};
};

struct ImportDesc {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunc;
  FuncType func;      // kFunc
  TableType table;    // kTable
  MemoryType memory;  // kMemory
  GlobalType global;  // kGlobal
};

struct ExportDesc {
  std::string name;
  ExternKind kind = ExternKind::kFunc;
};

class Module {
 public:
  // Decodes, validates and compiles a binary module.
  // Errors: kMalformed (bad bytes), kInvalid (validation), kUnsupported (e.g.
  // "unsupported feature: simd"); the message names the function index and byte offset.
  static Result<Module> Compile(std::span<const uint8_t> wasm, const CompileOptions& options = {});

  std::vector<ImportDesc> imports() const;
  std::vector<ExportDesc> exports() const;
  const std::string& name() const;  // from the name section; may be empty
  // XXH3-128 of the binary the module was compiled from, as 32 hex digits.
  std::string hash() const;

  // Saving a compiled module (docs/embedding.md, "Saving a compiled module"),
  // so a process can skip decoding, validating and compiling: Serialize
  // writes the module and its compiled code, versioned and checksummed, tied
  // to this deja build. Deserialize refuses bytes that are damaged
  // (kCorruption), of another format version or written by a deja build
  // that compiles or validates differently (kInvalidArgument: compile the
  // .wasm again and save anew), or, when `expected_wasm` is given, compiled
  // from other bytes than it (kInvalidArgument). The checksum guards against
  // accidents, not forgery: load only files you wrote yourself, as you would
  // a shared library.
  Result<std::vector<uint8_t>> Serialize() const;
  static Result<Module> Deserialize(std::span<const uint8_t> bytes,
                                    std::span<const uint8_t> expected_wasm = {});

  const std::shared_ptr<const engine::CompiledModule>& impl() const { return impl_; }
  explicit Module(std::shared_ptr<const engine::CompiledModule> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const engine::CompiledModule> impl_;
};

}  // namespace deja
