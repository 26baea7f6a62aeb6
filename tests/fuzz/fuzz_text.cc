// libFuzzer target for the text format: any bytes given as a .wat module go
// through the nesting scan and libwabt's parser into deja's decoder,
// validator and compiler, and must end in a Status, never a crash (issue
// 13, item 6: 100,000 nested blocks overflowed libwabt's stack). Seeds:
// text_seeds/ (examples and the nested cases) and, in the smoke test, the
// spec suite's scripts (most are not single modules, so they exercise the
// error paths).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "deja/deja.h"
#include "text/wat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto wasm = deja::text::WatToWasm(text, "fuzz.wat");
  if (!wasm.ok()) return 0;
  (void)deja::Module::Compile(*wasm);
  return 0;
}
