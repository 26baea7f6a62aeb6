#include "wasi/registry.h"

namespace deja::wasi {
std::span<const FuncDef> ProcFuncs() { return {}; }
}  // namespace deja::wasi
