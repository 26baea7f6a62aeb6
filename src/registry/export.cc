#include "registry/registry.h"

namespace deja::registry {

Status Registry::Export(const std::string& id, const std::string& path) const {
  return Status::Unsupported("export of " + id + " to " + path + " is not implemented yet");
}

Result<std::string> Registry::Import(const std::string& path) {
  return Status::Unsupported("import of " + path + " is not implemented yet");
}

}  // namespace deja::registry
