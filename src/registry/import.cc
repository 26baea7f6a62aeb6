// Registry::Import: reads an export file without trusting it (every length is
// bounded by what is left of the file, every section is CRC-checked, the
// module must have the hash the manifest claims), then rebuilds the run's row
// from the log itself, as the log is the source of truth.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "registry/database.h"
#include "registry/export_format.h"
#include "registry/files.h"
#include "registry/registry.h"
#include "registry/runs.h"
#include "timemachine/log.h"

namespace deja::registry {
namespace {

constexpr size_t kCopyChunk = 1 << 20;

struct Manifest {
  std::string id;
  i64 start_unix_ns = 0;
  std::string module_hash;
};

class ExportReader {
 public:
  ExportReader(std::string path, int fd, u64 size) : path_(std::move(path)), fd_(fd), size_(size) {}

  Status Corrupt(const std::string& what) const {
    return Status::Corruption("export file " + path_ + ": " + what);
  }

  // Reads exactly `n` bytes; running out is corruption (the file was cut).
  Status ReadExact(u8* out, size_t n) {
    while (n > 0) {
      ssize_t got = ::read(fd_, out, n);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Status::IoError("cannot read " + path_ + ": " + ErrnoText());
      if (got == 0) return Corrupt("ends early at byte " + std::to_string(offset_) + " (truncated?)");
      out += got;
      n -= static_cast<size_t>(got);
      offset_ += static_cast<u64>(got);
    }
    return {};
  }

  Status Header() {
    u8 head[kExportHeaderSize];
    if (size_ < sizeof head) {
      return Status::Corruption(path_ + " is not a deja export file (too short)");
    }
    DEJA_TRY(ReadExact(head, sizeof head));
    if (std::memcmp(head, kExportMagic, sizeof kExportMagic) != 0) {
      return Status::Corruption(path_ + " is not a deja export file");
    }
    u32 version = GetU32Le(head + 8);
    if (version != kExportVersion) {
      return Corrupt("format version " + std::to_string(version) +
                     " is not supported by this deja (reads " + std::to_string(kExportVersion) +
                     ")");
    }
    return {};
  }

  bool AtEnd() const { return offset_ >= size_; }
  u64 offset() const { return offset_; }

  // The next section's header; its length is checked against the bytes left.
  Status SectionHeader(u32* type, u64* length, u32* crc) {
    u64 at = offset_;
    if (size_ - offset_ < kSectionHeaderSize) {
      return Corrupt("section header at byte " + std::to_string(at) + " is cut short (truncated?)");
    }
    u8 head[kSectionHeaderSize];
    DEJA_TRY(ReadExact(head, sizeof head));
    *type = GetU32Le(head);
    *length = GetU64Le(head + 4);
    *crc = GetU32Le(head + 12);
    if (*length > size_ - offset_) {
      return Corrupt("section at byte " + std::to_string(at) + " claims " +
                     std::to_string(*length) + " bytes but only " +
                     std::to_string(size_ - offset_) + " remain (truncated?)");
    }
    return {};
  }

  Result<std::vector<u8>> SectionBytes(u32 type, u64 length, u32 crc, u64 max,
                                       const char* name) {
    if (length > max) {
      return Corrupt(std::string(name) + " section is " + std::to_string(length) +
                     " bytes (at most " + std::to_string(max) + ")");
    }
    std::vector<u8> bytes(static_cast<size_t>(length));
    DEJA_TRY(ReadExact(bytes.data(), bytes.size()));
    if (tm::Crc32c(bytes, SectionCrcSeed(type, length)) != crc) {
      return Corrupt(std::string(name) + " section: checksum mismatch");
    }
    return bytes;
  }

  // Streams the section into `out`, checking its CRC on the way.
  Status CopySection(u32 type, u64 length, u32 crc, TempFile* out, const char* name) {
    u32 actual = SectionCrcSeed(type, length);
    std::vector<u8> chunk(static_cast<size_t>(std::min<u64>(length, kCopyChunk)));
    for (u64 left = length; left > 0;) {
      size_t n = static_cast<size_t>(std::min<u64>(left, chunk.size()));
      DEJA_TRY(ReadExact(chunk.data(), n));
      std::span<const u8> got(chunk.data(), n);
      actual = tm::Crc32c(got, actual);
      DEJA_TRY(out->Write(got));
      left -= n;
    }
    if (actual != crc) return Corrupt(std::string(name) + " section: checksum mismatch");
    return {};
  }

