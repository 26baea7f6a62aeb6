#include "wasi/registry.h"

namespace deja::wasi {
std::span<const FuncDef> PathFuncs() { return {}; }
}  // namespace deja::wasi
