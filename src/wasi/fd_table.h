// The guest's descriptor table: guest fd numbers -> host descriptors with
// their WASI type, rights and flags. Plain data apart from the host fds, so it
// can be described in a snapshot (host_path says how to reopen).
#pragma once

#include <string>
#include <vector>

#include "base/types.h"
#include "wasi/errno.h"

namespace deja::wasi {

// WASI filetype.
enum class FileType : u8 {
  kUnknown = 0, kBlockDevice = 1, kCharacterDevice = 2, kDirectory = 3, kRegularFile = 4,
  kSocketDgram = 5, kSocketStream = 6, kSymbolicLink = 7,
};

// WASI fdflags bits.
inline constexpr u16 kFdflagAppend = 1, kFdflagDsync = 2, kFdflagNonblock = 4,
                     kFdflagRsync = 8, kFdflagSync = 16;

struct FdEntry {
  int host_fd = -1;
  bool owned = true;  // closed by deja (false for inherited stdio)
  FileType type = FileType::kUnknown;
  u64 rights_base = 0;
  u64 rights_inheriting = 0;
  u16 fdflags = 0;
  bool preopen = false;     // a preopened directory; guest_path is its name
  bool read_only = false;   // beneath a read-only preopen
  bool listener = false;    // a pre-opened or guest-made listening socket
  std::string guest_path;   // preopen name, or the path it was opened by
  std::string host_path;    // absolute host path, when known
  // How a snapshot reopens a descriptor path_open made (wasi_state.cc): the
  // preopen it resolved beneath (by guest name) and its path below that.
  std::string base_preopen;
  std::string base_path;
  std::string listen_address;  // a pre-opened listener: its WasiConfig::listen entry
};

class FdTable {
 public:
  explicit FdTable(u32 max_fds) : max_(max_fds) {}
  ~FdTable();  // closes owned host descriptors
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;

  // Lowest free number; kNfile when the cap is reached.
  Errno Insert(FdEntry entry, u32* out_fd);
  // Places `entry` at exactly `fd` (stdio, preopens in order).
  Errno InsertAt(u32 fd, FdEntry entry);
  FdEntry* Get(u32 fd);  // nullptr if not open
  // Removes `fd` and returns its entry (the caller closes the host fd).
  Errno Take(u32 fd, FdEntry* out);
  // fd_renumber: `to` is closed (if open) and replaced by `from`.
  Errno Renumber(u32 from, u32 to, FdEntry* closed_out, bool* closed);

  u32 size() const { return static_cast<u32>(entries_.size()); }  // highest fd + 1
  u32 max() const { return max_; }

 private:
  std::vector<FdEntry> entries_;  // host_fd == -1 marks a free slot
  std::vector<bool> used_;
  u32 max_;
  u32 count_ = 0;
};

}  // namespace deja::wasi
