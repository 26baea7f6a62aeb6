// Module::Serialize / Deserialize: a compiled module saved as bytes (format in
// docs/embedding.md, "Saving a compiled module"). The module's binary is kept
// and decoded again on load (cheap, and the decoder is hardened); validation
// and compilation are skipped, which is what the build id and the checksum
// are for. Handler words are the only process-specific words in compiled
// code: they are saved as operation numbers and turned back into this
// process's handler addresses on load.
#include <xxhash.h>

#include <bit>
#include <cstring>
#include <string>
#include <unordered_map>

#include "deja/module.h"
#include "engine/compile/code.h"
#include "engine/decode/decoder.h"
#include "engine/exec/interp.h"
#include "engine/runtime/state_format.h"
#include "engine/runtime/store_impl.h"

#ifndef DEJA_MODULE_BUILD_ID
#error "DEJA_MODULE_BUILD_ID is defined by CMakeLists.txt"
#endif

namespace deja {
namespace {

using engine::CompiledFunc;
using engine::StateReader;
using engine::StateWriter;

constexpr char kMagic[8] = {'D', 'E', 'J', 'A', 'M', 'O', 'D', 'C'};
constexpr u32 kVersion = 1;
constexpr size_t kHeaderSize = 8 + 4 + 8 + 8;  // magic, version, payload size, XXH3-64
// A hash of the decoder, validator, compiler and interpreter sources
// (CMakeLists.txt): saved code is loaded only by a build that would have
// accepted and compiled the module the same way.
constexpr u64 kBuildId = DEJA_MODULE_BUILD_ID;

std::string Hex128(XXH128_hash_t h) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    u64 word = i < 8 ? h.high64 : h.low64;
    int shift = 56 - 8 * (i % 8);
    u8 byte = static_cast<u8>(word >> shift);
    out[2 * i] = kDigits[byte >> 4];
    out[2 * i + 1] = kDigits[byte & 15];
  }
  return out;
}

std::string HashOf(std::span<const u8> wasm) { return Hex128(XXH3_128bits(wasm.data(), wasm.size())); }

void WriteU32s(StateWriter& w, std::span<const u32> v) {
  w.U32(static_cast<u32>(v.size()));
  for (u32 x : v) w.U32(x);
}

Status Damaged(const std::string& what) {
  return Status::Corruption("saved module is damaged: " + what);
}

// Reads a count followed by that many u32s; the count is checked against the
// bytes left before anything is allocated.
bool ReadU32s(StateReader& r, std::vector<u32>* out) {
  u32 n;
  if (!r.U32(&n) || r.rest().size() / 4 < n) return false;
  out->resize(n);
  for (u32& x : *out) r.U32(&x);
  return true;
}

