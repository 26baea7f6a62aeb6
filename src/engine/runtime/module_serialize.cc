// Module::Serialize / Deserialize: a compiled module saved as bytes (format in
// docs/embedding.md, "Saving a compiled module"). The module's binary is kept
// and its sections decoded again on load (the decoder is hardened); the body
// scan, validation and compilation are skipped, which is what the build id
// and the checksum are for. Handler words are the only process-specific
// words in compiled code: they are saved as operation numbers and turned back
// into this process's handler addresses on load.
#include <xxhash.h>

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

using engine::DeferredValue;
using engine::ResumePoint;
using engine::CatchClause;
using engine::Handler;
using engine::kNoHandler;
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

Status Damaged(const std::string& what) {
  return Status::Corruption("saved module is damaged: " + what);
}

// Compiled code is mostly small numbers (slot indices, short relative jumps,
// operation numbers) in 64-bit words: as zigzag LEB128 varints a saved
// module is about a fifth of its size in memory.
void PutVar(std::vector<u8>& out, u64 v) {
  while (v >= 0x80) {
    out.push_back(static_cast<u8>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<u8>(v));
}
u64 ZigZag(u64 v) { return (v << 1) ^ (0 - (v >> 63)); }
u64 UnZigZag(u64 v) { return (v >> 1) ^ (0 - (v & 1)); }

void PutDeltas(std::vector<u8>& out, std::span<const u32> ascending) {
  PutVar(out, ascending.size());
  u32 prev = 0;
  for (u32 x : ascending) {
    PutVar(out, x - prev);
    prev = x;
  }
}

class VarReader {
 public:
  explicit VarReader(std::span<const u8> in) : in_(in) {}
  bool Var(u64* v) {
    u64 x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      u8 b = in_[pos_++];
      x |= u64{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        *v = x;
        return true;
      }
    }
    return false;  // more than ten bytes
  }
  bool U32(u32* v) {
    u64 x;
    if (!Var(&x) || x > UINT32_MAX) return false;
    *v = static_cast<u32>(x);
    return true;
  }
  // A count of at least one-byte items: never more than the bytes left, so a
  // damaged count cannot make us allocate more than the input's size.
  bool Count(u32* n) { return U32(n) && *n <= in_.size() - pos_; }
  // `ascending` values below `limit`, stored as deltas.
  bool Deltas(u32 limit, std::vector<u32>* out) {
    u32 n;
    if (!Count(&n)) return false;
    out->resize(n);
    u64 at = 0;
    for (u32 i = 0; i < n; ++i) {
      u64 d;
      if (!Var(&d) || (i > 0 && d == 0) || d >= limit || (at += d) >= limit) return false;
      (*out)[i] = static_cast<u32>(at);
    }
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  std::span<const u8> in_;
  size_t pos_ = 0;
};

void WriteFunc(std::vector<u8>& out, const CompiledFunc& f, const std::vector<u32>& ops) {
  PutVar(out, f.num_params);
  PutVar(out, f.num_results);
  PutVar(out, f.num_locals);
  PutVar(out, f.frame_slots);
  PutVar(out, f.code.size());
  PutDeltas(out, f.op_starts);
  size_t next = 0;
  for (size_t i = 0; i < f.code.size(); ++i) {
    bool op = next < f.op_starts.size() && f.op_starts[next] == i;
    PutVar(out, op ? ops[next++] : ZigZag(f.code[i]));
  }
  PutVar(out, f.offsets.size());
  u32 prev_code = 0, prev_wasm = 0;
  for (const auto& [code_offset, wasm_offset] : f.offsets) {
    PutVar(out, code_offset - prev_code);
    PutVar(out, ZigZag(static_cast<u64>(i64{wasm_offset} - i64{prev_wasm})));
    prev_code = code_offset;
    prev_wasm = wasm_offset;
  }
  PutDeltas(out, f.fuel_ops);
  // The resume-point map (portable call stacks, exec/thread_save.cc).
  PutVar(out, f.resume_points.size());
  for (const ResumePoint& p : f.resume_points) {
    PutVar(out, p.wasm_offset);
    PutVar(out, p.pc);
    PutVar(out, p.height);
    PutVar(out, p.deferred_end);
    PutVar(out, p.kind);
  }
  PutVar(out, f.deferred.size());
  for (const DeferredValue& d : f.deferred) {
    PutVar(out, d.pos);
    PutVar(out, d.base);
    PutVar(out, d.value);
    PutVar(out, d.where);
  }
  // Exception handlers (compile/func_compiler_eh.cc).
  PutVar(out, f.num_exn_slots);
  PutVar(out, f.handlers.size());
  for (const Handler& h : f.handlers) {
    for (u32 v : {h.begin, h.end, h.region_end, h.parent, h.target, u32{h.delegate},
                  h.catches_begin, h.catches_end, h.catch_all_pc, h.height, h.level,
                  h.wasm_offset}) {
      PutVar(out, v);
    }
  }
  PutVar(out, f.catches.size());
  for (const CatchClause& c : f.catches) {
    PutVar(out, c.tag);
    PutVar(out, c.pc);
  }
}

// Handlers are checked as far as the unwinder relies on them: code
// positions, links, clause ranges and slots within the function.
bool ReadHandlers(VarReader& r, const engine::Module& module, u32 code_words, CompiledFunc* f) {
  u32 n;
  if (!r.U32(&f->num_exn_slots) || !r.Count(&n)) return false;
  if (u64{f->num_params} + f->num_locals + f->num_exn_slots > f->frame_slots) return false;
  f->handlers.resize(n);
  for (Handler& h : f->handlers) {
    u32 delegate;
    u32* fields[] = {&h.begin,         &h.end,         &h.region_end,   &h.parent,
                     &h.target,        &delegate,      &h.catches_begin, &h.catches_end,
                     &h.catch_all_pc,  &h.height,      &h.level,        &h.wasm_offset};
    for (u32* v : fields) {
      if (!r.U32(v)) return false;
    }
    h.delegate = delegate != 0;
    auto link_ok = [n](u32 link) { return link == kNoHandler || link < n; };
    auto pc_ok = [code_words](u32 pc) { return pc == kNoHandler || pc < code_words; };
    if (h.begin > h.end || h.end > code_words || !link_ok(h.parent) || !link_ok(h.target) ||
        h.catches_begin > h.catches_end || !pc_ok(h.catch_all_pc) || h.level >= f->num_exn_slots ||
        u64{f->num_params} + f->num_locals + f->num_exn_slots + h.height > f->frame_slots) {
      return false;
    }
  }
  if (!r.Count(&n)) return false;
  f->catches.resize(n);
  for (CatchClause& c : f->catches) {
    if (!r.U32(&c.tag) || !r.U32(&c.pc) || c.tag >= module.tags.size() || c.pc >= code_words) {
      return false;
    }
  }
  for (const Handler& h : f->handlers) {
    if (h.catches_end > n) return false;
  }
  return true;
}

Result<CompiledFunc> ReadFunc(VarReader& r, const engine::Module& module, u32 defined_index) {
  std::string where = "function " + std::to_string(module.num_imported_funcs + defined_index);
  Status cut = Damaged(where + " is cut short or malformed");
  CompiledFunc f;
  u32 code_words;
  if (!r.U32(&f.num_params) || !r.U32(&f.num_results) || !r.U32(&f.num_locals) ||
      !r.U32(&f.frame_slots) || !r.Count(&code_words) || !r.Deltas(code_words, &f.op_starts)) {
    return cut;
  }
  u32 type_index = module.func_types[module.num_imported_funcs + defined_index];
  if (type_index >= module.types.size()) return Damaged(where + " has no valid type");
  const FuncType& type = module.types[type_index];
  const engine::Function& def = module.code[defined_index];
  if (f.num_params != type.params.size() || f.num_results != type.results.size() ||
      f.num_locals != def.num_locals || u64{f.num_params} + f.num_locals > f.frame_slots) {
    return Damaged(where + " does not match the module's type or locals");
  }
  if (f.op_starts.empty() || f.op_starts[0] != 0) return Damaged(where + " has no entry");
  // Each instruction's operation number becomes this process's handler.
  const void* const* handlers = engine::HandlerTable();
  constexpr u64 kOps = static_cast<u64>(engine::IOp::kCount);
  f.code.resize(code_words);
  size_t next = 0;
  for (u32 i = 0; i < code_words; ++i) {
    u64 word;
    if (!r.Var(&word)) return cut;
    if (next < f.op_starts.size() && f.op_starts[next] == i) {
      ++next;
      if (word >= kOps) {
        return Damaged(where + ": unknown operation " + std::to_string(word) + " at code word " +
                       std::to_string(i));
      }
      f.code[i] = reinterpret_cast<u64>(handlers[word]);
    } else {
      f.code[i] = UnZigZag(word);
    }
  }
  u32 n;
  if (!r.Count(&n)) return cut;
  f.offsets.resize(n);
  u64 code_offset = 0;
  i64 wasm_offset = 0;
  for (auto& entry : f.offsets) {
    u64 dc, dw;
    if (!r.Var(&dc) || !r.Var(&dw)) return cut;
    code_offset += dc;
    wasm_offset += static_cast<i64>(UnZigZag(dw));
    if (code_offset > code_words || wasm_offset < 0 || wasm_offset > UINT32_MAX) {
      return Damaged(where + ": offset map out of range");
    }
    entry = {static_cast<u32>(code_offset), static_cast<u32>(wasm_offset)};
  }
  if (!r.Deltas(code_words, &f.fuel_ops)) return cut;
  // A safe point must be a Fuel op: a resumed call continues from one.
  u64 fuel = engine::HandlerWord(engine::IOp::kFuel);
  for (u32 at : f.fuel_ops) {
    if (f.code[at] != fuel) {
      return Damaged(where + ": safe point at code word " + std::to_string(at) +
                     " is not a fuel charge");
    }
  }
  if (!r.Count(&n)) return cut;
  f.resume_points.resize(n);
  u32 prev_pc = 0, prev_end = 0;
  for (ResumePoint& p : f.resume_points) {
    u32 kind;
    if (!r.U32(&p.wasm_offset) || !r.U32(&p.pc) || !r.U32(&p.height) || !r.U32(&p.deferred_end) ||
        !r.U32(&kind)) {
      return cut;
    }
    if (kind > ResumePoint::kCall || p.pc > code_words || p.pc < prev_pc ||
        p.deferred_end < prev_end) {
      return Damaged(where + ": resume point map out of order or out of range");
    }
    p.kind = static_cast<ResumePoint::Kind>(kind);
    prev_pc = p.pc;
    prev_end = p.deferred_end;
  }
  if (!r.Count(&n) || n != prev_end) return Damaged(where + ": deferred operands do not match");
  f.deferred.resize(n);
  for (DeferredValue& d : f.deferred) {
    u32 where_kind;
    if (!r.U32(&d.pos) || !r.U32(&d.base) || !r.Var(&d.value) || !r.U32(&where_kind)) return cut;
    if (where_kind < DeferredValue::kLocal || where_kind > DeferredValue::kAddend ||
        d.base >= f.frame_slots) {
      return Damaged(where + ": deferred operand out of range");
    }
    d.where = static_cast<DeferredValue::Where>(where_kind);
  }
  if (!ReadHandlers(r, module, code_words, &f)) return Damaged(where + ": exception handlers out of range");
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
  std::vector<u32> ops;
  for (size_t fi = 0; fi < cm.funcs.size(); ++fi) {
    const CompiledFunc& f = cm.funcs[fi];
    ops.clear();
    for (u32 at : f.op_starts) {
      auto it = at < f.code.size() ? op_of.find(f.code[at]) : op_of.end();
      if (it == op_of.end()) {
        return Status::Internal("function " + std::to_string(cm.module.num_imported_funcs + fi) +
                                ": code word " + std::to_string(at) +
                                " should start an instruction but is no handler");
      }
      ops.push_back(it->second);
    }
    WriteFunc(payload, f, ops);
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
  // The payload's checksum already covers the binary and its hash: the hash
  // is not computed again, and the expected binary is compared byte for byte.
  if (!expected_wasm.empty() &&
      (expected_wasm.size() != wasm.size() ||
       std::memcmp(expected_wasm.data(), wasm.data(), wasm.size()) != 0)) {
    return Status::InvalidArgument("saved module was compiled from a different binary (hash " +
                                   Hex128({hash_low, hash_high}) + ", expected " +
                                   HashOf(expected_wasm) + ")");
  }
  // The binary passed the decoder's body scan and the validator when it was
  // compiled (the hash matches): only its sections are decoded again.
  Result<engine::Module> decoded = engine::DecodeModule(wasm, {.scan_bodies = false});
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
  VarReader vr(r.rest());
  for (u32 i = 0; i < count; ++i) {
    Result<CompiledFunc> f = ReadFunc(vr, compiled->module, i);
    if (!f.ok()) return f.take_status();
    compiled->funcs.push_back(std::move(f).value());
  }
  if (vr.pos() != r.rest().size()) {
    return Damaged(std::to_string(r.rest().size() - vr.pos()) + " bytes after the end");
  }
  return Module(std::move(compiled));
}

}  // namespace deja
