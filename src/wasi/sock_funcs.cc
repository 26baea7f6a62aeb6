#include "wasi/registry.h"

namespace deja::wasi {
std::span<const FuncDef> SocketFuncs() { return {}; }
}  // namespace deja::wasi
