// Encoding and hostile-safe decoding of snapshot files (docs/snapshots.md).
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>

#include "engine/runtime/pages.h"
#include "engine/runtime/state_format.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_bounds.h"
#include "timemachine/log_codec.h"

namespace deja::snapshot {
namespace {

enum SectionType : u32 { kMetadata = 1, kModule = 2, kEngineState = 3, kWasiState = 4 };
constexpr u32 kZstd = 1;
// type, flags, raw size, stored size, CRC-32C of the stored bytes.
constexpr size_t kSectionHeaderSize = 4 + 4 + 8 + 8 + 4;
constexpr size_t kMaxSections = 16;

void PutFixed(std::vector<u8>* out, u64 v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<u8>(v >> (8 * i)));
}

u64 GetFixed(const u8* p, int n) {
  u64 v = 0;
  for (int i = 0; i < n; ++i) v |= u64{p[i]} << (8 * i);
  return v;
}

// Sections at least this large are compressed by several threads: zstd
// splits the input into independent jobs, still one frame.
constexpr size_t kParallelBytes = 8 << 20;

int CompressionWorkers() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 1 ? static_cast<int>(std::min<long>(n, 4)) : 0;
}

// Compresses straight behind the section header, which is filled in last:
// no second buffer of the compressed size, no copy of it.
Status AddSection(std::vector<u8>* out, u32 type, std::span<const u8> raw, int level) {
  size_t head = out->size();
  out->resize(head + kSectionHeaderSize);
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  if (ctx == nullptr) return Status::Internal("zstd: cannot allocate a compression context");
  size_t ret = ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level);
  // A libzstd built without threads refuses workers; it then compresses alone.
  if (!ZSTD_isError(ret) && raw.size() >= kParallelBytes) {
    ZSTD_CCtx_setParameter(ctx, ZSTD_c_nbWorkers, CompressionWorkers());
  }
  ZSTD_inBuffer in{raw.data(), raw.size(), 0};
  while (!ZSTD_isError(ret)) {
    size_t old = out->size();
    size_t chunk = std::max<size_t>(ZSTD_CStreamOutSize(), 1 << 20);
    out->resize(old + chunk);
    ZSTD_outBuffer o{out->data() + old, chunk, 0};
    ret = ZSTD_compressStream2(ctx, &o, &in, ZSTD_e_end);
    out->resize(old + o.pos);
    if (ret == 0) break;
  }
  ZSTD_freeCCtx(ctx);
  if (ZSTD_isError(ret)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(ret));
  std::span<const u8> stored(out->data() + head + kSectionHeaderSize,
                             out->size() - head - kSectionHeaderSize);
  std::vector<u8> header;
  PutFixed(&header, type, 4);
  PutFixed(&header, kZstd, 4);
  PutFixed(&header, raw.size(), 8);
  PutFixed(&header, stored.size(), 8);
  PutFixed(&header, tm::Crc32c(stored), 4);
  std::copy(header.begin(), header.end(), out->begin() + static_cast<std::ptrdiff_t>(head));
  return Status();
}

std::string MetadataJson(const Metadata& m) {
  nlohmann::json j = {
      {"deja_version", m.deja_version},   {"module_hash", m.module_hash},
      {"module_name", m.module_name},     {"args", m.args},
      {"env", m.env},                     {"max_memory_pages", m.max_memory_pages},
      {"max_fds", m.max_fds},             {"fuel_consumed", m.fuel_consumed},
      {"invoke_args", m.invoke_args},     {"unknown_imports", m.unknown_imports},
      {"run_id", m.run_id},               {"suspend_point", m.suspend_point},
      {"entry", m.entry},
  };
  if (m.invoke) j["invoke"] = *m.invoke;
  return j.dump();
}

// The metadata's fields, checked one by one without exceptions: a message
// names the field and says what is wrong with it (issue 13, item 12).
class Fields {
 public:
  explicit Fields(const nlohmann::json& j) : j_(j) {}

