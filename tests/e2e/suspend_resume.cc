// The suspend -> save -> new process -> restore -> resume round trip.
//   suspend_resume_e2e save FILE    runs the guest until a host call deep in
//                                   its recursion suspends, writes the state
//   suspend_resume_e2e save-fuel FILE     the same, suspended at a safe point
//                                   by running out of fuel (SetSuspendOnOutOfFuel)
//   suspend_resume_e2e save-request FILE  the same, suspended at the first
//                                   safe point after a host call that called
//                                   Store::RequestSuspend
//   suspend_resume_e2e resume FILE  restores FILE into a fresh store, resumes,
//                                   and compares with an uninterrupted run
// FILE holds the pending host argument (4 bytes, little-endian; 0 at a safe
// point), then the Store::SaveState bytes.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "deja/deja.h"
#include "text/wat.h"

namespace {

// A tree recursion: every frame keeps i32, i64 and f64 locals live across a
// host call and across its two recursive calls; memory and a global change too.
constexpr std::string_view kGuest = R"((module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  (memory (export "mem") 1)
  (global $steps (export "steps") (mut i64) (i64.const 0))
  (func $walk (param $d i32) (param $seed i32) (result i64)
    (local $x i64) (local $f f64) (local $t i32)
    (global.set $steps (i64.add (global.get $steps) (i64.const 1)))
    (local.set $x (i64.mul (i64.extend_i32_u (local.get $seed)) (i64.const 6364136223846793005)))
    (local.set $f (f64.div (f64.convert_i32_u (local.get $seed)) (f64.const 3)))
    (if (i32.eqz (local.get $d))
      (then (return (i64.extend_i32_u (call $tick (local.get $seed))))))
    (local.set $t (call $tick (local.get $seed)))
    (i32.store (i32.shl (local.get $d) (i32.const 2))
               (i32.add (i32.load (i32.shl (local.get $d) (i32.const 2))) (local.get $t)))
    (i64.add
      (i64.xor (local.get $x) (i64.trunc_f64_u (local.get $f)))
      (i64.add
        (call $walk (i32.sub (local.get $d) (i32.const 1)) (i32.add (local.get $t) (local.get $d)))
        (call $walk (i32.sub (local.get $d) (i32.const 1)) (local.get $t)))))
  (func (export "run") (param $depth i32) (result i64)
    (i64.add (call $walk (local.get $depth) (i32.const 1)) (global.get $steps))))
)";

constexpr uint32_t kDepth = 7;
constexpr int kSuspendAt = 90;  // host call number; deep inside the recursion
constexpr uint64_t kFuel = 1'000'000;  // the budget travels with the saved state
constexpr uint64_t kSafePointFuel = 4321;  // save-fuel: suspends about halfway

uint32_t TickValue(uint32_t x) { return x * 2654435761u + 12345u; }

struct Ticker {
  int calls = 0;
  int suspend_at = 0;  // 0: never
  int request_at = 0;  // 0: never
  uint32_t pending = 0;
};

deja::HostAction Tick(deja::HostCall& call, std::span<uint64_t> slots) {
  auto* t = static_cast<Ticker*>(call.data());
  if (++t->calls == t->suspend_at) {
    t->pending = static_cast<uint32_t>(slots[0]);
    return call.Suspend();
  }
  if (t->calls == t->request_at) call.store().RequestSuspend();
  slots[0] = TickValue(static_cast<uint32_t>(slots[0]));
  return deja::HostAction::kContinue;
}

// A store built the same way in every process: same module, same host
// function, same order. That is what RestoreState requires.
struct Guest {
  deja::Store store;
  Ticker ticker;
  deja::InstanceId instance = 0;
};

// `layout` is CompileOptions::test_layout_variant: resuming under 1 a state
// saved under 0 is resuming it on a build whose compiler emits other code.
std::unique_ptr<Guest> Build(int suspend_at, uint8_t layout = 0) {
  auto wasm = deja::text::WatToWasm(kGuest);
  if (!wasm.ok()) {
    std::fprintf(stderr, "%s\n", wasm.status().ToString().c_str());
    return nullptr;
  }
  deja::CompileOptions options;
  options.test_layout_variant = layout;
  auto module = deja::Module::Compile(*wasm, options);
  if (!module.ok()) {
    std::fprintf(stderr, "%s\n", module.status().ToString().c_str());
    return nullptr;
  }
  auto g = std::make_unique<Guest>();
  g->ticker.suspend_at = suspend_at;
  deja::Linker linker;
  deja::FuncType type{{deja::ValType::kI32}, {deja::ValType::kI32}};
  linker.Define("env", "tick", g->store.AddHostFunc(type, Tick, &g->ticker, "tick"));
  auto instance = linker.Instantiate(g->store, *module);
  if (!instance.ok()) {
    std::fprintf(stderr, "%s\n", instance.status().ToString().c_str());
    return nullptr;
  }
  g->instance = *instance;
  return g;
}

deja::Outcome Run(Guest& g, std::vector<deja::Value>* results, uint64_t fuel = kFuel) {
  g.store.SetFuel(fuel);
  deja::Value args[] = {deja::Value::I32(kDepth)};
  return g.store.Call(*g.store.GetExport(g.instance, "run"), args, results);
}