  Status SkipSection(u64 length) {
    if (::lseek(fd_, static_cast<off_t>(length), SEEK_CUR) < 0) {
      return Status::IoError("cannot seek in " + path_ + ": " + ErrnoText());
    }
    offset_ += length;
    return {};
  }

  Result<Manifest> ParseManifest(std::span<const u8> bytes) const {
    nlohmann::json json = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr,
                                                /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) return Corrupt("manifest is not a JSON object");
    auto text = [&](const char* key) -> const std::string* {
      auto it = json.find(key);
      return it != json.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
    };
    const std::string* format = text("format");
    if (format == nullptr || *format != "deja-export") return Corrupt("manifest: not a deja export");
    Manifest m;
    const std::string* id = text("id");
    if (id == nullptr || !IsValidRunId(*id)) return Corrupt("manifest: missing or bad run id");
    m.id = *id;
    const std::string* hash = text("module_hash");
    if (hash == nullptr || !IsValidModuleHash(*hash)) {
      return Corrupt("manifest: missing or bad module hash");
    }
    m.module_hash = *hash;
    auto start = json.find("start_unix_ns");
    if (start == json.end() || !start->is_number_integer()) {
      return Corrupt("manifest: missing start time");
    }
    m.start_unix_ns = start->get<i64>();
    return m;
  }

 private:
  std::string path_;
  int fd_;
  u64 size_;
  u64 offset_ = 0;
};

// Closes the descriptor however Import returns.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

struct LoggedRun {
  tm::RunInfo info;
  RunRow row;
};

// The run's row, rebuilt from its log at `path` (the log's RunInfo must be
// the run the manifest names).
Result<LoggedRun> ReadLog(const ExportReader& reader, const std::string& path,
                          const Manifest& manifest) {
  // The reader's messages begin with the (temporary) path; the export
  // file's name says more.
  auto log_error = [&](const Status& s) {
    std::string_view message = s.message();
    if (message.substr(0, path.size() + 2) == path + ": ") message.remove_prefix(path.size() + 2);
    return reader.Corrupt("log: " + std::string(message));
  };
  auto opened = tm::LogReader::Open(path);
  if (!opened.ok()) return log_error(opened.status());
  tm::LogReader& log = **opened;
  LoggedRun run{log.info(), {}};
  if (run.info.id != manifest.id || run.info.start_unix_ns != manifest.start_unix_ns ||
      run.info.module_hash != manifest.module_hash) {
    return reader.Corrupt("the log is of run " + run.info.id + " (" + run.info.module_hash +
                          "), the manifest of run " + manifest.id + " (" + manifest.module_hash +
                          ")");
  }
  auto records = log.Skip();
  if (!records.ok()) return log_error(records.status());
  // Imported rows have no process: pid 0 is never alive.
  run.row = StartRow(run.info, /*pid=*/0);
  if (log.end().has_value()) {
    ApplyEnd(*log.end(), &run.row);
  } else {
    // Exported while it ran, or recorded by a run that was killed.
    run.row.status = kKilled;
    run.row.host_calls = *records;
  }
  i64 size = FileSize(path);
  run.row.log_bytes = size > 0 ? static_cast<u64>(size) : 0;
  return run;
}

// Whether the log at `path` (with no row: checked by the caller) is of the
// run `manifest` names, as a killed import or `deja rm` leaves it. A fresh
// `deja run` that drew the same id has another start time.
bool IsLeftoverOf(const std::string& path, const Manifest& manifest) {
  auto log = tm::LogReader::Open(path);
  if (!log.ok()) return true;  // not even a header: nobody's log
  const tm::RunInfo& info = (*log)->info();
  return info.id == manifest.id && info.start_unix_ns == manifest.start_unix_ns &&
         info.module_hash == manifest.module_hash;
}

}  // namespace

