#include "engine/validate/validator.h"

namespace deja::engine {

Status ValidateModule(const Module& module) {
  if (module.memories.size() > 1) return Status::Invalid("multiple memories");
  return Status();
}

}  // namespace deja::engine
