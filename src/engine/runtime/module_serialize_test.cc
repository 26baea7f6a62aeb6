#include <gtest/gtest.h>

#include <xxhash.h>

#include <cstring>
#include <set>
#include <tuple>

#include "engine/compile/code.h"
#include "engine/exec/interp.h"
#include "engine/runtime/store_impl.h"
#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

// Loops, branches, fused compares, loads feeding stores and float operands,
// a br_table and calls: most of the compiler's rewrites.
constexpr std::string_view kWat = R"((module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "copy_sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 offset=8 (local.get $i) (i32.load8_u (local.get $i)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u offset=8 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $s))
  (func (export "pick") (param i32) (result i32)
    (block $c (block $b (block $a (br_table $a $b $c (local.get 0)))
      (return (i32.const 10))) (return (i32.const 20))) (i32.const 30))
  (func (export "scale") (param f64) (result f64)
    (f64.store (i32.const 16) (f64.const 2.5))
    (f64.mul (local.get 0) (f64.load (i32.const 16)))))
)";

struct Runs {
  std::vector<Value> results;
  uint64_t fuel = 0;
};

Runs RunAll(const Module& module) {
  Store store;
  Linker linker;
  Result<InstanceId> inst = linker.Instantiate(store, module);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  Runs runs;
  store.SetFuel(1'000'000);
  auto call = [&](const char* name, Value arg) {
    std::vector<Value> results;
    Value args[] = {arg};
    EXPECT_EQ(store.Call(*store.GetExport(*inst, name), args, &results), Outcome::kReturned)
        << name;
    runs.results.insert(runs.results.end(), results.begin(), results.end());
  };
  call("fib", Value::I32(15));
  call("copy_sum", Value::I32(8));
  for (uint32_t i = 0; i < 4; ++i) call("pick", Value::I32(i));
  call("scale", Value::F64(4.0));
  runs.fuel = store.fuel_consumed();
  return runs;
}

std::vector<uint8_t> Wasm() {
  Result<std::vector<u8>> wasm = text::WatToWasm(kWat);
  EXPECT_TRUE(wasm.ok()) << wasm.status().ToString();
  return std::move(wasm).value();
}

TEST(ModuleSerializeTest, LoadedModuleHasTheSameCodeAndRunsTheSame) {
  std::vector<uint8_t> wasm = Wasm();
  Result<Module> compiled = Module::Compile(wasm);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  Result<std::vector<uint8_t>> saved = compiled->Serialize();
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  Result<Module> loaded = Module::Deserialize(*saved, wasm);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();

  EXPECT_EQ(loaded->hash(), compiled->hash());
  EXPECT_EQ(loaded->hash().size(), 32u);
  const auto& a = compiled->impl()->funcs;
  const auto& b = loaded->impl()->funcs;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].code, b[i].code) << "function " << i;
    EXPECT_EQ(a[i].offsets, b[i].offsets);
    EXPECT_EQ(a[i].fuel_ops, b[i].fuel_ops);
    // The resume-point map comes back too: a loaded module's calls can be
    // suspended and saved in Wasm terms like a compiled one's.
    ASSERT_EQ(a[i].resume_points.size(), b[i].resume_points.size());
    for (size_t k = 0; k < a[i].resume_points.size(); ++k) {
      const auto& x = a[i].resume_points[k];
      const auto& y = b[i].resume_points[k];
      EXPECT_EQ(std::tie(x.wasm_offset, x.pc, x.height, x.deferred_end, x.kind),
                std::tie(y.wasm_offset, y.pc, y.height, y.deferred_end, y.kind));
    }
    ASSERT_EQ(a[i].deferred.size(), b[i].deferred.size());
    for (size_t k = 0; k < a[i].deferred.size(); ++k) {
      const auto& x = a[i].deferred[k];
      const auto& y = b[i].deferred[k];
      EXPECT_EQ(std::tie(x.pos, x.base, x.value, x.where), std::tie(y.pos, y.base, y.value, y.where));
    }
    EXPECT_EQ(a[i].frame_slots, b[i].frame_slots);
    // Every handler word is a recorded instruction start: one left out would
    // be saved as this process's address and break in another process.
    std::set<u64> handlers;
    for (size_t op = 0; op < static_cast<size_t>(engine::IOp::kCount); ++op) {
      handlers.insert(engine::HandlerWord(static_cast<engine::IOp>(op)));
    }
    std::set<u32> starts(a[i].op_starts.begin(), a[i].op_starts.end());
    for (size_t w = 0; w < a[i].code.size(); ++w) {
      EXPECT_EQ(handlers.count(a[i].code[w]) == 1, starts.count(static_cast<u32>(w)) == 1)
          << "function " << i << " word " << w;
    }
  }
  Runs want = RunAll(*compiled);
  Runs got = RunAll(*loaded);
  EXPECT_EQ(got.results, want.results);
  EXPECT_EQ(got.fuel, want.fuel);
  ASSERT_EQ(want.results.size(), 7u);
  EXPECT_EQ(want.results[0], Value::I32(610));
  EXPECT_EQ(want.results[1], Value::I32(36));
  EXPECT_EQ(want.results[6], Value::F64(10.0));
  // Serializing the loaded module gives the same bytes.
  EXPECT_EQ(*loaded->Serialize(), *saved);
}

