// WebAssembly features a module may use, named as wasmtime and wasm-tools
// name them (`deja run --wasm simd=n`). The WebAssembly 2.0 features deja
// implements are on by default and can be turned off, so a user can check
// that a module sticks to a profile; later proposals deja does not implement
// are off and cannot be turned on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deja {

enum class Feature : uint8_t {
  // WebAssembly 2.0: implemented, on by default.
  kMutableGlobal,
  kSignExtension,
  kSaturatingFloatToInt,
  kMultiValue,
  kBulkMemory,
  kReferenceTypes,
  kSimd,
  // Later proposals: relaxed SIMD is implemented and on by default; the
  // rest are not implemented, always off.
  kRelaxedSimd,
  kTailCall,
  kExceptions,
  kThreads,
  kMultiMemory,
  kMemory64,
  kExtendedConst,
  kGc,
  kFunctionReferences,
};
inline constexpr int kFeatureCount = 16;

// "simd", "bulk-memory", ...
std::string_view FeatureName(Feature f);
// Accepts every FeatureName and the alias "nontrapping-float-to-int".
std::optional<Feature> ParseFeature(std::string_view name);
// True for the features deja implements (the ones that can be on).
bool FeatureImplemented(Feature f);
// "mutable-global, sign-extension, ..." for usage messages.
std::string AllFeatureNames();

class Features {
 public:
  // The 2.0 features on, every later proposal off.
  Features() : bits_(kDefaultBits) {}
  bool enabled(Feature f) const { return (bits_ >> static_cast<int>(f)) & 1u; }
  // Turning on a feature deja does not implement has no effect; the CLI
  // refuses it before it gets here.
  void set(Feature f, bool on) {
    if (on && !FeatureImplemented(f)) return;
    uint32_t bit = 1u << static_cast<int>(f);
    bits_ = on ? (bits_ | bit) : (bits_ & ~bit);
  }
  // True when every implemented feature is on: nothing to check.
  bool all_implemented() const { return bits_ == kDefaultBits; }

 private:
  static constexpr uint32_t kDefaultBits = (1u << 8) - 1;  // kMutableGlobal .. kRelaxedSimd
  uint32_t bits_;
};

}  // namespace deja
