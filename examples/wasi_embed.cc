// Embedding deja with WASI: grant a guest exactly what `deja run` flags would
// (a WasiConfig), add a host function of our own to the same Linker,
// instantiate a reactor, run its _initialize, then call one of its exports.
#include <cstdio>
#include <string_view>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "deja/text.h"

namespace {

// A reactor: no _start; _initialize sets up its state, "report" uses both
// WASI (fd_write to stdout) and the host's "host" "scale" function.
constexpr std::string_view kReactor = R"((module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "host" "scale" (func $scale (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "report: called from the host\n")
  (global $base (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $base (i32.const 1000)))
  ;; Prints a line through WASI, then returns base + scale(x).
  (func (export "report") (param $x i32) (result i32)
    (i32.store (i32.const 0) (i32.const 16))  ;; iovec.buf
    (i32.store (i32.const 4) (i32.const 29))  ;; iovec.len
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.add (global.get $base) (call $scale (local.get $x)))))
)";

// Our own host function: multiplies its argument by the factor in `data`.
deja::HostAction Scale(deja::HostCall& call, std::span<uint64_t> slots) {
  uint32_t factor = *static_cast<const uint32_t*>(call.data());
  slots[0] = static_cast<uint32_t>(slots[0]) * factor;
  return deja::HostAction::kContinue;
}

int Fail(const deja::Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return 1;
}

// Calls an export; says why on stderr if it trapped or exited instead of returning.
bool Call(deja::Store& store, deja::InstanceId instance, const char* name,
          std::span<const deja::Value> args, std::vector<deja::Value>* results) {
  std::optional<deja::Extern> func = store.GetExport(instance, name);
  if (!func) {
    std::fprintf(stderr, "error: no export \"%s\"\n", name);
    return false;
  }
  deja::Outcome outcome = store.Call(*func, args, results);
  if (outcome == deja::Outcome::kTrapped) {
    std::fprintf(stderr, "trap: %s\n", store.trap().ToString().c_str());
  } else if (outcome == deja::Outcome::kExited) {
    std::fprintf(stderr, "the guest exited with %d\n", store.exit_code());
  }
  return outcome == deja::Outcome::kReturned;
}

}  // namespace

int main() {
  // Deny by default: this guest gets argv and one variable, and no files.
  deja::WasiConfig config;
  config.args = {"wasi_embed"};
  config.env = {"EXAMPLE=1"};
  deja::Result<std::unique_ptr<deja::Wasi>> wasi = deja::Wasi::Create(config);
  if (!wasi.ok()) return Fail(wasi.status());

  deja::Result<std::vector<uint8_t>> bytes = deja::text::WatToWasm(kReactor, "reactor.wat");
  if (!bytes.ok()) return Fail(bytes.status());
  deja::Result<deja::Module> module = deja::Module::Compile(*bytes);
  if (!module.ok()) return Fail(module.status());

  deja::StoreLimits limits;
  limits.max_memory_pages = 16;  // 1 MiB, as `deja run --max-memory 1MiB`
  deja::Store store(limits);
  deja::Linker linker;
  (*wasi)->Link(store, linker);  // every wasi_snapshot_preview1 function
  uint32_t factor = 3;
  deja::FuncType scale_type{{deja::ValType::kI32}, {deja::ValType::kI32}};
  linker.Define("host", "scale", store.AddHostFunc(scale_type, Scale, &factor, "host.scale"));

  deja::Result<deja::InstanceId> instance = linker.Instantiate(store, *module);
  if (!instance.ok()) return Fail(instance.status());
  std::vector<deja::Value> results;
  // A reactor must be initialized once before any other export is called.
  if (!Call(store, *instance, "_initialize", {}, &results)) return 1;
  const deja::Value arg = deja::Value::I32(14);
  if (!Call(store, *instance, "report", {&arg, 1}, &results)) return 1;
  std::printf("report(14) = %u\n", results.at(0).i32());  // 1000 + 14 * 3 = 1042
  return results.at(0).i32() == 1042 ? 0 : 1;
}
