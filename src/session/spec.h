// The lower layers' views of a RunSpec, derived here and nowhere else: the
// recording's header (tm::RunInfo), a snapshot's configuration
// (snapshot::Metadata), WASI's configuration; and back: the spec of a
// resumed run from a snapshot's metadata, the spec of a replay from a
// recording's header.
#pragma once

#include <span>

#include "base/types.h"
#include "deja/status.h"
#include "deja/wasi.h"
#include "deja/session.h"
#include "snapshot/snapshot.h"
#include "timemachine/record.h"

namespace deja::session {

// argv[0] is the file as given, then spec.args.
WasiConfig GuestConfig(const RunSpec& spec);

// The recording's header, without id, start time, module hash and snapshot.
tm::RunInfo DescribeRun(const RunSpec& spec);

// What a snapshot of this run carries (no host paths: capabilities are
// granted again by whoever resumes it).
snapshot::Metadata SnapshotMetadata(const RunSpec& spec, std::span<const u8> wasm);

// The spec of a run resumed from a snapshot: argv, limits, import mode and
// the call from `meta`; environment from `meta` with `spec.env` added (a
// setting of a name replaces the saved one); capabilities, fuel, timeout,
// recording and snapshot target from `spec`. `spec.invoke` is allowed only
// when nothing was running (a pre-initialised snapshot). Errors:
// kInvalidArgument naming the field the snapshot fixes, or a bad --invoke.
Result<RunSpec> ResumeSpec(const RunSpec& spec, const snapshot::Metadata& meta);

// The spec a replay runs: limits and the call as recorded, nothing granted
// (the log answers every WASI call). `module_file` non-empty names the
// module replayed instead of the recorded one.
RunSpec SpecFromRecording(const tm::RunInfo& info, const std::string& module_file);

}  // namespace deja::session
