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

// A file that appears under its final name complete or not at all. Where
// the file system allows it the file has no name until Commit (O_TMPFILE), so
// a killed writer leaves nothing behind; elsewhere it is "<dir>/.tmp-<random>"
// (mode 0600), flock()ed while its writer lives so that RemoveDeadTempFiles
// can tell a dead writer's leftover at once. Removed on destruction unless
// Commit() put it in place.
class TempFile {
 public:
  static Result<TempFile> Create(const std::string& dir);
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  ~TempFile();

  int fd() const { return fd_; }
  // A path that opens the file (for an unnamed one, /proc/self/fd/N).
  const std::string& path() const { return path_; }
  Status Write(std::span<const u8> bytes);
  // fsyncs, puts the file at `dest`, closes it. With `replace` false an
  // existing `dest` is left alone and the result is kInvalidArgument
  // "... exists".
  Status Commit(const std::string& dest, bool replace);

 private:
  TempFile(int fd, std::string path, std::string dir, bool unnamed)
      : fd_(fd), path_(std::move(path)), dir_(std::move(dir)), unnamed_(unnamed) {}
  // For messages: the named path, or "a temporary file in <dir>".
  std::string What() const;
  int fd_ = -1;
  std::string path_;
  std::string dir_;
  bool unnamed_ = false;
};

// Removes the ".tmp-*" files in `dir` whose writer is gone (no flock held)
// and that have not changed for `grace_seconds` (a writer from before the
// flock was taken, or between its open and its flock). Adds their sizes to
// `*bytes_freed`. Returns how many went.
// An unlocked temporary file younger than this may be a writer's between
// its open and its flock, or one of a deja from before the lock.
inline constexpr i64 kTempGraceSeconds = 10;
Result<u64> RemoveDeadTempFiles(const std::string& dir, i64 grace_seconds, u64* bytes_freed);

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
