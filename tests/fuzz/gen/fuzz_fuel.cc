// libFuzzer target, (d) of docs/FUZZING.md: fuel determinism on generated
// modules (wasm_gen.h), deja alone. For each exported function (after
// "refuel"), with a fuel budget F taken from the input:
//   - two runs with F end identically: outcome, trap kind, results,
//     fuel_consumed() and StateDigest();
//   - with SetSuspendOnOutOfFuel, a run with F suspends exactly where the
//     trapping run ran out (same fuel_consumed), SaveState gives the same
//     bytes twice, and restored into a fresh store and resumed with the rest
//     of a larger budget it ends exactly as one uninterrupted run with that
//     budget.
// Any difference aborts after writing the module to $DEJA_FUZZ_OUT (or .).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "deja/deja.h"
#include "wasm_gen.h"

namespace {

using deja::Outcome;
using deja::Value;

constexpr uint64_t kBudget = 400'000;  // the uninterrupted run's fuel

struct Totals {
  unsigned long long modules = 0, calls = 0, suspensions = 0, resumed = 0;
  ~Totals() { Print(); }
  // Also every 2000 modules: libFuzzer skips destructors when interrupted.
  void Print() const {
    std::fprintf(stderr,
                 "fuzz_fuel: %llu modules, %llu exports checked, %llu suspended by fuel, %llu saved, restored "
                 "and resumed, 0 differences\n",
                 modules, calls, suspensions, resumed);
  }
};
Totals totals;
constexpr unsigned long long kReportEvery = 2000;

const std::vector<uint8_t>* current_module = nullptr;

[[noreturn]] void Fail(const std::string& what) {
  const char* dir = std::getenv("DEJA_FUZZ_OUT");
  std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : ".") + "/fuel-difference.wasm";
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(current_module->data()),
            static_cast<std::streamsize>(current_module->size()));
  std::fprintf(stderr, "fuzz_fuel: %s\n  module: %s\n", what.c_str(), path.c_str());
  std::abort();
}

deja::HostAction Zeros(deja::HostCall&, std::span<uint64_t> slots) {
  for (uint64_t& s : slots) s = 0;
  return deja::HostAction::kContinue;
}

// A store with the module instantiated and "refuel" called: built the same
// way every time, as RestoreState requires.
struct Guest {
  deja::Store store;
  deja::InstanceId instance = 0;
  bool ok = false;

  explicit Guest(const deja::Module& module) : store(Limits()) {
    std::vector<deja::Extern> imports;
    for (const deja::ImportDesc& imp : module.imports()) {
      imports.push_back(store.AddHostFunc(imp.func, Zeros, nullptr, imp.name));
    }
    store.SetFuel(kBudget);
    auto inst = store.Instantiate(module, imports);
    if (!inst.ok()) return;
    instance = *inst;
    std::vector<Value> results;
    if (store.Call(*store.GetExport(instance, "refuel"), {}, &results) != Outcome::kReturned) return;
    ok = true;
  }
  static deja::StoreLimits Limits() {
    deja::StoreLimits limits;
    limits.max_stack_slots = 1 << 18;
    return limits;
  }
};

struct End {
  Outcome outcome = Outcome::kReturned;
  deja::TrapKind kind = deja::TrapKind::kHost;
  std::vector<Value> results;
  uint64_t fuel_consumed = 0;
  std::string digest;

  bool operator==(const End& o) const {
    if (outcome != o.outcome || kind != o.kind || fuel_consumed != o.fuel_consumed || digest != o.digest ||
        results.size() != o.results.size()) {
      return false;
    }
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].type != o.results[i].type || results[i].lo != o.results[i].lo ||
          results[i].hi != o.results[i].hi) {
        return false;
      }
    }
    return true;
  }
  std::string ToString() const {
    return "outcome " + std::to_string(static_cast<int>(outcome)) + " trap " + deja::TrapKindMessage(kind) +
           " fuel " + std::to_string(fuel_consumed) + " results " + std::to_string(results.size()) + " digest " +
           digest;
  }
};

End Finish(Guest& g, Outcome outcome, std::vector<Value> results) {
  End e;
  e.outcome = outcome;
  if (outcome == Outcome::kTrapped) e.kind = g.store.trap().kind;
  e.results = std::move(results);
  e.fuel_consumed = g.store.fuel_consumed();
  e.digest = g.store.StateDigest();
  return e;
}

