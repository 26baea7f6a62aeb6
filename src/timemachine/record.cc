#include "timemachine/record.h"

#include "wasi/dispatch.h"

namespace deja::tm {

const char* RunEndKindName(RunEnd::Kind kind) {
  switch (kind) {
    case RunEnd::Kind::kReturned: return "returned";
    case RunEnd::Kind::kExited: return "exited";
    case RunEnd::Kind::kTrapped: return "trapped";
    case RunEnd::Kind::kOutOfFuel: return "out-of-fuel";
    case RunEnd::Kind::kInterrupted: return "timed-out";
    case RunEnd::Kind::kFailed: return "failed";
    case RunEnd::Kind::kInterruptedInHostCall: return "timed-out-in-call";
    case RunEnd::Kind::kSuspended: return "suspended";
  }
  return "unknown";
}

std::vector<std::string> WasiCallNames() {
  std::vector<std::string> names;
  for (const wasi::FuncDef* def : wasi::AllFuncs()) names.emplace_back(def->name);
  return names;
}

}  // namespace deja::tm