Result<CompiledFunc> ReadFunc(StateReader& r, const engine::Module& module, u32 defined_index) {
  std::string where = "function " + std::to_string(module.num_imported_funcs + defined_index);
  CompiledFunc f;
  u32 code_words;
  if (!r.U32(&f.num_params) || !r.U32(&f.num_results) || !r.U32(&f.num_locals) ||
      !r.U32(&f.frame_slots) || !r.U32(&code_words) || !ReadU32s(r, &f.op_starts)) {
    return Damaged(where + " is cut short");
  }
  u32 type_index = module.func_types[module.num_imported_funcs + defined_index];
  if (type_index >= module.types.size()) return Damaged(where + " has no valid type");
  const FuncType& type = module.types[type_index];
  const engine::Function& def = module.code[defined_index];
  if (f.num_params != type.params.size() || f.num_results != type.results.size() ||
      f.num_locals != def.num_locals || u64{f.num_params} + f.num_locals > f.frame_slots) {
    return Damaged(where + " does not match the module's type or locals");
  }
  std::span<const u8> raw;
  if (r.rest().size() / 8 < code_words || !r.Bytes(size_t{code_words} * 8, &raw)) {
    return Damaged(where + " is cut short");
  }
  f.code.resize(code_words);
  if constexpr (std::endian::native == std::endian::little) {
    if (code_words != 0) std::memcpy(f.code.data(), raw.data(), raw.size());
  } else {
    for (size_t i = 0; i < code_words; ++i) {
      u64 v = 0;
      for (int b = 0; b < 8; ++b) v |= u64{raw[i * 8 + b]} << (8 * b);
      f.code[i] = v;
    }
  }
  // Each instruction's operation number becomes this process's handler.
  const void* const* handlers = engine::HandlerTable();
  constexpr u64 kOps = static_cast<u64>(engine::IOp::kCount);
  u32 prev = 0;
  for (size_t i = 0; i < f.op_starts.size(); ++i) {
    u32 at = f.op_starts[i];
    if (at >= code_words || (i > 0 && at <= prev) || f.code[at] >= kOps) {
      return Damaged(where + ": bad instruction at code word " + std::to_string(at));
    }
    f.code[at] = reinterpret_cast<u64>(handlers[f.code[at]]);
    prev = at;
  }
  if (f.op_starts.empty() || f.op_starts[0] != 0) return Damaged(where + " has no entry");
  u32 n;
  if (!r.U32(&n) || r.rest().size() / 8 < n) return Damaged(where + " is cut short");
  f.offsets.resize(n);
  for (auto& [code_offset, wasm_offset] : f.offsets) {
    r.U32(&code_offset);
    r.U32(&wasm_offset);
    if (code_offset > code_words) return Damaged(where + ": offset map past its code");
  }
  if (!ReadU32s(r, &f.fuel_ops)) return Damaged(where + " is cut short");
  // A safe point must be a Fuel op: a resumed call continues from one.
  u64 fuel = engine::HandlerWord(engine::IOp::kFuel);
  for (u32 at : f.fuel_ops) {
    if (at >= code_words || f.code[at] != fuel) {
      return Damaged(where + ": safe point at code word " + std::to_string(at) +
                     " is not a fuel charge");
    }
  }
  return f;
}

}  // namespace

std::string Module::hash() const { return HashOf(impl_->module.bytes); }