  Status String(const char* key, std::string* out) {
    DEJA_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v->is_string()) return Wrong(key, "a string", *v);
    *out = v->get<std::string>();
    return Status();
  }
  Status Strings(const char* key, std::vector<std::string>* out) {
    DEJA_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    if (!v->is_array()) return Wrong(key, "an array of strings", *v);
    out->clear();
    for (const nlohmann::json& e : *v) {
      if (!e.is_string()) return Wrong(key, "an array of strings", e);
      out->push_back(e.get<std::string>());
    }
    return Status();
  }
  template <typename T>
  Status Unsigned(const char* key, T* out) {
    DEJA_ASSIGN_OR_RETURN(const nlohmann::json* v, Find(key));
    constexpr u64 kMax = std::numeric_limits<T>::max();
    if (!v->is_number_unsigned() || v->get<u64>() > kMax) {
      return Wrong(key, "a whole number from 0 to " + std::to_string(kMax), *v);
    }
    *out = static_cast<T>(v->get<u64>());
    return Status();
  }
  bool Has(const char* key) const { return j_.contains(key); }

 private:
  Result<const nlohmann::json*> Find(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) {
      return Status::Corruption(std::string("snapshot metadata lacks the field \"") + key + "\"");
    }
    return &*it;
  }
  static Status Wrong(const char* key, const std::string& want, const nlohmann::json& got) {
    std::string text = got.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return Status::Corruption(std::string("snapshot metadata field \"") + key + "\" must be " +
                              want + ", not " + text);
  }
  const nlohmann::json& j_;
};

}  // namespace

Result<Metadata> ParseMetadata(std::span<const u8> bytes) {
  nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("snapshot metadata is not a JSON object");
  }
  Metadata m;
  Fields f(j);
  DEJA_TRY(f.String("deja_version", &m.deja_version));
  DEJA_TRY(f.String("module_hash", &m.module_hash));
  DEJA_TRY(f.String("module_name", &m.module_name));
  DEJA_TRY(f.Strings("args", &m.args));
  DEJA_TRY(f.Strings("env", &m.env));
  DEJA_TRY(f.Unsigned("max_memory_pages", &m.max_memory_pages));
  DEJA_TRY(f.Unsigned("max_fds", &m.max_fds));
  DEJA_TRY(f.Unsigned("fuel_consumed", &m.fuel_consumed));
  DEJA_TRY(f.Strings("invoke_args", &m.invoke_args));
  DEJA_TRY(f.Unsigned("unknown_imports", &m.unknown_imports));
  DEJA_TRY(f.String("run_id", &m.run_id));
  DEJA_TRY(f.String("suspend_point", &m.suspend_point));
  DEJA_TRY(f.String("entry", &m.entry));
  if (f.Has("invoke")) {
    std::string invoke;
    DEJA_TRY(f.String("invoke", &invoke));
    m.invoke = std::move(invoke);
  }
  return m;
}

namespace {

// Streams the frame into a buffer that grows with the output, so a forged
// raw size costs no allocation beyond what the data really expands to. Room
// for up to 64 times the stored bytes is reserved at once (address space
// only until written): the usual ratios then need no copy as the buffer grows.
// One byte more than declared, for the check that the frame ends there.
// `check`, when given, sees the output's first bytes (up to kPrefixBytes,
// or all of it if shorter) once, before the rest is decompressed.
constexpr size_t kPrefixBytes = 1 << 20;
using PrefixCheck = std::function<Status(std::span<const u8>)>;

Result<std::vector<u8>> Decompress(std::span<const u8> stored, u64 raw_size,
                                   const PrefixCheck& check = nullptr) {
  std::vector<u8> out;
  out.reserve(
      static_cast<size_t>(std::min<u64>(raw_size + 1, u64{stored.size()} * 64 + (1 << 20))));
  engine::AdviseHugePages(out.data(), out.capacity());
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (ctx == nullptr) return Status::Internal("zstd: cannot allocate a decompression context");
  ZSTD_inBuffer in{stored.data(), stored.size(), 0};
  size_t ret = 1;
  bool checked = !check;
  Status status;
  while (true) {
    // The first chunk is only as large as the prefix to check.
    size_t chunk = static_cast<size_t>(
        std::min<u64>(raw_size + 1 - out.size(), checked ? 4 << 20 : kPrefixBytes - out.size()));
    size_t old = out.size();
    out.resize(old + chunk);
    ZSTD_outBuffer o{out.data() + old, chunk, 0};
    ret = ZSTD_decompressStream(ctx, &o, &in);
    out.resize(old + o.pos);
    if (ZSTD_isError(ret) || out.size() > raw_size) break;
    const bool end = (ret == 0 && in.pos == in.size) || (o.pos == 0 && in.pos == in.size);
    if (!checked && (out.size() >= kPrefixBytes || end)) {
      checked = true;
      status = check(std::span<const u8>(out).first(std::min(out.size(), kPrefixBytes)));
      if (!status.ok()) break;
    }
    if (end) break;  // the frame's end, or stuck: a truncated frame
  }
  ZSTD_freeDCtx(ctx);
  DEJA_TRY(status);
  if (ZSTD_isError(ret)) return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(ret));
  if (ret != 0 || out.size() != raw_size || in.pos != in.size) {
    return Status::Corruption("decompressed size differs from the declared " +
                              std::to_string(raw_size) + " bytes");
  }
  return out;
}

}  // namespace

