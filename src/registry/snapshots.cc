// Snapshots that resumed runs started from (docs/snapshots.md, "Recording"):
// $DEJA_HOME/snapshots/<64 hex>, named by the SHA-256 of the file's bytes,
// so `deja replay` of a resumed run finds the state it started from. Gc
// removes those no kept run's log names (gc.cc).
#include <fcntl.h>
#include <sys/stat.h>

#include "registry/files.h"
#include "registry/registry.h"
#include "registry/runs.h"

namespace deja::registry {
namespace {

constexpr u64 kMaxSnapshotBytes = u64{64} << 30;

std::string SnapshotPath(const std::string& home, const std::string& hash) {
  return home + "/snapshots/" + hash.substr(7);  // without "sha256:"
}

}  // namespace

Result<std::string> Registry::PutSnapshot(std::span<const u8> bytes) {
  std::string hash = ModuleHash(bytes);  // the same SHA-256 naming as modules
  if (!IsValidModuleHash(hash)) return Status::Internal("cannot compute SHA-256 (OpenSSL failed)");
  DEJA_TRY(MakeDirs(home_ + "/snapshots", 0700));
  std::string path = SnapshotPath(home_, hash);
  if (FileSize(path) == static_cast<i64>(bytes.size())) {
    // Present. As PutModule: touching it renews Gc's grace period, since the
    // run's log that will name it does not exist yet.
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
    return hash;
  }
  DEJA_TRY(WriteFileAtomically(path, bytes));
  return hash;
}

Result<std::vector<u8>> Registry::GetSnapshot(const std::string& hash) const {
  if (!IsValidModuleHash(hash)) {
    return Status::InvalidArgument("\"" + hash + "\" is not a snapshot hash (sha256:<64 hex>)");
  }
  auto bytes = ReadWholeFile(SnapshotPath(home_, hash), kMaxSnapshotBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("snapshot " + hash + " is not in the registry");
    }
    return bytes.take_status();
  }
  if (ModuleHash(*bytes) != hash) return Status::Corruption("snapshot " + hash + " is damaged");
  return bytes;
}

}  // namespace deja::registry