int Save(std::string_view mode, const std::string& path) {
  auto g = Build(mode == "save" ? kSuspendAt : 0);
  if (!g) return 1;
  uint64_t fuel = kFuel;
  if (mode == "save-fuel") {
    g->store.SetSuspendOnOutOfFuel(true);
    fuel = kSafePointFuel;
  }
  if (mode == "save-request") g->ticker.request_at = kSuspendAt;
  std::vector<deja::Value> results;
  if (Run(*g, &results, fuel) != deja::Outcome::kSuspended) {
    std::fprintf(stderr, "save: the guest did not suspend: %s\n",
                 g->store.trap().ToString().c_str());
    return 1;
  }
  auto state = g->store.SaveState();
  if (!state.ok()) {
    std::fprintf(stderr, "save: %s\n", state.status().ToString().c_str());
    return 1;
  }
  std::ofstream out(path, std::ios::binary);
  uint32_t p = g->ticker.pending;
  const char arg[4] = {static_cast<char>(p), static_cast<char>(p >> 8),
                       static_cast<char>(p >> 16), static_cast<char>(p >> 24)};
  out.write(arg, 4);
  out.write(reinterpret_cast<const char*>(state->data()), static_cast<std::streamsize>(state->size()));
  if (!out) return 1;
  std::printf(
      "save: %s suspended after %" PRIu64 " units of fuel, %zu bytes of state\n",
      g->store.suspend_point() == deja::SuspendPoint::kSafePoint ? "safe point" : "host call",
      g->store.fuel_consumed(), state->size());
  return 0;
}

bool SameGuestState(deja::Store& a, deja::InstanceId ia, deja::Store& b, deja::InstanceId ib) {
  std::span<uint8_t> ma = a.MemoryData(*a.GetExport(ia, "mem"));
  std::span<uint8_t> mb = b.MemoryData(*b.GetExport(ib, "mem"));
  return ma.size() == mb.size() && std::memcmp(ma.data(), mb.data(), ma.size()) == 0 &&
         a.GetGlobal(*a.GetExport(ia, "steps")) == b.GetGlobal(*b.GetExport(ib, "steps"));
}

int Resume(const std::string& path, uint8_t layout) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < 4) {
    std::fprintf(stderr, "resume: cannot read %s\n", path.c_str());
    return 1;
  }
  uint32_t pending = file[0] | file[1] << 8 | file[2] << 16 | static_cast<uint32_t>(file[3]) << 24;
  std::span<const uint8_t> state = std::span<const uint8_t>(file).subspan(4);

  auto restored = Build(0, layout);
  auto plain = Build(0);
  if (!restored || !plain) return 1;

  // A damaged copy must be refused before anything is applied.
  std::vector<uint8_t> damaged(state.begin(), state.end());
  damaged[damaged.size() / 2] ^= 1;
  deja::Status bad = restored->store.RestoreState(damaged);
  if (bad.code() != deja::Status::Code::kCorruption) {
    std::fprintf(stderr, "resume: damaged state gave %s\n", bad.ToString().c_str());
    return 1;
  }

  deja::Status st = restored->store.RestoreState(state);
  if (!st.ok() || !restored->store.suspended()) {
    std::fprintf(stderr, "resume: restore failed: %s\n", st.ToString().c_str());
    return 1;
  }
  std::vector<deja::Value> got, want;
  deja::Value host_result[] = {deja::Value::I32(TickValue(pending))};
  std::span<const deja::Value> resume_with = host_result;
  if (restored->store.suspend_point() == deja::SuspendPoint::kSafePoint) {
    // The rest of the uninterrupted run's budget, whatever stopped it.
    restored->store.SetFuel(kFuel - restored->store.fuel_consumed());
    resume_with = {};
  }
  if (restored->store.Resume(resume_with, &got) != deja::Outcome::kReturned) {
    std::fprintf(stderr, "resume: %s\n", restored->store.trap().ToString().c_str());
    return 1;
  }
  if (Run(*plain, &want) != deja::Outcome::kReturned) {
    std::fprintf(stderr, "uninterrupted run: %s\n", plain->store.trap().ToString().c_str());
    return 1;
  }
  std::printf("resume: result %" PRIu64 ", uninterrupted %" PRIu64 "\n", got[0].i64(),
              want[0].i64());
  if (!plain->store.fuel_remaining() ||
      restored->store.fuel_remaining() != plain->store.fuel_remaining() ||
      restored->store.fuel_consumed() != plain->store.fuel_consumed()) {
    std::fprintf(stderr, "resume: fuel left differs from the uninterrupted run\n");
    return 1;
  }
  if (got != want || !SameGuestState(restored->store, restored->instance, plain->store,
                                     plain->instance)) {
    std::fprintf(stderr, "resume: results differ from the uninterrupted run\n");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s save|save-fuel|save-request|resume|resume-other-layout FILE\n",
                 argv[0]);
    return 2;
  }
  std::string_view mode = argv[1];
  if (mode == "save" || mode == "save-fuel" || mode == "save-request") return Save(mode, argv[2]);
  if (mode == "resume") return Resume(argv[2], 0);
  if (mode == "resume-other-layout") return Resume(argv[2], 1);
  std::fprintf(stderr, "unknown mode %s\n", argv[1]);
  return 2;
}
