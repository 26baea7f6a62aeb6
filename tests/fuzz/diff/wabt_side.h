// The wabt half of the differential harness: one module instantiated in
// wabt's reference interpreter (wabt::interp), behind an interface that uses
// only the standard library. wabt 1.0.32's interp headers do not compile as
// C++20, so wabt_side.cc alone is built as C++17; this header must stay
// valid C++17 too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace deja::fuzz {

// A value: its type as its binary-format code (0x7f i32, 0x7e i64, 0x7d f32,
// 0x7c f64, 0x70 funcref, 0x6f externref) and its bits. A reference's bits
// are 0 for null and 1 for any other reference.
struct WabtValue {
  uint8_t type = 0x7f;
  uint64_t bits = 0;
};

// Called on every call of an imported function, which then returns zeros.
using WabtHostLog = std::function<void(uint32_t import_index, const std::vector<WabtValue>& args)>;

class WabtSide {
 public:
  WabtSide();
  ~WabtSide();
  WabtSide(const WabtSide&) = delete;
  WabtSide& operator=(const WabtSide&) = delete;

  // Decodes and validates; on failure returns false with wabt's first error.
  bool Load(const uint8_t* data, size_t size, std::string* error);
  // Imports must all be functions (deja's side checks this first). On a
  // failed instantiation returns false with the trap's message.
  bool Instantiate(WabtHostLog log, std::string* trap);

  size_t export_count() const;
  std::string export_name(size_t index) const;
  // Calls exported function `index`; returns false with the trap's message
  // if it trapped.
  bool Call(size_t index, const std::vector<WabtValue>& args, std::vector<WabtValue>* results,
            std::string* trap);

  size_t memory_count() const;
  // Memory 0's bytes (requires memory_count() > 0).
  const uint8_t* memory0_data(size_t* size);
  std::vector<uint32_t> table_sizes();
  std::vector<WabtValue> globals();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deja::fuzz
