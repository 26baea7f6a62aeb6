// The exit codes of the deja CLI: scripts rely on them, and `deja --help`
// documents them (kExitCodesHelp).
#pragma once

#include "deja/session.h"

namespace deja::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;     // invalid module, failed assertion, cannot instantiate
inline constexpr int kExitUsage = 2;      // bad flags or arguments, unknown export
inline constexpr int kExitIoError = 3;    // a file cannot be read
inline constexpr int kExitTrap = 4;       // the guest trapped (also out of fuel, timeout)
inline constexpr int kExitInternal = 70;  // a bug in deja (an unexpected exception)

// `deja run` passes the guest's own exit status through (proc_exit's code, 0
// when _start returns), so the outcomes it decides itself once the guest has
// started use codes that programs rarely return. Before the guest starts,
// failures use the codes above (1, 2, 3).
// The session layer decides them (they are recorded): deja/session.h.
inline constexpr int kExitGuestLimit = session::kStatusGuestLimit;  // fuel, --timeout or --max-memory
inline constexpr int kExitGuestTrap = session::kStatusGuestTrap;    // the guest trapped
// --snapshot-to: the guest was suspended and its snapshot written; the run
// is not over (EX_TEMPFAIL), `deja resume FILE` continues it.
inline constexpr int kExitSuspended = session::kStatusSuspended;
static_assert(kExitFailed == session::kStatusFailed && kExitUsage == session::kStatusUsage &&
              kExitIoError == session::kStatusIoError && kExitInternal == session::kStatusInternal);

inline constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0   success\n"
    "  1   the module is malformed or invalid, a wast assertion failed, or\n"
    "      the module cannot be instantiated\n"
    "  2   usage error: bad flags or arguments, unknown export\n"
    "  3   a file cannot be read\n"
    "  4   the guest trapped (including out of fuel and --timeout); the trap\n"
    "      and its WebAssembly backtrace are printed to stderr\n"
    "  70  internal error in deja\n"
    "deja run passes the guest's own exit status through and uses 124 (a limit\n"
    "stopped the guest), 134 (the guest trapped) and 75 (suspended to a\n"
    "snapshot, --snapshot-to); see `deja run --help`.";

}  // namespace deja::cli
