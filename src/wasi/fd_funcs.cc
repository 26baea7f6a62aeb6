#include "wasi/registry.h"

namespace deja::wasi {
std::span<const FuncDef> FdFuncs() { return {}; }
}  // namespace deja::wasi
