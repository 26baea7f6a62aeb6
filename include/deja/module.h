// A compiled module: decoded, validated and translated once; immutable and
// shareable between stores and threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

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

  const std::shared_ptr<const engine::CompiledModule>& impl() const { return impl_; }
  explicit Module(std::shared_ptr<const engine::CompiledModule> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const engine::CompiledModule> impl_;
};

}  // namespace deja
