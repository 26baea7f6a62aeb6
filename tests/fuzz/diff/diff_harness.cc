#include "diff_harness.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deja/module.h"
#include "deja/store.h"
#include "deja/types.h"
#include "engine/module.h"
#include "engine/runtime/store_impl.h"
#include "wabt_side.h"

namespace deja::fuzz {
namespace {

// ---- Values --------------------------------------------------------------

// A value as both engines can report it: its deja type and its bits (for
// references, 0 for null and 1 for any non-null reference).
struct Bits {
  ValType type = ValType::kI32;
  uint64_t bits = 0;
};

bool IsNan(const Bits& v) {
  if (v.type == ValType::kF32) return std::isnan(std::bit_cast<float>(static_cast<uint32_t>(v.bits)));
  if (v.type == ValType::kF64) return std::isnan(std::bit_cast<double>(v.bits));
  return false;
}

bool IsCanonicalNan(const Bits& v) {
  if (v.type == ValType::kF32) return (v.bits & 0x7fffffffu) == 0x7fc00000u;
  if (v.type == ValType::kF64) return (v.bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
  return false;
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Format(const Bits& v) { return std::string(ValTypeName(v.type)) + ":" + Hex(v.bits); }

// The deja value `d` agrees with the wabt value `w` (same type): bit for bit,
// except that any two NaNs agree; with canonicalization, a NaN from deja that
// differs from wabt's must be canonical (constants and moves keep their bits).
bool Agrees(const Bits& d, const Bits& w, bool canonical) {
  if (d.bits == w.bits) return true;
  return IsNan(d) && IsNan(w) && (!canonical || IsCanonicalNan(d));
}

Bits FromDeja(const Value& v) {
  if (IsRefType(v.type)) return {v.type, v.is_null() ? 0u : 1u};
  if (v.type == ValType::kI32 || v.type == ValType::kF32) return {v.type, v.lo & 0xffffffffu};
  return {v.type, v.lo};
}

Bits FromWabt(const WabtValue& v) { return {static_cast<ValType>(v.type), v.bits}; }

// Argument set `set` (0..kArgSets-1) for a parameter of type `t`, as bits.
constexpr int kArgSets = 4;
uint64_t ArgBits(ValType t, int set) {
  static constexpr uint32_t kI32[kArgSets] = {0, 1, 0xffffffffu, 0x80000000u};
  static constexpr uint64_t kI64[kArgSets] = {0, 1, ~0ull, 0x8000000000000000ull};
  // 0.0, 1.0, a quiet NaN with a payload, -0.0
  static constexpr uint32_t kF32[kArgSets] = {0, 0x3f800000u, 0x7fc00001u, 0x80000000u};
  // 0.0, 1.0, +inf, the largest finite
  static constexpr uint64_t kF64[kArgSets] = {0, 0x3ff0000000000000ull, 0x7ff0000000000000ull,
                                              0x7fefffffffffffffull};
  switch (t) {
    case ValType::kI32: return kI32[set];
    case ValType::kI64: return kI64[set];
    case ValType::kF32: return kF32[set];
    case ValType::kF64: return kF64[set];
    default: return 0;  // references: null
  }
}

Value DejaArg(ValType t, int set) {
  if (IsRefType(t)) return Value::NullRef(t);
  return Value{t, ArgBits(t, set), 0};
}

WabtValue WabtArg(ValType t, int set) { return {static_cast<uint8_t>(t), ArgBits(t, set)}; }

// ---- Traps ---------------------------------------------------------------

// wabt's trap message as a deja TrapKind; kHost when it has no counterpart.
TrapKind KindOfWabtTrap(std::string_view m) {
  auto has = [&](std::string_view s) { return m.find(s) != std::string_view::npos; };
  if (has("unreachable")) return TrapKind::kUnreachable;
  if (has("exhausted")) return TrapKind::kCallStackExhausted;
  if (has("divide by zero")) return TrapKind::kIntegerDivideByZero;
  if (has("integer overflow")) return TrapKind::kIntegerOverflow;
  if (has("conversion")) return TrapKind::kInvalidConversion;
  if (has("signature mismatch") || has("type mismatch")) return TrapKind::kIndirectCallTypeMismatch;
  if (has("uninitialized")) return TrapKind::kUninitializedElement;
  if (has("undefined table index") || has("undefined element")) return TrapKind::kUndefinedElement;
  if (has("out of bounds") && has("table")) return TrapKind::kTableOutOfBounds;
  if (has("out of bounds") && has("memory")) return TrapKind::kMemoryOutOfBounds;
  return TrapKind::kHost;
}

// ---- Host imports ----------------------------------------------------------

// Both engines append one line per host call: the import and its arguments.
struct HostLog {
  std::vector<std::string> lines;
  void Add(uint32_t import, const std::vector<Bits>& args) {
    std::string line = "import " + std::to_string(import) + "(";
    for (const Bits& a : args) {
      line += ' ';
      // Any NaN agrees with any NaN.
      line += IsNan(a) ? std::string(ValTypeName(a.type)) + ":nan" : Format(a);
    }
    lines.push_back(line + " )");
  }
};

struct DejaHostData {
  HostLog* log;
  uint32_t import;
  FuncType type;
};

HostAction DejaHost(HostCall& call, std::span<uint64_t> slots) {
  auto* d = static_cast<DejaHostData*>(call.data());
  std::vector<Bits> args;
  for (size_t i = 0; i < d->type.params.size(); ++i) {
    ValType t = d->type.params[i];
    uint64_t b = slots[i];
    if (t == ValType::kI32 || t == ValType::kF32) b &= 0xffffffffu;
    if (IsRefType(t)) b = b == kNullRef ? 0 : 1;
    args.push_back({t, b});
  }
  d->log->Add(d->import, args);
  for (uint64_t& s : slots) s = 0;
  return HostAction::kContinue;
}

// ---- State comparison -----------------------------------------------------

// Stored NaNs may differ in sign and payload (the spec lets arithmetic pick
// any canonical NaN, or any arithmetic NaN for NaN inputs). If the bytes
// around the differing offset `at` hold a NaN in both memories, as an f32 or
// an f64 starting at most 7 bytes before it, returns the window's end so the
// comparison resumes there; else 0.
size_t NanWindowEnd(std::span<const uint8_t> d, const uint8_t* w, size_t at, bool canonical) {
  for (size_t width : {size_t{4}, size_t{8}}) {
    for (size_t back = 0; back < width && back <= at; ++back) {
      size_t start = at - back;
      if (start + width > d.size()) continue;
      uint64_t db = 0, wb = 0;
      std::memcpy(&db, d.data() + start, width);
      std::memcpy(&wb, w + start, width);
      ValType t = width == 4 ? ValType::kF32 : ValType::kF64;
      Bits dv{t, db}, wv{t, wb};
      if (IsNan(dv) && IsNan(wv) && (!canonical || IsCanonicalNan(dv))) return start + width;
    }
  }
  return 0;
}

// An empty string if memory 0, the tables' sizes and every global agree.
std::string CompareState(Store& store, InstanceId instance, WabtSide& wabt, bool canonical) {
  const engine::InstanceInst& inst = store.impl().instances[instance];
  if (inst.memories.size() != wabt.memory_count()) return "memory count differs";
  if (!inst.memories.empty()) {
    std::span<uint8_t> d = store.MemoryData(Extern{ExternKind::kMemory, inst.memories[0]});
    size_t wsize = 0;
    const uint8_t* w = wabt.memory0_data(&wsize);
    if (d.size() != wsize) {
      return "memory 0 size: deja " + std::to_string(d.size()) + " bytes, wabt " + std::to_string(wsize);
    }
    if (!d.empty() && std::memcmp(d.data(), w, d.size()) != 0) {
      for (size_t at = 0; at < d.size(); ++at) {
        if (d[at] == w[at]) continue;
        size_t end = NanWindowEnd(d, w, at, canonical);
        if (end != 0) {
          at = end - 1;
          continue;
        }
        return "memory 0 differs first at offset " + Hex(at) + ": deja " + Hex(d[at]) + ", wabt " +
               Hex(w[at]);
      }
    }
  }
  std::vector<uint32_t> wtables = wabt.table_sizes();
  if (inst.tables.size() != wtables.size()) return "table count differs";
  for (size_t i = 0; i < inst.tables.size(); ++i) {
    uint32_t d = store.TableSize(Extern{ExternKind::kTable, inst.tables[i]});
    if (d != wtables[i]) {
      return "table " + std::to_string(i) + " size: deja " + std::to_string(d) + ", wabt " +
             std::to_string(wtables[i]);
    }
  }
  std::vector<WabtValue> wglobals = wabt.globals();
  if (inst.globals.size() != wglobals.size()) return "global count differs";
  for (size_t i = 0; i < inst.globals.size(); ++i) {
    Bits d = FromDeja(store.GetGlobal(Extern{ExternKind::kGlobal, inst.globals[i]}));
    Bits w = FromWabt(wglobals[i]);
    if (d.type != w.type || !Agrees(d, w, canonical)) {
      return "global " + std::to_string(i) + ": deja " + Format(d) + ", wabt " + Format(w);
    }
  }
  return "";
}

std::string ArgsText(const std::vector<Value>& args) {
  std::string out = "(";
  for (size_t i = 0; i < args.size(); ++i) out += (i ? " " : "") + Format(FromDeja(args[i]));
  return out + ")";
}

uint64_t Fnv1a(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

DiffResult Mismatch(DiffResult r, std::string what) {
  r.verdict = DiffVerdict::kMismatch;
  r.report = std::move(what);
  return r;
}

DiffResult Skip(DiffResult r, std::string why) {
  r.verdict = DiffVerdict::kSkipped;
  r.report = std::move(why);
  return r;
}

}  // namespace

DiffResult RunDiff(std::span<const uint8_t> wasm, const DiffOptions& options) {
  DiffResult r;
  const bool canonical = options.canonicalize_nans;

  // Decode and validate in both.
  CompileOptions copts;
  copts.canonicalize_nans = canonical;
  Result<Module> module = Module::Compile(wasm, copts);
  if (!module.ok() && module.status().code() == Status::Code::kUnsupported) {
    return Skip(r, "deja: unsupported: " + std::string(module.status().message()));
  }
  WabtSide wabt;
  std::string wabt_error;
  bool wabt_ok = wabt.Load(wasm.data(), wasm.size(), &wabt_error);
  if (module.ok() != wabt_ok) {
    std::string wabt_says = wabt_ok ? "accepts" : "rejects: " + wabt_error;
    std::string deja_says = module.ok() ? "accepts" : "rejects: " + module.status().ToString();
    return Mismatch(r, "validation: deja " + deja_says + "; wabt " + wabt_says);
  }
  if (!wabt_ok) return Skip(r, "both reject: " + module.status().ToString());
  const engine::Module& decoded = module->impl()->module;
  if (options.max_memory_pages != 0) {
    for (const MemoryType& m : decoded.memories) {
      if (!m.limits.max || *m.limits.max > options.max_memory_pages) return Skip(r, "memory could grow too far");
    }
  }
  if (options.max_table_elements != 0) {
    for (const TableType& t : decoded.tables) {
      if (!t.limits.max || *t.limits.max > options.max_table_elements) return Skip(r, "table could grow too far");
    }
  }

  // Imports: functions only, answered with zeros and logged.
  HostLog deja_log;
  HostLog wabt_log;
  Store store;
  std::vector<Extern> imports;
  std::vector<std::unique_ptr<DejaHostData>> host_data;
  std::vector<ImportDesc> import_descs = module->imports();
  for (uint32_t i = 0; i < import_descs.size(); ++i) {
    const ImportDesc& imp = import_descs[i];
    if (imp.kind != ExternKind::kFunc) return Skip(r, "imports a non-function: " + imp.name);
    host_data.push_back(std::make_unique<DejaHostData>(DejaHostData{&deja_log, i, imp.func}));
    imports.push_back(store.AddHostFunc(imp.func, DejaHost, host_data.back().get(), imp.name));
  }
  auto wabt_host = [&wabt_log](uint32_t import, const std::vector<WabtValue>& args) {
    std::vector<Bits> bits;
    for (const WabtValue& a : args) bits.push_back(FromWabt(a));
    wabt_log.Add(import, bits);
  };

  // Instantiate in both (the start function runs here).
  store.SetFuel(options.fuel_per_call);
  Result<InstanceId> instance = store.Instantiate(*module, imports);
  if (!instance.ok() && instance.status().message().find("fuel") != std::string_view::npos) {
    return Skip(r, "start function ran out of fuel");
  }
  std::string wtrap;
  bool winstance = wabt.Instantiate(wabt_host, &wtrap);
  if (instance.ok() != winstance) {
    std::string wabt_says = winstance ? "succeeds" : "fails: " + wtrap;
    std::string deja_says = instance.ok() ? "succeeds" : "fails: " + instance.status().ToString();
    return Mismatch(r, "instantiation: deja " + deja_says + "; wabt " + wabt_says);
  }
  if (!instance.ok()) return r;  // both failed to instantiate: agreement
  if (std::string diff = CompareState(store, *instance, wabt, canonical); !diff.empty()) {
    return Mismatch(r, "after instantiation: " + diff);
  }
  if (deja_log.lines != wabt_log.lines) return Mismatch(r, "host calls during instantiation differ");

  // Every exported function, with each argument set.
  std::vector<std::pair<std::string, Extern>> exports = store.Exports(*instance);
  if (exports.size() != wabt.export_count()) return Mismatch(r, "export count differs");
  for (int set = 0; set < kArgSets; ++set) {
    for (size_t e = 0; e < exports.size(); ++e) {
      const auto& [name, ext] = exports[e];
      if (ext.kind != ExternKind::kFunc) continue;
      if (wabt.export_name(e) != name) return Mismatch(r, "export " + std::to_string(e) + " name differs");
      FuncType type = store.GetFuncType(ext);
      std::vector<Value> args;
      std::vector<WabtValue> wargs;
      for (ValType t : type.params) {
        args.push_back(DejaArg(t, set));
        wargs.push_back(WabtArg(t, set));
      }
      std::string what = "call " + name + ArgsText(args) + " [argument set " + std::to_string(set) + "]";

      store.SetFuel(options.fuel_per_call);
      std::vector<Value> results;
      Outcome outcome = store.Call(ext, args, &results);
      if (outcome == Outcome::kTrapped && store.trap().kind == TrapKind::kOutOfFuel) {
        // wabt has no comparable bound: stop here, the states now differ.
        ++r.skipped_calls;
        return r;
      }
      std::vector<WabtValue> wresults;
      std::string trap;
      bool wabt_returned = wabt.Call(e, wargs, &wresults, &trap);

      bool deja_trapped = outcome == Outcome::kTrapped;
      TrapKind deja_kind = deja_trapped ? store.trap().kind : TrapKind::kHost;
      TrapKind wabt_kind = wabt_returned ? TrapKind::kHost : KindOfWabtTrap(trap);
      if ((deja_trapped && deja_kind == TrapKind::kCallStackExhausted) ||
          (!wabt_returned && wabt_kind == TrapKind::kCallStackExhausted)) {
        // The engines' stack limits differ: not comparable from here on.
        ++r.skipped_calls;
        return r;
      }
      ++r.calls;
      if (outcome != Outcome::kReturned && outcome != Outcome::kTrapped) {
        return Mismatch(r, what + ": deja neither returned nor trapped");
      }
      if (deja_trapped && wabt_returned) {
        return Mismatch(r, what + ": deja traps (" + store.trap().ToString() + "), wabt returns");
      }
      if (!deja_trapped && !wabt_returned) {
        return Mismatch(r, what + ": deja returns, wabt traps (" + trap + ")");
      }
      if (deja_trapped && deja_kind != wabt_kind) {
        return Mismatch(r, what + ": trap kinds differ: deja " + store.trap().ToString() + "; wabt " +
                               trap);
      }
      if (!deja_trapped) {
        if (results.size() != wresults.size()) return Mismatch(r, what + ": result counts differ");
        for (size_t k = 0; k < results.size(); ++k) {
          Bits d = FromDeja(results[k]);
          Bits w = FromWabt(wresults[k]);
          if (d.type != w.type || !Agrees(d, w, canonical)) {
            return Mismatch(r, what + ": result " + std::to_string(k) + ": deja " + Format(d) + ", wabt " +
                                   Format(w));
          }
        }
      }
      if (deja_log.lines != wabt_log.lines) {
        size_t k = 0;
        while (k < deja_log.lines.size() && k < wabt_log.lines.size() &&
               deja_log.lines[k] == wabt_log.lines[k]) {
          ++k;
        }
        auto at = [&](const HostLog& l) { return k < l.lines.size() ? l.lines[k] : std::string("(none)"); };
        return Mismatch(r, what + ": host call " + std::to_string(k) + " differs: deja " + at(deja_log) +
                               "; wabt " + at(wabt_log));
      }
      if (std::string diff = CompareState(store, *instance, wabt, canonical); !diff.empty()) {
        return Mismatch(r, what + ": " + diff);
      }
    }
  }
  return r;
}

std::string WriteReproducer(std::span<const uint8_t> wasm, const DiffResult& result,
                            const std::string& out_dir) {
  std::string base = out_dir + "/mismatch-" + Hex(Fnv1a(wasm)).substr(2);
  std::ofstream bin(base + ".wasm", std::ios::binary);
  bin.write(reinterpret_cast<const char*>(wasm.data()), static_cast<std::streamsize>(wasm.size()));
  std::ofstream txt(base + ".txt");
  txt << result.report << "\n";
  if (!bin || !txt) return "";
  return base + ".wasm";
}

}  // namespace deja::fuzz
