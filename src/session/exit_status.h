// The exit statuses a session ends with. They are part of a recording (a
// log's end holds the status `deja run` returned, and replay must reproduce
// it), so they are decided here, below the CLI; cli/exit_codes.h names the
// same numbers for the commands that are not sessions.
#pragma once

namespace deja::session {

inline constexpr int kStatusOk = 0;
inline constexpr int kStatusFailed = 1;      // invalid module or snapshot, cannot link or instantiate
inline constexpr int kStatusUsage = 2;       // a spec that cannot run: bad values, unknown export
inline constexpr int kStatusIoError = 3;     // a file, directory, address or the registry
inline constexpr int kStatusInternal = 70;   // a bug in deja
inline constexpr int kStatusGuestLimit = 124;  // fuel, time or memory limit (as timeout(1))
inline constexpr int kStatusGuestTrap = 134;   // the guest trapped (128 + SIGABRT, as wasmtime)
inline constexpr int kStatusSuspended = 75;    // suspended, snapshot written (EX_TEMPFAIL)
// Replay only.
inline constexpr int kStatusDiverged = 65;    // the replay does not match the recording
inline constexpr int kStatusIncomplete = 66;  // the recording ends before the run did
inline constexpr int kStatusDamaged = 67;     // the log is damaged

}  // namespace deja::session
