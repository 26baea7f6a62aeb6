// The module store: each module once, named by its SHA-256
// (modules/<hex>.wasm), checked against that name whenever it is read back.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <cstdio>

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
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // EVP_Digest only fails when out of memory; an empty digest then makes a
  // hash that matches nothing, so a later GetModule reports the damage.
  if (EVP_Digest(wasm.data(), wasm.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    length = 0;
  }
  std::string out = "sha256:";
  char hex[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    out += hex;
  }
  return out;
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
