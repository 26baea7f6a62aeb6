// Typed, bounds-checked access to a guest's linear memory, for host functions
// and embedders: integers and floats (little-endian, as WebAssembly stores
// them, at any alignment), byte spans and strings at a guest address. Every
// access that would leave the memory is a kInvalidArgument Status naming the
// address, the length and the memory's size; nothing is read or written then.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "deja/status.h"

namespace deja {

// A view of one linear memory, e.g. MemoryView(call.memory()) in a host
// function or MemoryView(store.MemoryData(memory)) outside a call. It does not
// own the bytes: it stays valid until the guest runs again (memory.grow may
// change the size; the base address never moves).
class MemoryView {
 public:
  MemoryView() = default;
  explicit MemoryView(std::span<uint8_t> bytes) : mem_(bytes) {}

  uint64_t size() const { return mem_.size(); }
  bool InBounds(uint64_t addr, uint64_t len) const {
    return addr <= mem_.size() && len <= mem_.size() - addr;
  }

  // T: an integer (signed or unsigned, 1 to 8 bytes), float or double.
  template <typename T>
  Result<T> Read(uint64_t addr) const {
    static_assert(kScalar<T>, "MemoryView::Read<T>: T must be an integer or floating type");
    if (!InBounds(addr, sizeof(T))) return OutOfBounds(addr, sizeof(T));
    T value;
    std::memcpy(&value, mem_.data() + addr, sizeof(T));
    return FromLittle(value);
  }
  template <typename T>
  Status Write(uint64_t addr, T value) {
    static_assert(kScalar<T>, "MemoryView::Write<T>: T must be an integer or floating type");
    if (!InBounds(addr, sizeof(T))) return OutOfBounds(addr, sizeof(T));
    value = FromLittle(value);  // the swap is its own inverse
    std::memcpy(mem_.data() + addr, &value, sizeof(T));
    return Status();
  }

  // The bytes [addr, addr + len), without copying.
  Result<std::span<const uint8_t>> Bytes(uint64_t addr, uint64_t len) const;
  Result<std::span<uint8_t>> MutableBytes(uint64_t addr, uint64_t len);
  Status WriteBytes(uint64_t addr, std::span<const uint8_t> bytes);

  // `len` bytes at `addr` as text (not checked to be UTF-8), without copying.
  Result<std::string_view> String(uint64_t addr, uint64_t len) const;
  // A NUL-terminated string starting at `addr`, without the NUL. Errors also
  // when no NUL is found within `max_len` bytes or before the memory ends.
  Result<std::string_view> CString(uint64_t addr, uint64_t max_len = 1 << 20) const;
  // Writes the bytes of `text` (no terminator; add "\0" to the text for one).
  Status WriteString(uint64_t addr, std::string_view text);

 private:
  template <typename T>
  static constexpr bool kScalar =
      (std::is_integral_v<T> && !std::is_same_v<T, bool>) || std::is_same_v<T, float> ||
      std::is_same_v<T, double>;

  // Wasm memory is little-endian whatever the host is.
  template <typename T>
  static T FromLittle(T value) {
    if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
      unsigned char b[sizeof(T)];
      std::memcpy(b, &value, sizeof(T));
      for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
      std::memcpy(&value, b, sizeof(T));
    }
    return value;
  }

  Status OutOfBounds(uint64_t addr, uint64_t len) const;

  std::span<uint8_t> mem_;
};

}  // namespace deja
