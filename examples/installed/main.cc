// An embedder's program built against the installed deja package: .wat text
// to a module, unknown imports stood in for, typed guest memory access from
// a host function, and a compiled module saved to a file and loaded back by
// another process (run it as "main save FILE" then "main load FILE").
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <deja/deja.h>
#include <deja/imports.h>
#include <deja/memory.h>
#include <deja/text.h>

namespace {

// A guest that needs more than we provide: "env" "sum_pair" is ours, the
// two "hooks" imports are not.
constexpr std::string_view kGuest = R"((module
  (import "env" "sum_pair" (func $sum_pair (param i32) (result i32)))
  (import "hooks" "on_event" (func $on_event (param i32) (result i32)))
  (import "hooks" "panic" (func $panic))
  (memory (export "memory") 1)
  (data (i32.const 64) "greetings from the guest\00")
  (func (export "run") (param $p i32) (result i32)
    (i32.add (call $sum_pair (local.get $p)) (call $on_event (i32.const 1))))
  (func (export "fail") (call $panic)))
)";

// Reads two u32 at the guest address in slots[0] and returns their sum.
deja::HostAction SumPair(deja::HostCall& call, std::span<uint64_t> slots) {
  deja::MemoryView mem(call.memory());
  deja::Result<uint32_t> a = mem.Read<uint32_t>(slots[0]);
  if (!a.ok()) return call.Trap(std::string(a.status().message()));
  deja::Result<uint32_t> b = mem.Read<uint32_t>(slots[0] + 4);
  if (!b.ok()) return call.Trap(std::string(b.status().message()));
  slots[0] = *a + *b;
  return deja::HostAction::kContinue;
}

int Fail(const char* what, const deja::Status& status) {
  std::fflush(stdout);  // keep the order of the lines printed so far
  std::fprintf(stderr, "error: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc >= 3 ? argv[1] : "";
  if (mode != "save" && mode != "load") {
    std::fprintf(stderr, "usage: %s save|load FILE\n", argv[0]);
    return 2;
  }
  const char* path = argv[2];
  deja::Result<std::vector<uint8_t>> wasm = deja::text::WatToWasm(kGuest, "guest.wat");
  if (!wasm.ok()) return Fail("guest.wat", wasm.status());

  // A syntax error is reported with its line and column.
  deja::Result<std::vector<uint8_t>> bad = deja::text::WatToWasm("(module\n  (func (oops)))", "bad.wat");
  std::string bad_message = bad.ok() ? "parsed?!" : std::string(bad.status().message());
  std::printf("%s\n", bad_message.substr(0, bad_message.find('\n')).c_str());

  deja::Result<deja::Module> module = deja::Status::Internal("unset");
  if (mode == "save") {
    module = deja::Module::Compile(*wasm);
    if (!module.ok()) return Fail("compile", module.status());
    deja::Result<std::vector<uint8_t>> saved = module->Serialize();
    if (!saved.ok()) return Fail("serialize", saved.status());
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(saved->data()), static_cast<std::streamsize>(saved->size()));
    std::printf("compiled the module and saved it\n");
  } else {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> saved((std::istreambuf_iterator<char>(in)), {});
    module = deja::Module::Deserialize(saved, *wasm);
    if (!module.ok()) return Fail(path, module.status());
    std::printf("loaded the compiled module\n");
  }

  deja::Store store;
  deja::Linker linker;
  linker.Define("env", "sum_pair",
                store.AddHostFunc({{deja::ValType::kI32}, {deja::ValType::kI32}}, SumPair, nullptr,
                                  "sum_pair"));
  deja::ImportStubOptions options;
  options.mode = deja::UnknownImports::kTrap;
  options.defaults.push_back({{{deja::ValType::kI32}, {deja::ValType::kI32}}, {deja::Value::I32(100)}});
  deja::ImportStubs stubs;
  deja::Status linked = stubs.Define(store, linker, *module, options);
  if (!linked.ok()) return Fail("link", linked);
  for (const deja::ImportDesc& import : stubs.stubbed()) {
    std::printf("stood in for %s\n", deja::DescribeImport(import).c_str());
  }
  deja::Result<deja::InstanceId> instance = linker.Instantiate(store, *module);
  if (!instance.ok()) return Fail("instantiate", instance.status());

  deja::MemoryView mem(store.MemoryData(*store.GetExport(*instance, "memory")));
  if (!mem.Write<uint32_t>(16, 20).ok() || !mem.Write<uint32_t>(20, 22).ok()) return 1;
  std::printf("guest says: %s\n", std::string(*mem.CString(64)).c_str());
  std::printf("out of bounds: %s\n", std::string(mem.Read<uint64_t>(65532).status().message()).c_str());

  std::vector<deja::Value> results;
  deja::Value args[] = {deja::Value::I32(16)};
  if (store.Call(*store.GetExport(*instance, "run"), args, &results) != deja::Outcome::kReturned) {
    std::fprintf(stderr, "trap: %s\n", store.trap().ToString().c_str());
    return 1;
  }
  std::printf("run(16) = %u\n", results[0].i32());
  if (store.Call(*store.GetExport(*instance, "fail"), {}, &results) == deja::Outcome::kTrapped) {
    std::printf("fail: %s\n", store.trap().message.c_str());
  }
  return 0;
}
