// Registry::Export: one run in one self-contained file (its manifest, module
// and log). The log is streamed, so a long recording is never held in memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "registry/export_format.h"
#include "registry/files.h"
#include "registry/registry.h"
#include "registry/runs.h"

namespace deja::registry {
namespace {

constexpr size_t kCopyChunk = 1 << 20;

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

class SectionWriter {
 public:
  explicit SectionWriter(TempFile* out) : out_(out) {}

  Status Header() {
    u8 head[kExportHeaderSize];
    std::memcpy(head, kExportMagic, sizeof kExportMagic);
    PutU32Le(kExportVersion, head + 8);
    return Append(head);
  }

  Status Section(SectionType type, std::span<const u8> bytes) {
    u32 crc = tm::Crc32c(bytes, SectionCrcSeed(static_cast<u32>(type), bytes.size()));
    DEJA_TRY(SectionHeader(type, bytes.size(), crc));
    return Append(bytes);
  }

  // Copies `length` bytes of `fd` as a section. The CRC is known only at the
  // end, so it is written into the header afterwards.
  Status StreamedSection(SectionType type, int fd, u64 length, const std::string& source) {
    u64 header_at = offset_;
    DEJA_TRY(SectionHeader(type, length, 0));
    u32 crc = SectionCrcSeed(static_cast<u32>(type), length);
    std::vector<u8> chunk(kCopyChunk);
    for (u64 left = length; left > 0;) {
      size_t want = static_cast<size_t>(std::min<u64>(left, chunk.size()));
      ssize_t n = ::read(fd, chunk.data(), want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::IoError("cannot read " + source + ": " + ErrnoText());
      if (n == 0) return Status::IoError("cannot read " + source + ": it shrank while exported");
      std::span<const u8> got(chunk.data(), static_cast<size_t>(n));
      crc = tm::Crc32c(got, crc);
      DEJA_TRY(Append(got));
      left -= static_cast<u64>(n);
    }
    u8 crc_bytes[4];
    PutU32Le(crc, crc_bytes);
    off_t crc_at = static_cast<off_t>(header_at + 12);
    if (::pwrite(out_->fd(), crc_bytes, 4, crc_at) != 4) {
      return Status::IoError("cannot write " + out_->path() + ": " + ErrnoText());
    }
    return {};
  }

 private:
  Status SectionHeader(SectionType type, u64 length, u32 crc) {
    u8 head[kSectionHeaderSize];
    PutU32Le(static_cast<u32>(type), head);
    PutU64Le(length, head + 4);
    PutU32Le(crc, head + 12);
    return Append(head);
  }

  Status Append(std::span<const u8> bytes) {
    DEJA_TRY(out_->Write(bytes));
    offset_ += bytes.size();
    return {};
  }

  TempFile* out_;
  u64 offset_ = 0;
};

std::string Manifest(const RunRow& row) {
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  nlohmann::json manifest = {
      {"format", "deja-export"},
      {"version", kExportVersion},
      {"id", row.id},
      {"start_unix_ns", row.start_unix_ns},
      {"module_hash", row.module_hash},
      {"module_name", row.module_name},
      {"command", row.command},
      {"status", row.status},
      {"exported_unix_ns", static_cast<i64>(now)},
  };
  // Names and arguments need not be UTF-8; "replace" keeps dump() from failing.
  return manifest.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Status Registry::Export(const std::string& id, const std::string& path) const {
  if (!IsValidRunId(id)) return Status::NotFound("no run " + id + " in the registry");
  DEJA_ASSIGN_OR_RETURN(RunRow row, Get(id));
  DEJA_ASSIGN_OR_RETURN(std::vector<u8> module, GetModule(row.module_hash));

  std::string log_path = LogPath(id);
  int log_fd = ::open(log_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (log_fd < 0) {
    if (errno == ENOENT) return Status::NotFound("run " + id + " has no log (" + log_path + ")");
    return Status::IoError("cannot open " + log_path + ": " + ErrnoText());
  }
  struct stat st;
  if (::fstat(log_fd, &st) != 0) {
    Status s = Status::IoError("cannot stat " + log_path + ": " + ErrnoText());
    ::close(log_fd);
    return s;
  }
  // A run still being recorded is exported as far as its log goes now; the
  // log only grows, so that prefix is stable.
  u64 log_length = static_cast<u64>(st.st_size);

  auto out = TempFile::Create(DirOf(path));
  if (!out.ok()) {
    ::close(log_fd);
    return out.take_status();
  }
  SectionWriter writer(&*out);
  std::string manifest = Manifest(row);
  Status s = writer.Header();
  if (s.ok()) {
    s = writer.Section(SectionType::kManifest,
                       {reinterpret_cast<const u8*>(manifest.data()), manifest.size()});
  }
  if (s.ok()) s = writer.Section(SectionType::kModule, module);
  if (s.ok()) s = writer.StreamedSection(SectionType::kLog, log_fd, log_length, log_path);
  ::close(log_fd);
  DEJA_TRY(s);
  return out->Commit(path, /*replace=*/true);
}

}  // namespace deja::registry
