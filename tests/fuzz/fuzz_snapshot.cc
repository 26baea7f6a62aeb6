// libFuzzer target for the snapshot reader: any bytes must decode or fail
// with a Status, never crash, hang or allocate past the caps below.
//
// Inputs that start with 'S' exercise the engine's saved-state reader
// instead: the rest is taken as a state payload, sealed with a valid header
// (so the checksum does not stop every mutation) and restored into a fresh
// store of a small module (one memory of 1 to 16 pages, globals, a funcref
// table, a passive element segment). A state that restores is then used:
// every table element and the funcref global are called through
// call_indirect and the segment is copied into the table, under a fuel
// limit, so a forged reference that slips through crashes here (issue 13).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "deja/deja.h"
#include "engine/runtime/state_format.h"
#include "snapshot/snapshot.h"
#include "text/wat.h"

namespace {

// The seeds snapshot_seeds/state_* are states of this module (two of them
// with forged references); changing it makes them misparse (still valid
// inputs, but weaker ones).
constexpr const char* kWat = R"((module
  (type $v (func (result i32)))
  (memory 1 16)
  (table $t (export "tab") 2 funcref)
  (global $fg (mut funcref) (ref.null func))
  (global $ig i32 (i32.const 7))
  (global $mg (mut i32) (i32.const 0))
  (elem $e func $f)
  (elem (table $t) (i32.const 0) func $f)
  (func $f (result i32) (i32.const 42))
  (func (export "call") (param i32) (result i32) (call_indirect (type $v) (local.get 0)))
  (func (export "callg") (result i32)
    (table.set $t (i32.const 1) (global.get $fg))
    (call_indirect (type $v) (i32.const 1)))
  (func (export "init") (table.init $t $e (i32.const 1) (i32.const 0) (i32.const 1))))
)";

void RestoreEngineState(std::span<const uint8_t> payload) {
  static const std::optional<deja::Module> module = []() -> std::optional<deja::Module> {
    auto wasm = deja::text::WatToWasm(kWat);
    if (!wasm.ok()) return std::nullopt;
    auto m = deja::Module::Compile(*wasm);
    return m.ok() ? std::optional<deja::Module>(std::move(m).value()) : std::nullopt;
  }();
  if (!module) __builtin_trap();  // the harness itself is broken
  deja::Store store;
  auto inst = store.Instantiate(*module, {});
  if (!inst.ok()) __builtin_trap();
  std::vector<uint8_t> state = deja::engine::StateHeader(deja::engine::kStateVersion, payload);
  state.insert(state.end(), payload.begin(), payload.end());
  if (!store.RestoreState(state).ok() || store.suspended()) return;
  std::vector<deja::Value> results;
  auto call = [&](const char* name, std::vector<deja::Value> args) {
    store.SetFuel(10000);
    (void)store.Call(*store.GetExport(*inst, name), args, &results);
  };
  uint32_t size = store.TableSize(*store.GetExport(*inst, "tab"));
  for (uint32_t i = 0; i < size && i < 64; ++i) call("call", {deja::Value::I32(i)});
  call("init", {});
  call("call", {deja::Value::I32(1)});
  call("callg", {});
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