Result<std::vector<uint8_t>> Module::Serialize() const {
  const engine::CompiledModule& cm = *impl_;
  std::unordered_map<u64, u32> op_of;  // handler address -> operation number
  const void* const* handlers = engine::HandlerTable();
  for (u32 i = 0; i < static_cast<u32>(engine::IOp::kCount); ++i) {
    op_of.emplace(reinterpret_cast<u64>(handlers[i]), i);
  }
  std::vector<u8> payload;
  StateWriter w(&payload);
  w.U64(kBuildId);
  w.U32(static_cast<u32>(engine::IOp::kCount));
  XXH128_hash_t h = XXH3_128bits(cm.module.bytes.data(), cm.module.bytes.size());
  w.U64(h.high64);
  w.U64(h.low64);
  w.U8(cm.options.canonicalize_nans ? 1 : 0);
  w.U64(cm.module.bytes.size());
  w.Bytes(cm.module.bytes);
  w.U32(static_cast<u32>(cm.funcs.size()));
  for (size_t fi = 0; fi < cm.funcs.size(); ++fi) {
    const CompiledFunc& f = cm.funcs[fi];
    w.U32(f.num_params);
    w.U32(f.num_results);
    w.U32(f.num_locals);
    w.U32(f.frame_slots);
    w.U32(static_cast<u32>(f.code.size()));
    WriteU32s(w, f.op_starts);
    size_t next = 0;
    for (size_t i = 0; i < f.code.size(); ++i) {
      u64 word = f.code[i];
      if (next < f.op_starts.size() && f.op_starts[next] == i) {
        ++next;
        auto it = op_of.find(word);
        if (it == op_of.end()) {
          return Status::Internal("function " + std::to_string(cm.module.num_imported_funcs + fi) +
                                  ": code word " + std::to_string(i) +
                                  " should start an instruction but is no handler");
        }
        word = it->second;
      }
      w.U64(word);
    }
    w.U32(static_cast<u32>(f.offsets.size()));
    for (const auto& [code_offset, wasm_offset] : f.offsets) {
      w.U32(code_offset);
      w.U32(wasm_offset);
    }
    WriteU32s(w, f.fuel_ops);
  }
  std::vector<u8> out;
  out.reserve(kHeaderSize + payload.size());
  out.insert(out.end(), kMagic, kMagic + 8);
  StateWriter hw(&out);
  hw.U32(kVersion);
  hw.U64(payload.size());
  hw.U64(XXH3_64bits(payload.data(), payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Result<Module> Module::Deserialize(std::span<const uint8_t> bytes,
                                   std::span<const uint8_t> expected_wasm) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    return Status::InvalidArgument("not a saved deja module (no DEJAMODC magic)");
  }
  StateReader header(bytes.subspan(8));
  u32 version;
  u64 size, checksum;
  if (!header.U32(&version) || !header.U64(&size) || !header.U64(&checksum)) {
    return Damaged("header cut short");
  }
  if (version != kVersion) {
    return Status::InvalidArgument("saved module has format version " + std::to_string(version) +
                                   "; this deja reads version " + std::to_string(kVersion) +
                                   ": compile the .wasm again");
  }
  std::span<const u8> payload = bytes.subspan(kHeaderSize);
  if (payload.size() != size) {
    return Damaged("payload is " + std::to_string(payload.size()) + " bytes, header says " +
                   std::to_string(size));
  }
  if (XXH3_64bits(payload.data(), payload.size()) != checksum) return Damaged("checksum mismatch");
  StateReader r(payload);
  u64 build_id, hash_high, hash_low, wasm_size;
  u32 ops;
  u8 nans;
  if (!r.U64(&build_id) || !r.U32(&ops) || !r.U64(&hash_high) || !r.U64(&hash_low) ||
      !r.U8(&nans) || !r.U64(&wasm_size)) {
    return Damaged("payload cut short");
  }
  if (build_id != kBuildId || ops != static_cast<u32>(engine::IOp::kCount)) {
    return Status::InvalidArgument(
        "saved module was written by a deja build that validates or compiles differently: "
        "compile the .wasm again and save it anew");
  }
  std::span<const u8> wasm;
  if (nans > 1 || r.rest().size() < wasm_size || !r.Bytes(wasm_size, &wasm)) {
    return Damaged("module binary cut short");
  }
  XXH128_hash_t h = XXH3_128bits(wasm.data(), wasm.size());
  if (h.high64 != hash_high || h.low64 != hash_low) return Damaged("module binary hash mismatch");
  if (!expected_wasm.empty() && HashOf(expected_wasm) != Hex128(h)) {
    return Status::InvalidArgument("saved module was compiled from a different binary (hash " +
                                   Hex128(h) + ", expected " + HashOf(expected_wasm) + ")");
  }
  Result<engine::Module> decoded = engine::DecodeModule(wasm);
  if (!decoded.ok()) return decoded.status().WithContext("saved module's binary");
  auto compiled = std::make_shared<engine::CompiledModule>();
  compiled->module = std::move(decoded).value();
  compiled->options.canonicalize_nans = nans == 1;
  u32 count;
  if (!r.U32(&count)) return Damaged("function count cut short");
  if (count != compiled->module.code.size()) {
    return Damaged("has " + std::to_string(count) + " compiled functions for a module with " +
                   std::to_string(compiled->module.code.size()));
  }
  compiled->funcs.reserve(count);
  for (u32 i = 0; i < count; ++i) {
    Result<CompiledFunc> f = ReadFunc(r, compiled->module, i);
    if (!f.ok()) return f.take_status();
    compiled->funcs.push_back(std::move(f).value());
  }
  if (!r.rest().empty()) return Damaged(std::to_string(r.rest().size()) + " bytes after the end");
  return Module(std::move(compiled));
}

}  // namespace deja
