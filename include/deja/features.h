// WebAssembly features a module may use, named as wasmtime and wasm-tools
// name them (`deja run --wasm simd=n`). The WebAssembly 2.0 features deja
// implements are on by default and can be turned off, so a user can check
// that a module sticks to a profile. So are the later proposals deja
// implements (extended-const, ...); the others are off and cannot be turned on.
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
  // Later proposals: on when implemented (FeatureImplemented), else always off.
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
  // Every implemented feature on, every other proposal off.
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
  // kMutableGlobal .. kRelaxedSimd (WebAssembly 2.0 and relaxed SIMD), then the
  // other implemented proposals.
  static constexpr uint32_t kDefaultBits = ((1u << 8) - 1)  //
                                           | (1u << static_cast<int>(Feature::kTailCall))  //
                                           | (1u << static_cast<int>(Feature::kExtendedConst))
                                           | (1u << static_cast<int>(Feature::kExceptions));
  uint32_t bits_;
};

}  // namespace deja
