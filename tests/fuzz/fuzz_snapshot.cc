// libFuzzer target for the snapshot reader: any bytes must decode or fail
// with a Status, never crash, hang or allocate past the caps below.
#include <cstddef>
#include <cstdint>
#include <span>

#include "snapshot/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  deja::snapshot::ReadLimits limits;
  // libFuzzer's default RSS limit is 2 GiB: keep every section well under it.
  limits.max_module_bytes = 64 << 20;
  limits.max_engine_state_bytes = 256 << 20;
  limits.max_wasi_state_bytes = 16 << 20;
  (void)deja::snapshot::Decode(std::span<const uint8_t>(data, size), limits);
  return 0;
}
