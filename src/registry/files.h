// File-system helpers of the registry: directories, whole-file reads with a
// size cap, and files that appear complete or not at all (temporary file,
// fsync, rename). Every error names the path.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/types.h"
#include "deja/status.h"

namespace deja::registry {

// mkdir -p with `mode` for the directories it creates.
Status MakeDirs(const std::string& path, unsigned mode);

// The whole file, refused (kResourceExhausted) when larger than `max_bytes`.
Result<std::vector<u8>> ReadWholeFile(const std::string& path, u64 max_bytes);

// A fresh, exclusively created file "<dir>/.tmp-<random>" (mode 0600),
// removed on destruction unless Commit() renamed it into place.
class TempFile {
 public:
  static Result<TempFile> Create(const std::string& dir);
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  ~TempFile();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  Status Write(std::span<const u8> bytes);
  // fsyncs, closes and renames to `dest`. With `replace` false an existing
  // `dest` is left alone and the result is kInvalidArgument "... exists".
  Status Commit(const std::string& dest, bool replace);

 private:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// Writes `bytes` to `dest` through a TempFile in the same directory.
Status WriteFileAtomically(const std::string& dest, std::span<const u8> bytes);

// Size of a regular file; -1 when it is missing or not a regular file.
i64 FileSize(const std::string& path);

// Names ending in `suffix` directly inside `dir` (not recursive).
Result<std::vector<std::string>> ListDir(const std::string& dir, const std::string& suffix);

// Seconds since the file was last modified (0 when it cannot be told).
i64 FileAgeSeconds(const std::string& path);

std::string ErrnoText();

}  // namespace deja::registry