Result<std::string> Registry::Import(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("cannot open " + path + ": " + ErrnoText());
    return Status::IoError("cannot open " + path + ": " + ErrnoText());
  }
  FdCloser closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::IoError("cannot read " + path + ": not a regular file");
  }
  ExportReader reader(path, fd, static_cast<u64>(st.st_size));
  DEJA_TRY(reader.Header());

  std::optional<Manifest> manifest;
  std::optional<std::vector<u8>> module;
  std::optional<TempFile> log;
  while (!reader.AtEnd()) {
    u32 type = 0;
    u32 crc = 0;
    u64 length = 0;
    DEJA_TRY(reader.SectionHeader(&type, &length, &crc));
    switch (static_cast<SectionType>(type)) {
      case SectionType::kManifest: {
        if (manifest.has_value()) return reader.Corrupt("two manifest sections");
        DEJA_ASSIGN_OR_RETURN(std::vector<u8> bytes,
                              reader.SectionBytes(type, length, crc, kMaxManifestBytes, "manifest"));
        DEJA_ASSIGN_OR_RETURN(manifest, reader.ParseManifest(bytes));
        break;
      }
      case SectionType::kModule: {
        if (module.has_value()) return reader.Corrupt("two module sections");
        DEJA_ASSIGN_OR_RETURN(module,
                              reader.SectionBytes(type, length, crc, kMaxExportModuleBytes, "module"));
        break;
      }
      case SectionType::kLog: {
        if (log.has_value()) return reader.Corrupt("two log sections");
        // A killed importer's file would hold disk space until gc: go now.
        u64 freed = 0;
        DEJA_TRY(RemoveDeadTempFiles(home_ + "/runs", kTempGraceSeconds, &freed).status());
        auto created = TempFile::Create(home_ + "/runs");
        if (!created.ok()) return created.take_status();
        log.emplace(std::move(created).value());
        DEJA_TRY(reader.CopySection(type, length, crc, &*log, "log"));
        break;
      }
      default:
        // A later format may add optional sections; this deja ignores them.
        DEJA_TRY(reader.SkipSection(length));
        break;
    }
  }
  if (!manifest.has_value()) return reader.Corrupt("no manifest section (truncated?)");
  if (!module.has_value()) return reader.Corrupt("no module section (truncated?)");
  if (!log.has_value()) return reader.Corrupt("no log section (truncated?)");
  std::string actual_hash = ModuleHash(*module);
  if (actual_hash != manifest->module_hash) {
    return reader.Corrupt("module hash mismatch: the manifest says " + manifest->module_hash +
                          ", the module is " + actual_hash);
  }

  const std::string& id = manifest->id;
  // Check the log before anything lands in the registry, so that a refused
  // import leaves nothing behind.
  DEJA_ASSIGN_OR_RETURN(LoggedRun run, ReadLog(reader, log->path(), *manifest));
  DEJA_TRY(PutModule(*module).status());
  // The log goes in place and the row in within one write transaction: a kill
  // before the commit leaves at most the log without a row, which the next
  // import of the same run (serialised by the same lock) takes for its own
  // leftover and replaces. So the run is either listed or importable again.
  DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_->sql.get()));
  auto existing = Get(id);
  if (existing.ok()) return Status::InvalidArgument("run " + id + " is already in the registry");
  if (existing.status().code() != Status::Code::kNotFound) return existing.take_status();
  std::string log_path = LogPath(id);
  Status placed = log->Commit(log_path, /*replace=*/false);
  if (placed.code() == Status::Code::kInvalidArgument) {
    if (!IsLeftoverOf(log_path, *manifest)) {
      return Status::InvalidArgument("run " + id + " is already in the registry (" + log_path +
                                     " exists)");
    }
    placed = log->Commit(log_path, /*replace=*/true);
  }
  DEJA_TRY(placed);
  if (Status s = InsertRun(db_->sql.get(), run.row, run.info); !s.ok()) {
    ::unlink(log_path.c_str());
    return s;
  }
  if (Status s = tx.Commit(); !s.ok()) {
    ::unlink(log_path.c_str());
    return s;
  }
  return id;
}

}  // namespace deja::registry
