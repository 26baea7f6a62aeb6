// Continuing a killed run (RunSpec::continue_from): finding its log and
// checking that this run starts where it started (the same module or
// snapshot, the same arguments, environment, call and directory names),
// before anything is recorded. docs/RECORDING.md, "Continuing a killed run".
#pragma once

#include <memory>
#include <span>
#include <string>

#include "base/types.h"
#include "deja/session.h"
#include "deja/status.h"
#include "timemachine/log.h"

namespace deja::session {

struct Prefix {
  std::string id;                       // the killed run's full id
  std::unique_ptr<tm::LogReader> log;   // its log, before the first record
  u64 records = 0;                      // the calls it holds
};

// Errors: kNotFound / kIoError (no such run, unreadable log), kInvalidArgument
// naming what differs between `spec` and the recorded run, kUnsupported for
// a run that ended (nothing to continue) or whose log is damaged.
Result<Prefix> OpenPrefix(const std::string& home, const RunSpec& spec, std::span<const u8> wasm,
                          std::span<const u8> snapshot);

}  // namespace deja::session
