#include "wasi/fd_table.h"

#include <unistd.h>

#include <utility>

namespace deja::wasi {

FdTable::~FdTable() {
  // Wasi's destructor closes descriptors through its System first; this only
  // catches tables used on their own (tests) so nothing leaks.
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (used_[i] && entries_[i].owned && entries_[i].host_fd >= 0) ::close(entries_[i].host_fd);
  }
}

Errno FdTable::Insert(FdEntry entry, u32* out_fd) {
  if (count_ >= max_) return Errno::kNfile;
  u32 fd = 0;
  while (fd < used_.size() && used_[fd]) ++fd;
  Errno e = InsertAt(fd, std::move(entry));
  if (e == Errno::kSuccess) *out_fd = fd;
  return e;
}

Errno FdTable::InsertAt(u32 fd, FdEntry entry) {
  if (count_ >= max_) return Errno::kNfile;
  // Invariant: fd numbers stay below max_ + 3 (stdio may be absent but is
  // still numbered), so a guest cannot make the table sparse and huge.
  if (u64{fd} >= u64{max_} + 3) return Errno::kNfile;
  if (fd >= used_.size()) {
    used_.resize(fd + 1, false);
    entries_.resize(fd + 1);
  }
  if (used_[fd]) return Errno::kExist;
  entries_[fd] = std::move(entry);
  used_[fd] = true;
  ++count_;
  return Errno::kSuccess;
}

FdEntry* FdTable::Get(u32 fd) {
  if (fd >= used_.size() || !used_[fd]) return nullptr;
  return &entries_[fd];
}

Errno FdTable::Take(u32 fd, FdEntry* out) {
  if (Get(fd) == nullptr) return Errno::kBadf;
  *out = std::move(entries_[fd]);
  entries_[fd] = FdEntry{};
  used_[fd] = false;
  --count_;
  while (!used_.empty() && !used_.back()) {
    used_.pop_back();
    entries_.pop_back();
  }
  return Errno::kSuccess;
}

Errno FdTable::Renumber(u32 from, u32 to, FdEntry* closed_out, bool* closed) {
  *closed = false;
  if (Get(from) == nullptr || Get(to) == nullptr) return Errno::kBadf;
  if (from == to) return Errno::kSuccess;
  *closed_out = std::move(entries_[to]);
  *closed = true;
  entries_[to] = std::move(entries_[from]);
  entries_[from] = FdEntry{};
  used_[from] = false;
  --count_;
  while (!used_.empty() && !used_.back()) {
    used_.pop_back();
    entries_.pop_back();
  }
  return Errno::kSuccess;
}

}  // namespace deja::wasi
