// The module store: each module once, named by its SHA-256
// (modules/<hex>.wasm), checked against that name whenever it is read back.
#include <fcntl.h>
// SHA256_* are deprecated in OpenSSL 3 in favour of EVP, whose provider
// initialisation costs ~1.3 ms of CPU in every process that hashes once, a
// quarter of a recorded `deja run hello.wasm`; the one-shot functions use the
// same implementation (SHA-NI where present) without it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <sys/stat.h>

#include <cstdio>

#include "base/hex.h"
#include "registry/files.h"
#include "registry/registry.h"
#include "registry/runs.h"

namespace deja::registry {
namespace {

// No Wasm module deja loads is larger (the binary format's sizes are u32).
constexpr u64 kMaxModuleBytes = u64{4} << 30;

std::string ModulePath(const std::string& home, const std::string& hash) {
  return home + "/modules/" + hash.substr(std::string_view("sha256:").size()) + ".wasm";
}

}  // namespace

std::string Registry::ModuleHash(std::span<const u8> wasm) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int length = SHA256_DIGEST_LENGTH;
  SHA256_CTX ctx;
  // These cannot fail for SHA-256; if they ever did, an empty digest makes a
  // hash that matches nothing, so a later GetModule reports the damage.
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, wasm.data(), wasm.size()) != 1 ||
      SHA256_Final(digest, &ctx) != 1) {
    length = 0;
  }
  return "sha256:" + HexBytes(std::span<const u8>(digest, length));
}

Result<std::string> Registry::PutModule(std::span<const u8> wasm) {
  std::string hash = ModuleHash(wasm);
  if (!IsValidModuleHash(hash)) return Status::Internal("cannot compute SHA-256 (OpenSSL failed)");
  std::string path = ModulePath(home_, hash);
  if (FileSize(path) == static_cast<i64>(wasm.size())) {
    // Present. Touching it tells a concurrent Gc that a run is about to
    // refer to it (Gc spares recently modified modules).
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
    return hash;
  }
  DEJA_TRY(WriteFileAtomically(path, wasm));
  return hash;
}

Result<std::vector<u8>> Registry::GetModule(const std::string& hash) const {
  if (!IsValidModuleHash(hash)) {
    return Status::InvalidArgument("\"" + hash + "\" is not a module hash (sha256:<64 hex digits>)");
  }
  std::string path = ModulePath(home_, hash);
  auto bytes = ReadWholeFile(path, kMaxModuleBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("module " + hash + " is not in the registry");
    }
    return bytes.take_status();
  }
  if (ModuleHash(*bytes) != hash) {
    return Status::Corruption("module " + hash + " is damaged: " + path +
                              " no longer has that hash");
  }
  return bytes;
}

}  // namespace deja::registry
