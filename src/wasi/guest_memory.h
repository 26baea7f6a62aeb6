// Bounds-checked access to guest linear memory for WASI calls. Every guest
// pointer goes through here (a failed check is EFAULT), and every byte the
// host writes into the guest is written through here, so the time machine can
// observe both in one place (AccessLog).
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/types.h"

namespace deja::wasi {

// Told of every guest-memory access a handler makes, in order: what it read
// (with the bytes as they were then) and which ranges it wrote. Installed by
// the time machine; nullptr (the default) costs one branch per access.
class AccessLog {
 public:
  virtual ~AccessLog() = default;
  virtual void OnRead(u32 ptr, std::span<const u8> bytes) = 0;
  virtual void OnWrite(u32 ptr, u32 len) = 0;
};

class GuestMemory {
 public:
  using Range = std::pair<u32, u32>;  // pointer, length

  explicit GuestMemory(std::span<u8> memory) : mem_(memory) {}

  bool InBounds(u32 ptr, u64 len) const { return u64{ptr} + len <= mem_.size(); }

  // Little-endian loads and stores of T at an unaligned address.
  template <typename T>
  bool Load(u32 ptr, T* out) const {
    if (!InBounds(ptr, sizeof(T))) return false;
    std::memcpy(out, mem_.data() + ptr, sizeof(T));
    NoteRead(ptr, sizeof(T));
    return true;
  }
  template <typename T>
  bool Store(u32 ptr, T value) {
    if (!InBounds(ptr, sizeof(T))) return false;
    std::memcpy(mem_.data() + ptr, &value, sizeof(T));
    NoteWrite(ptr, sizeof(T));
    return true;
  }

  // Read-only view of [ptr, ptr+len); false if out of bounds.
  bool View(u32 ptr, u32 len, std::span<const u8>* out) const {
    if (!InBounds(ptr, len)) return false;
    *out = mem_.subspan(ptr, len);
    NoteRead(ptr, len);
    return true;
  }
  // Writable view, for reads from the host straight into guest memory. The
  // range is logged as written in full when `written` is the byte count the
  // host actually produced: call Commit(ptr, written) after filling it.
  bool Writable(u32 ptr, u32 len, std::span<u8>* out) {
    if (!InBounds(ptr, len)) return false;
    *out = mem_.subspan(ptr, len);
    return true;
  }
  void Commit(u32 ptr, u32 written) { NoteWrite(ptr, written); }

  bool Write(u32 ptr, std::span<const u8> bytes) {
    if (!InBounds(ptr, bytes.size())) return false;
    if (!bytes.empty()) std::memcpy(mem_.data() + ptr, bytes.data(), bytes.size());
    NoteWrite(ptr, static_cast<u32>(bytes.size()));
    return true;
  }
  bool ReadString(u32 ptr, u32 len, std::string* out) const {
    if (!InBounds(ptr, len)) return false;
    out->assign(reinterpret_cast<const char*>(mem_.data()) + ptr, len);
    NoteRead(ptr, len);
    return true;
  }

  // When set, every access is reported to `log` (the time machine's hook).
  void set_access_log(AccessLog* log) { log_ = log; }
  // Not logged: only for size checks, never to read or write guest bytes.
  std::span<u8> raw() const { return mem_; }

 private:
  void NoteRead(u32 ptr, u32 len) const {
    if (log_ != nullptr && len != 0) log_->OnRead(ptr, mem_.subspan(ptr, len));
  }
  void NoteWrite(u32 ptr, u32 len) {
    if (log_ != nullptr && len != 0) log_->OnWrite(ptr, len);
  }
  std::span<u8> mem_;
  AccessLog* log_ = nullptr;
};

}  // namespace deja::wasi
