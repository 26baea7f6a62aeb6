// Module::Compile (decode + validate + translate to slot code) throughput,
// in bytes of Wasm per second: the benchmark kernels as clang builds them,
// and synthetic modules of 1 and 30 MB.
#include <algorithm>
#include <filesystem>

#include "micro.h"

namespace deja::bench {
namespace {

// The size of the code section (function bodies), or 0 if the module cannot
// be walked: a module's total size also counts data and custom sections.
size_t CodeSectionSize(const std::vector<uint8_t>& wasm) {
  size_t pos = 8;
  while (pos < wasm.size()) {
    uint8_t id = wasm[pos++];
    uint64_t size = 0;
    for (int shift = 0; pos < wasm.size() && shift < 35; shift += 7) {
      uint8_t b = wasm[pos++];
      size |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (id == 10) return size;
    pos += size;
  }
  return 0;
}

void CompileBytes(benchmark::State& state, const std::vector<uint8_t>& wasm) {
  for (auto _ : state) {
    Result<Module> module = Module::Compile(wasm);
    if (!module.ok()) Die("compile", module.status());
    benchmark::DoNotOptimize(module);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wasm.size()));
  state.counters["wasm_bytes"] = static_cast<double>(wasm.size());
  const double code = static_cast<double>(CodeSectionSize(wasm));
  state.counters["code_bytes"] = code;
  state.counters["code_bytes_per_second"] =
      benchmark::Counter(code * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_CompileSynthetic(benchmark::State& state) {
  std::vector<uint8_t> wasm = SyntheticModule(static_cast<size_t>(state.range(0)) << 20);
  CompileBytes(state, wasm);
}
BENCHMARK(BM_CompileSynthetic)->Arg(1)->Arg(30)->Unit(benchmark::kMillisecond);

// What a process pays instead of BM_CompileSynthetic when it loads the module
// saved by Module::Serialize (docs/embedding.md, "Saving a compiled module").
void BM_LoadSavedSynthetic(benchmark::State& state) {
  std::vector<uint8_t> wasm = SyntheticModule(static_cast<size_t>(state.range(0)) << 20);
  Result<Module> module = Module::Compile(wasm);
  if (!module.ok()) Die("compile", module.status());
  Result<std::vector<uint8_t>> saved = module->Serialize();
  if (!saved.ok()) Die("serialize", saved.status());
  for (auto _ : state) {
    Result<Module> loaded = Module::Deserialize(*saved, wasm);
    if (!loaded.ok()) Die("deserialize", loaded.status());
    benchmark::DoNotOptimize(loaded);
  }
  state.counters["wasm_bytes"] = static_cast<double>(wasm.size());
  state.counters["saved_bytes"] = static_cast<double>(saved->size());
}
BENCHMARK(BM_LoadSavedSynthetic)->Arg(1)->Arg(30)->Unit(benchmark::kMillisecond);

void BM_SerializeSynthetic(benchmark::State& state) {
  std::vector<uint8_t> wasm = SyntheticModule(static_cast<size_t>(state.range(0)) << 20);
  Result<Module> module = Module::Compile(wasm);
  if (!module.ok()) Die("compile", module.status());
  for (auto _ : state) {
    Result<std::vector<uint8_t>> saved = module->Serialize();
    if (!saved.ok()) Die("serialize", saved.status());
    benchmark::DoNotOptimize(saved);
  }
}
BENCHMARK(BM_SerializeSynthetic)->Arg(30)->Unit(benchmark::kMillisecond);

// One benchmark per kernel in ${DEJA_BENCH_DIR}/wasm.
const int kRegistered = [] {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(DEJA_BENCH_DIR "/wasm", ec)) {
    if (entry.path().extension() == ".wasm") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    benchmark::RegisterBenchmark(("BM_CompileKernel/" + path.stem().string()).c_str(),
                                 [path](benchmark::State& state) {
                                   CompileBytes(state, ReadFile(path.string()));
                                 })
        ->Unit(benchmark::kMicrosecond);
  }
  return 0;
}();

}  // namespace
}  // namespace deja::bench
