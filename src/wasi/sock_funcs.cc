#include "wasi/registry.h"

namespace deja::wasi {
std::span<const FuncDef> SocketFuncs() { return {}; }

Status OpenListenSockets(WasiCtx& ctx) {
  if (ctx.config.listen.empty()) return Status();
  return Status::Unsupported("--listen: listening sockets are being implemented");
}
}  // namespace deja::wasi
