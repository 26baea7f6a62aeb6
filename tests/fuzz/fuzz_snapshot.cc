// libFuzzer target for the snapshot reader: any bytes must decode or fail
// with a Status, never crash, hang or allocate past the caps below.
//
// Inputs that start with 'S' exercise the engine's saved-state reader
// instead: the rest is taken as a state payload, sealed with a valid header
// (so the checksum does not stop every mutation) and restored into a fresh
// store of a small module (one memory of 1 to 16 pages, a global, a table).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "deja/deja.h"
#include "engine/runtime/state_format.h"
#include "snapshot/snapshot.h"

namespace {

// (module (table 2 funcref) (memory 1 16) (global (mut i32) (i32.const 0)))
constexpr uint8_t kWasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // header
                             0x04, 0x04, 0x01, 0x70, 0x00, 0x02,              // table
                             0x05, 0x04, 0x01, 0x01, 0x01, 0x10,              // memory
                             0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b};  // global

void RestoreEngineState(std::span<const uint8_t> payload) {
  static const std::optional<deja::Module> module = [] {
    auto m = deja::Module::Compile(kWasm);
    return m.ok() ? std::optional<deja::Module>(std::move(m).value()) : std::nullopt;
  }();
  if (!module) __builtin_trap();  // the harness itself is broken
  deja::Store store;
  if (!store.Instantiate(*module, {}).ok()) __builtin_trap();
  std::vector<uint8_t> state = deja::engine::StateHeader(deja::engine::kStateVersion, payload);
  state.insert(state.end(), payload.begin(), payload.end());
  (void)store.RestoreState(state);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0 && data[0] == 'S') {
    RestoreEngineState(std::span<const uint8_t>(data + 1, size - 1));
    return 0;
  }
  deja::snapshot::ReadLimits limits;
  // libFuzzer's default RSS limit is 2 GiB: keep every section well under it.
  limits.max_module_bytes = 64 << 20;
  limits.max_engine_state_bytes = 256 << 20;
  limits.max_wasi_state_bytes = 16 << 20;
  (void)deja::snapshot::Decode(std::span<const uint8_t>(data, size), limits);
  return 0;
}
