#include "timemachine/record.h"

namespace deja::tm {

const char* RunEndKindName(RunEnd::Kind kind) {
  switch (kind) {
    case RunEnd::Kind::kReturned: return "returned";
    case RunEnd::Kind::kExited: return "exited";
    case RunEnd::Kind::kTrapped: return "trapped";
    case RunEnd::Kind::kOutOfFuel: return "out-of-fuel";
    case RunEnd::Kind::kInterrupted: return "timed-out";
    case RunEnd::Kind::kFailed: return "failed";
  }
  return "unknown";
}

}  // namespace deja::tm