Result<std::vector<u8>> Encode(const Snapshot& s, int level) {
  std::string meta = MetadataJson(s.meta);
  std::vector<u8> out;
  // Address space only: the compressed sections never need to move.
  size_t bound = 4096 + 4 * kSectionHeaderSize;
  for (size_t n : {meta.size(), s.module.size(), s.engine_state.size(), s.wasi_state.size()}) {
    bound += ZSTD_compressBound(n) + (1 << 20);
  }
  out.reserve(bound);
  engine::AdviseHugePages(out.data(), out.capacity());
  out.assign(kMagic, kMagic + 8);
  PutFixed(&out, kFormatVersion, 4);
  u32 state_version = s.engine_state.size() >= 12 ? static_cast<u32>(GetFixed(&s.engine_state[8], 4))
                                                   : engine::kStateVersion;
  PutFixed(&out, state_version, 4);
  std::string build = s.meta.deja_version;
  PutFixed(&out, build.size(), 2);
  out.insert(out.end(), build.begin(), build.end());
  u32 count = 2 + (s.module.empty() ? 0 : 1) + (s.wasi_state.empty() ? 0 : 1);
  PutFixed(&out, count, 4);
  DEJA_TRY(AddSection(&out, kMetadata, {reinterpret_cast<const u8*>(meta.data()), meta.size()},
                      level));
  if (!s.module.empty()) DEJA_TRY(AddSection(&out, kModule, s.module, level));
  DEJA_TRY(AddSection(&out, kEngineState, s.engine_state, level));
  if (!s.wasi_state.empty()) DEJA_TRY(AddSection(&out, kWasiState, s.wasi_state, level));
  return out;
}

