// Test helper: calls WASI functions with raw arguments, the way a hostile
// guest could (bad pointers, bad descriptors, huge lengths), through a
// generated module whose exports forward to every wasi_snapshot_preview1
// import. Its memory is one 64 KiB page: pointers from 65536 on are out of
// bounds.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "deja/deja.h"
#include "deja/wasi.h"
#include "text/wat.h"
#include "wasi/ctx.h"
#include "wasi/dispatch.h"

namespace deja::wasi::testing {

inline constexpr u32 kRawMemorySize = 65536;

class RawWasi {
 public:
  explicit RawWasi(WasiConfig config = {}, std::shared_ptr<System> sys = MakePosixSystem()) {
    auto wasi = Wasi::Create(std::move(config), std::move(sys));
    EXPECT_TRUE(wasi.ok()) << wasi.status().ToString();
    if (!wasi.ok()) return;
    wasi_ = std::move(*wasi);
    auto bytes = text::WatToWasm(ModuleText());
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (!bytes.ok()) return;
    auto module = Module::Compile(*bytes);
    EXPECT_TRUE(module.ok()) << module.status().ToString();
    if (!module.ok()) return;
    wasi_->Link(store_, linker_);
    auto instance = linker_.Instantiate(store_, *module);
    EXPECT_TRUE(instance.ok()) << instance.status().ToString();
    if (instance.ok()) instance_ = *instance;
  }

  // Calls `name` with `args` (converted to its parameter types); returns the
  // errno, or UINT32_MAX when the call did not return (see outcome()).
  u32 Call(const std::string& name, std::vector<u64> args) {
    auto fn = store_.GetExport(instance_, name);
    EXPECT_TRUE(fn.has_value()) << name;
    if (!fn) return UINT32_MAX;
    FuncType type = store_.GetFuncType(*fn);
    std::vector<Value> values;
    for (size_t i = 0; i < args.size() && i < type.params.size(); ++i) {
      values.push_back(type.params[i] == ValType::kI64 ? Value::I64(args[i])
                                                       : Value::I32(static_cast<u32>(args[i])));
    }
    std::vector<Value> results;
    outcome_ = store_.Call(*fn, values, &results);
    if (outcome_ != Outcome::kReturned || results.empty()) return UINT32_MAX;
    return results[0].i32();
  }

  std::span<u8> mem() { return store_.MemoryData(*store_.GetExport(instance_, "memory")); }
  template <typename T>
  T Get(u32 ptr) {
    T v;
    std::memcpy(&v, mem().data() + ptr, sizeof v);
    return v;
  }
  template <typename T>
  void Put(u32 ptr, T v) {
    std::memcpy(mem().data() + ptr, &v, sizeof v);
  }
  void PutBytes(u32 ptr, const std::string& s) { std::memcpy(mem().data() + ptr, s.data(), s.size()); }
  std::string GetBytes(u32 ptr, u32 len) {
    return std::string(reinterpret_cast<const char*>(mem().data()) + ptr, len);
  }
  // Writes an iovec array at `at`: (buf, len) pairs.
  void PutIovecs(u32 at, std::vector<std::pair<u32, u32>> iovs) {
    for (auto [buf, len] : iovs) {
      Put<u32>(at, buf);
      Put<u32>(at + 4, len);
      at += 8;
    }
  }

  Outcome outcome() const { return outcome_; }
  Store& store() { return store_; }
  Wasi& wasi() { return *wasi_; }
  WasiCtx& ctx() { return wasi_->ctx(); }
  bool ok() const { return wasi_ != nullptr; }

 private:
  static std::string TypeText(const char* letters, const char* keyword) {
    std::string s;
    for (const char* p = letters; *p != '\0'; ++p) {
      s += std::string(" (") + keyword + (*p == 'l' ? " i64)" : " i32)");
    }
    return s;
  }
  static std::string ModuleText() {
    std::string imports, funcs;
    for (const FuncDef* def : AllFuncs()) {
      std::string sig = TypeText(def->params, "param") + TypeText(def->results, "result");
      imports += std::string("(import \"") + def->spec->module + "\" \"" + def->name + "\" (func $" +
                 def->name + sig + "))\n";
      std::string body;
      for (size_t i = 0; def->params[i] != '\0'; ++i) body += " local.get " + std::to_string(i);
      funcs += std::string("(func (export \"") + def->name + "\")" + sig + body + " call $" +
               def->name + ")\n";
    }
    return "(module\n" + imports + "(memory (export \"memory\") 1)\n" + funcs + ")";
  }

  std::unique_ptr<Wasi> wasi_;
  Store store_;
  Linker linker_;
  InstanceId instance_ = 0;
  Outcome outcome_ = Outcome::kReturned;
};

}  // namespace deja::wasi::testing
