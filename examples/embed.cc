// Embedding deja: compile a module written as text, give it a host function,
// instantiate it, call an export and read what it wrote into guest memory.
#include <cstdio>
#include <string_view>

#include "deja/deja.h"
#include "deja/text.h"

namespace {

constexpr std::string_view kGuest = R"((module
  (import "host" "square" (func $square (param i32) (result i32)))
  (memory (export "memory") 1)
  ;; Writes the squares of 1..n as i32s from address 0; returns their sum.
  (func (export "squares") (param $n i32) (result i32)
    (local $i i32) (local $sum i32) (local $sq i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sq (call $square (i32.add (local.get $i) (i32.const 1))))
        (i32.store (i32.mul (local.get $i) (i32.const 4)) (local.get $sq))
        (local.set $sum (i32.add (local.get $sum) (local.get $sq)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum)))
)";

// A host function: arguments arrive in `slots`, results go back into them.
deja::HostAction Square(deja::HostCall& call, std::span<uint64_t> slots) {
  auto* calls = static_cast<int*>(call.data());
  ++*calls;
  uint32_t x = static_cast<uint32_t>(slots[0]);
  slots[0] = x * x;
  return deja::HostAction::kContinue;
}

int Fail(const deja::Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  auto wasm = deja::text::WatToWasm(kGuest);
  if (!wasm.ok()) return Fail(wasm.status());
  auto module = deja::Module::Compile(*wasm);
  if (!module.ok()) return Fail(module.status());

  deja::Store store;
  int host_calls = 0;
  deja::Linker linker;
  deja::FuncType square_type{{deja::ValType::kI32}, {deja::ValType::kI32}};
  linker.Define("host", "square", store.AddHostFunc(square_type, Square, &host_calls, "square"));
  auto instance = linker.Instantiate(store, *module);
  if (!instance.ok()) return Fail(instance.status());

  std::optional<deja::Extern> squares = store.GetExport(*instance, "squares");
  std::optional<deja::Extern> memory = store.GetExport(*instance, "memory");
  if (!squares || !memory) return Fail(deja::Status::NotFound("missing export"));

  deja::Value args[] = {deja::Value::I32(5)};
  std::vector<deja::Value> results;
  if (store.Call(*squares, args, &results) != deja::Outcome::kReturned) {
    std::fprintf(stderr, "trap: %s\n", store.trap().ToString().c_str());
    return 1;
  }
  std::printf("sum of squares 1..5 = %u (%d host calls)\n", results[0].i32(), host_calls);

  std::span<const uint8_t> bytes = store.MemoryData(*memory);
  std::printf("guest memory:");
  for (int i = 0; i < 5; ++i) {
    uint32_t v = bytes[4 * i] | bytes[4 * i + 1] << 8 | bytes[4 * i + 2] << 16 |
                 static_cast<uint32_t>(bytes[4 * i + 3]) << 24;
    std::printf(" %u", v);
  }
  std::printf("\n");
  return results[0].i32() == 55 ? 0 : 1;
}