TEST(ModuleSerializeTest, CompileOptionsAreKept) {
  std::vector<uint8_t> wasm = Wasm();
  Result<Module> compiled = Module::Compile(wasm, {.canonicalize_nans = true});
  ASSERT_TRUE(compiled.ok());
  Result<Module> loaded = Module::Deserialize(*compiled->Serialize());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->impl()->options.canonicalize_nans);
}

TEST(ModuleSerializeTest, DamagedForeignOrMismatchedBytesAreRefused) {
  std::vector<uint8_t> wasm = Wasm();
  Result<Module> compiled = Module::Compile(wasm);
  ASSERT_TRUE(compiled.ok());
  std::vector<uint8_t> saved = *compiled->Serialize();
  auto refused = [](std::span<const uint8_t> bytes, Status::Code code, std::string_view words,
                    std::span<const uint8_t> expected = {}) {
    Result<Module> r = Module::Deserialize(bytes, expected);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(words), std::string_view::npos) << r.status().ToString();
  };
  // Every single flipped bit past the header is caught by the checksum; try a spread.
  for (size_t at = 28; at < saved.size(); at += saved.size() / 97 + 1) {
    std::vector<uint8_t> bad = saved;
    bad[at] ^= 0x10;
    refused(bad, Status::Code::kCorruption, "checksum mismatch");
  }
  refused(std::span(saved).first(saved.size() - 1), Status::Code::kCorruption, "header says");
  refused(std::span(saved).first(20), Status::Code::kCorruption, "header cut short");
  refused(wasm, Status::Code::kInvalidArgument, "not a saved deja module");
  std::vector<uint8_t> newer = saved;
  newer[8] = 2;  // format version
  refused(newer, Status::Code::kInvalidArgument, "format version 2");
  // Another binary than the one the embedder expects (e.g. the .wasm was rebuilt).
  std::vector<uint8_t> other = wasm;
  other.push_back(0);  // an empty custom section's first byte is enough to differ
  refused(saved, Status::Code::kInvalidArgument, "compiled from a different binary", other);
}

// Bytes that pass the checksum but were changed (a forger's, or a bug's):
// Deserialize may accept them (the checksum is no signature) but must read
// nothing out of bounds and allocate no more than the input's size; ASan
// builds check the first.
TEST(ModuleSerializeTest, ChangedBytesWithAValidChecksumAreReadSafely) {
  std::vector<uint8_t> wasm = Wasm();
  Result<Module> compiled = Module::Compile(wasm);
  ASSERT_TRUE(compiled.ok());
  std::vector<uint8_t> saved = *compiled->Serialize();
  constexpr size_t kHeader = 28;
  // Past the build id and hashes, so the reader gets to the code.
  size_t first = kHeader + 8 + 4 + 16 + 1 + 8 + wasm.size();
  int refused = 0, accepted = 0;
  for (size_t at = first; at < saved.size(); ++at) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::vector<uint8_t> bad = saved;
      bad[at] ^= x;
      uint64_t sum = XXH3_64bits(bad.data() + kHeader, bad.size() - kHeader);
      std::memcpy(bad.data() + 20, &sum, 8);  // little-endian host
      Result<Module> r = Module::Deserialize(bad);
      if (r.ok()) {
        ++accepted;
      } else {
        ++refused;
        EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << r.status().ToString();
      }
    }
  }
  // Most changes break a count, an order or an operation number.
  EXPECT_GT(refused, 0);
  EXPECT_GT(refused + accepted, 100);
}

}  // namespace
}  // namespace deja