Result<Snapshot> Decode(std::span<const u8> bytes, const ReadLimits& limits) {
  size_t pos = 0;
  auto need = [&](size_t n) -> Status {
    if (bytes.size() - pos < n) {
      return Status::Corruption("snapshot is truncated at byte " + std::to_string(bytes.size()));
    }
    return Status();
  };
  if (!std::equal(bytes.begin(), bytes.begin() + std::min<size_t>(bytes.size(), 8), kMagic)) {
    return Status::Corruption("not a deja snapshot (no DEJASNAP magic)");
  }
  DEJA_TRY(need(8 + 4 + 4 + 2));
  if (!std::equal(kMagic, kMagic + 8, bytes.begin())) {
    return Status::Corruption("not a deja snapshot (no DEJASNAP magic)");
  }
  u32 format = static_cast<u32>(GetFixed(&bytes[8], 4));
  u32 state_version = static_cast<u32>(GetFixed(&bytes[12], 4));
  size_t build_size = GetFixed(&bytes[16], 2);
  pos = 18;
  DEJA_TRY(need(build_size));
  std::string build(bytes.begin() + pos, bytes.begin() + pos + build_size);
  pos += build_size;
  std::string writer = build.empty() ? "" : " " + build;
  if (format != kFormatVersion) {
    return Status::Unsupported("snapshot was written by an incompatible deja" + writer +
                               " (snapshot format " + std::to_string(format) +
                               ", this deja reads " + std::to_string(kFormatVersion) + ")");
  }
  if (state_version < engine::kOldestStateVersion || state_version > engine::kStateVersion) {
    return Status::Unsupported("snapshot was written by an incompatible deja" + writer +
                               " (state format " + std::to_string(state_version) +
                               ", this deja reads " + std::to_string(engine::kOldestStateVersion) +
                               "-" + std::to_string(engine::kStateVersion) + ")");
  }
  DEJA_TRY(need(4));
  u64 count = GetFixed(&bytes[pos], 4);
  pos += 4;
  if (count > kMaxSections) return Status::Corruption("snapshot has too many sections");
  Snapshot s;
  s.engine_state_version = state_version;
  // First every section's header, size cap and CRC; nothing is decompressed
  // until all are known, so the module can bound the engine state.
  struct Section {
    u64 raw_size = 0;
    std::span<const u8> stored;
    std::string where;
  };
  std::optional<Section> sections[5];
  for (u64 i = 0; i < count; ++i) {
    size_t at = pos;
    DEJA_TRY(need(kSectionHeaderSize));
    u32 type = static_cast<u32>(GetFixed(&bytes[pos], 4));
    u32 flags = static_cast<u32>(GetFixed(&bytes[pos + 4], 4));
    u64 raw_size = GetFixed(&bytes[pos + 8], 8);
    u64 stored_size = GetFixed(&bytes[pos + 16], 8);
    u32 crc = static_cast<u32>(GetFixed(&bytes[pos + 24], 4));
    pos += kSectionHeaderSize;
    std::string where = " (section at byte " + std::to_string(at) + ")";
    if (type < kMetadata || type > kWasiState || sections[type]) {
      return Status::Corruption("snapshot has an unknown or repeated section" + where);
    }
    if (flags != kZstd) return Status::Corruption("snapshot section has unknown flags" + where);
    u64 cap = type == kMetadata      ? limits.max_metadata_bytes
              : type == kModule      ? limits.max_module_bytes
              : type == kEngineState ? limits.max_engine_state_bytes
                                     : limits.max_wasi_state_bytes;
    if (raw_size > cap) {
      return Status::Corruption("snapshot section is larger than allowed (" +
                                std::to_string(raw_size) + " > " + std::to_string(cap) +
                                " bytes)" + where);
    }
    if (stored_size > bytes.size() - pos) {
      return Status::Corruption("snapshot is truncated at byte " + std::to_string(bytes.size()) +
                                where);
    }
    std::span<const u8> stored = bytes.subspan(pos, stored_size);
    pos += stored_size;
    if (tm::Crc32c(stored) != crc) return Status::Corruption("snapshot CRC mismatch" + where);
    sections[type] = Section{raw_size, stored, where};
  }
  if (pos != bytes.size()) {
    return Status::Corruption("snapshot has " + std::to_string(bytes.size() - pos) +
                              " trailing bytes after its sections");
  }
  if (!sections[kMetadata] || !sections[kEngineState]) {
    return Status::Corruption("snapshot lacks its metadata or engine state section");
  }
  auto unpack = [&](u32 type, const PrefixCheck& check = nullptr) -> Result<std::vector<u8>> {
    const Section& sec = *sections[type];
    Result<std::vector<u8>> raw = Decompress(sec.stored, sec.raw_size, check);
    if (!raw.ok()) return raw.status().WithContext("snapshot" + sec.where);
    return raw;
  };
  DEJA_ASSIGN_OR_RETURN(std::vector<u8> meta, unpack(kMetadata));
  DEJA_ASSIGN_OR_RETURN(s.meta, ParseMetadata(meta));
  StateBound bound;
  if (sections[kModule]) {
    DEJA_ASSIGN_OR_RETURN(s.module, unpack(kModule));
    // A module that does not decode is refused later, with its own message.
    Result<StateBound> b = EngineStateBound(s.module, s.meta.max_memory_pages);
    if (b.ok()) bound = std::move(b).value();
  }
  const Section& engine = *sections[kEngineState];
  if (bound.bytes != 0 && engine.raw_size > bound.bytes) {
    return Status::Corruption(
        "snapshot engine state declares " + std::to_string(engine.raw_size) +
        " bytes, more than its module's memories, tables and globals can take (" +
        std::to_string(bound.bytes) + " bytes with at most " +
        std::to_string(s.meta.max_memory_pages) + " pages per memory)" + engine.where);
  }
  PrefixCheck check = [&](std::span<const u8> prefix) {
    return CheckStatePrefix(prefix, engine.raw_size, bound);
  };
  DEJA_ASSIGN_OR_RETURN(s.engine_state, unpack(kEngineState, check));
  if (sections[kWasiState]) {
    DEJA_ASSIGN_OR_RETURN(s.wasi_state, unpack(kWasiState));
  }
  return s;
}

}  // namespace deja::snapshot
