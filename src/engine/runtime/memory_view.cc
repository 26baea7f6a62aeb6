// MemoryView's non-template parts: spans, strings and the out-of-bounds message.
#include "deja/memory.h"

#include <algorithm>
#include <string>

#include "base/hex.h"

namespace deja {

Status MemoryView::OutOfBounds(uint64_t addr, uint64_t len) const {
  return Status::InvalidArgument("out of bounds memory access: " + std::to_string(len) +
                                 " bytes at guest address " + Hex(addr) + " (memory is " +
                                 std::to_string(mem_.size()) + " bytes)");
}

Result<std::span<const uint8_t>> MemoryView::Bytes(uint64_t addr, uint64_t len) const {
  if (!InBounds(addr, len)) return OutOfBounds(addr, len);
  return std::span<const uint8_t>(mem_.subspan(addr, len));
}

Result<std::span<uint8_t>> MemoryView::MutableBytes(uint64_t addr, uint64_t len) {
  if (!InBounds(addr, len)) return OutOfBounds(addr, len);
  return mem_.subspan(addr, len);
}

Status MemoryView::WriteBytes(uint64_t addr, std::span<const uint8_t> bytes) {
  if (!InBounds(addr, bytes.size())) return OutOfBounds(addr, bytes.size());
  if (!bytes.empty()) std::memmove(mem_.data() + addr, bytes.data(), bytes.size());
  return Status();
}

Result<std::string_view> MemoryView::String(uint64_t addr, uint64_t len) const {
  if (!InBounds(addr, len)) return OutOfBounds(addr, len);
  return std::string_view(reinterpret_cast<const char*>(mem_.data() + addr), len);
}

Result<std::string_view> MemoryView::CString(uint64_t addr, uint64_t max_len) const {
  if (addr >= mem_.size()) return OutOfBounds(addr, 1);
  uint64_t limit = std::min<uint64_t>(max_len, mem_.size() - addr);
  const auto* start = reinterpret_cast<const char*>(mem_.data() + addr);
  const void* nul = std::memchr(start, 0, limit);
  if (nul == nullptr) {
    if (limit == max_len) {
      return Status::InvalidArgument("no NUL-terminated string at guest address " + Hex(addr) +
                                     " within " + std::to_string(max_len) + " bytes");
    }
    return Status::InvalidArgument("unterminated string at guest address " + Hex(addr) +
                                   ": the memory (" + std::to_string(mem_.size()) +
                                   " bytes) ends before a NUL");
  }
  return std::string_view(start, static_cast<size_t>(static_cast<const char*>(nul) - start));
}

Status MemoryView::WriteString(uint64_t addr, std::string_view text) {
  return WriteBytes(addr, std::span<const uint8_t>(
                              reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace deja
