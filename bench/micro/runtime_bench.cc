// The embedding API's fixed costs: instantiating a small module, calling an
// export, a guest -> host -> guest round trip, and what fuel metering costs
// a compute loop.
#include "micro.h"

namespace deja::bench {
namespace {

// A small but complete module: an import, a memory with data, a table with
// elements, globals and a few functions.
constexpr std::string_view kSmallModule = R"(
(module
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello, benchmark")
  (table 4 funcref)
  (elem (i32.const 0) $add $sub $log_twice)
  (global $counter (mut i32) (i32.const 0))
  (global (export "limit") i32 (i32.const 100))
  (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $sub (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func $log_twice (param i32 i32) (result i32)
    (call $log (local.get 0)) (call $log (local.get 1)) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter)))
)";

HostAction Ignore(HostCall&, std::span<uint64_t>) { return HostAction::kContinue; }

Extern AddLog(Store& store) {
  return store.AddHostFunc(FuncType{{ValType::kI32}, {}}, Ignore, nullptr, "log");
}

Extern MustExport(const Store& store, InstanceId instance, std::string_view name) {
  std::optional<Extern> e = store.GetExport(instance, name);
  if (!e) Die(name, Status::NotFound("no such export"));
  return *e;
}

// A fresh store and one instantiation per iteration (the per-request cost of
// an embedder that runs each request in its own store).
void BM_StoreAndInstantiate(benchmark::State& state) {
  Module module = CompileWat(kSmallModule);
  for (auto _ : state) {
    Store store;
    Extern log = AddLog(store);
    Result<InstanceId> instance = store.Instantiate(module, {&log, 1});
    if (!instance.ok()) Die("instantiate", instance.status());
    benchmark::DoNotOptimize(instance);
  }
}
BENCHMARK(BM_StoreAndInstantiate)->Unit(benchmark::kMicrosecond);

// Instantiations into one store (instances accumulate; the store is replaced
// every 1,000 iterations, outside the timing, to bound its growth).
void BM_Instantiate(benchmark::State& state) {
  Module module = CompileWat(kSmallModule);
  auto store = std::make_unique<Store>();
  Extern log = AddLog(*store);
  int count = 0;
  for (auto _ : state) {
    if (++count == 1000) {
      state.PauseTiming();
      store = std::make_unique<Store>();
      log = AddLog(*store);
      count = 0;
      state.ResumeTiming();
    }
    Result<InstanceId> instance = store->Instantiate(module, {&log, 1});
    if (!instance.ok()) Die("instantiate", instance.status());
    benchmark::DoNotOptimize(instance);
  }
}
BENCHMARK(BM_Instantiate)->Unit(benchmark::kMicrosecond);

// Store::Call of (i32, i32) -> i32 from the embedder.
void BM_CallExport(benchmark::State& state) {
  Module module = CompileWat(kSmallModule);
  Store store;
  Extern log = AddLog(store);
  Result<InstanceId> instance = store.Instantiate(module, {&log, 1});
  if (!instance.ok()) Die("instantiate", instance.status());
  Extern add = MustExport(store, *instance, "add");
  const Value args[] = {Value::I32(40), Value::I32(2)};
  std::vector<Value> results;
  for (auto _ : state) {
    if (store.Call(add, args, &results) != Outcome::kReturned) Die("call", Status());
    benchmark::DoNotOptimize(results.data());
  }
}
BENCHMARK(BM_CallExport);

// A guest loop making `kCalls` calls per Store::Call, either to a host
// function (the round trip guest -> host -> guest) or, for reference, to an
// equivalent guest function. Time per item = per call.
constexpr std::string_view kCallLoop = R"(
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (func $guest (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "host_loop") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $host (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))
  (func (export "guest_loop") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $guest (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc)))
)";

HostAction AddOne(HostCall&, std::span<uint64_t> slots) {
  slots[0] = static_cast<uint32_t>(slots[0] + 1);
  return HostAction::kContinue;
}

constexpr int kCalls = 1000;

void CallLoop(benchmark::State& state, std::string_view export_name) {
  Module module = CompileWat(kCallLoop);
  Store store;
  Extern host = store.AddHostFunc(FuncType{{ValType::kI32}, {ValType::kI32}}, AddOne, nullptr, "host");
  Result<InstanceId> instance = store.Instantiate(module, {&host, 1});
  if (!instance.ok()) Die("instantiate", instance.status());
  Extern loop = MustExport(store, *instance, export_name);
  const Value args[] = {Value::I32(kCalls)};
  std::vector<Value> results;
  for (auto _ : state) {
    if (store.Call(loop, args, &results) != Outcome::kReturned) Die("call", Status());
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * kCalls);
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kCalls), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
void BM_HostCallRoundTrip(benchmark::State& state) { CallLoop(state, "host_loop"); }
void BM_GuestCallForReference(benchmark::State& state) { CallLoop(state, "guest_loop"); }
BENCHMARK(BM_HostCallRoundTrip)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GuestCallForReference)->Unit(benchmark::kMicrosecond);

// An integer hash loop (loads, multiplies, shifts, a branch) with fuel
// metering off (arg 0) and on (arg 1): the target is under 10% overhead.
constexpr std::string_view kHashLoop = R"(
(module
  (memory 1)
  (func (export "hash") (param $n i32) (result i32) (local $h i32) (local $i i32)
    (local.set $h (i32.const 0x811c9dc5))
    (loop $l
      (local.set $h (i32.mul (i32.xor (local.get $h)
                                      (i32.load8_u (i32.and (local.get $i) (i32.const 0xffff))))
                             (i32.const 16777619)))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 7)))
        (then (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $h)))
)";

void BM_FuelMetering(benchmark::State& state) {
  constexpr int kIterations = 1'000'000;
  Module module = CompileWat(kHashLoop);
  Store store;
  Result<InstanceId> instance = store.Instantiate(module, {});
  if (!instance.ok()) Die("instantiate", instance.status());
  Extern hash = MustExport(store, *instance, "hash");
  const Value args[] = {Value::I32(kIterations)};
  std::vector<Value> results;
  for (auto _ : state) {
    if (state.range(0) != 0) store.SetFuel(uint64_t{1} << 60);
    if (store.Call(hash, args, &results) != Outcome::kReturned) Die("call", Status());
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * kIterations);
}
BENCHMARK(BM_FuelMetering)->ArgName("fuel")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace deja::bench