std::vector<Value> Args(const deja::FuncType& type) {
  std::vector<Value> args;
  for (deja::ValType t : type.params) {
    args.push_back(deja::IsRefType(t) ? Value::NullRef(t) : Value{t, 1, 0});
  }
  return args;
}

End RunWithFuel(const deja::Module& module, const std::string& name, uint64_t fuel) {
  Guest g(module);
  deja::Extern f = *g.store.GetExport(g.instance, name);
  g.store.SetFuel(fuel);
  std::vector<Value> results;
  Outcome o = g.store.Call(f, Args(g.store.GetFuncType(f)), &results);
  return Finish(g, o, std::move(results));
}

void CheckExport(const deja::Module& module, const std::string& name, uint64_t fuel) {
  ++totals.calls;
  End first = RunWithFuel(module, name, fuel);
  End second = RunWithFuel(module, name, fuel);
  if (!(first == second)) Fail(name + ": two runs with fuel " + std::to_string(fuel) + " differ: " +
                               first.ToString() + " / " + second.ToString());
  if (first.outcome != Outcome::kTrapped || first.kind != deja::TrapKind::kOutOfFuel) return;

  // It ran out: suspend there instead, save, restore elsewhere, resume.
  End plain = RunWithFuel(module, name, kBudget);
  std::optional<std::vector<uint8_t>> saved;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Guest g(module);
    deja::Extern f = *g.store.GetExport(g.instance, name);
    g.store.SetSuspendOnOutOfFuel(true);
    g.store.SetFuel(fuel);
    std::vector<Value> results;
    Outcome o = g.store.Call(f, Args(g.store.GetFuncType(f)), &results);
    if (o != Outcome::kSuspended) Fail(name + ": ran out of fuel " + std::to_string(fuel) + " but did not suspend");
    ++totals.suspensions;
    if (g.store.fuel_consumed() != first.fuel_consumed) {
      Fail(name + ": suspended at fuel " + std::to_string(g.store.fuel_consumed()) + ", trapped at " +
           std::to_string(first.fuel_consumed));
    }
    auto state = g.store.SaveState();
    if (!state.ok()) Fail(name + ": SaveState: " + state.status().ToString());
    if (saved && *saved != *state) Fail(name + ": two suspensions saved different states");
    saved = *state;
  }
  if (plain.fuel_consumed <= first.fuel_consumed && plain.outcome != Outcome::kTrapped) {
    Fail(name + ": the larger budget used less fuel");
  }
  Guest r(module);
  if (auto s = r.store.RestoreState(*saved); !s.ok()) Fail(name + ": RestoreState: " + s.ToString());
  // The uninterrupted run's budget, less what was used before suspending
  // (counted from the same start: instantiation and refuel are identical).
  Guest base(module);
  uint64_t used_before = first.fuel_consumed - base.store.fuel_consumed();
  r.store.SetFuel(kBudget - used_before);
  std::vector<Value> results;
  Outcome o = r.store.Resume({}, &results);
  ++totals.resumed;
  End resumed = Finish(r, o, std::move(results));
  if (!(resumed == plain)) {
    Fail(name + ": suspended at " + std::to_string(first.fuel_consumed) + ", restored and resumed: " +
         resumed.ToString() + "; uninterrupted: " + plain.ToString());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> wasm = deja::fuzz::GenerateModule(data, size);
  current_module = &wasm;
  auto module = deja::Module::Compile(wasm);
  if (!module.ok()) Fail("generated module rejected: " + module.status().ToString());
  if (++totals.modules % kReportEvery == 0) totals.Print();
  {
    Guest probe(*module);
    if (!probe.ok) return 0;  // instantiation failed (an out-of-bounds segment, a trapping start)
  }
  // The budget: from the input's last bytes, mostly small so runs stop early.
  uint64_t fuel = size >= 2 ? (data[size - 1] | data[size - 2] << 8) % 3000 : 100;
  int checked = 0;
  for (const deja::ExportDesc& e : module->exports()) {
    if (e.kind != deja::ExternKind::kFunc || e.name == "refuel") continue;
    CheckExport(*module, e.name, fuel + 1 + 97 * static_cast<uint64_t>(checked));
    if (++checked == 4) break;
  }
  return 0;
}
