// Sessions (embedding API; implemented by src/session, CMake target
// deja_session): running a guest end to end, from a module or from a
// snapshot, recorded or not, and replaying a recording. Everything the
// command line's `deja run`, `deja resume`, `deja run SNAPSHOT` and
// `deja replay` do besides parsing flags and printing lives here, so that a
// worker or a server can start many sessions in one process without copying
// the CLI. A session holds all its state itself; what is still process-wide
// (the --timeout last-resort exit, SIGUSR1) is opt-in (RunSpec) and marked
// as a seam to be replaced.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "deja/features.h"
#include "deja/imports.h"
#include "deja/module.h"
#include "deja/store.h"
#include "deja/wasi.h"

namespace deja::session {

// What to do with imports that neither WASI nor deja provides: refuse to
// start (the default), or stand in for unknown functions with ones that trap
// when called, or that return zeros (deja/imports.h).
using UnknownImports = deja::UnknownImports;

// The exit statuses a session ends with (RunResult::exit_status, what
// `deja run` returns). Part of a recording: replay reproduces them.
inline constexpr int kStatusOk = 0;
inline constexpr int kStatusFailed = 1;        // invalid module or snapshot, cannot link or instantiate
inline constexpr int kStatusUsage = 2;         // a spec that cannot run: bad values, unknown export
inline constexpr int kStatusIoError = 3;       // a file, directory, address or the registry
inline constexpr int kStatusInternal = 70;     // a bug in deja
inline constexpr int kStatusGuestLimit = 124;  // fuel, time or memory limit (as timeout(1))
inline constexpr int kStatusGuestTrap = 134;   // the guest trapped (128 + SIGABRT, as wasmtime)
inline constexpr int kStatusSuspended = 75;    // suspended, snapshot written (EX_TEMPFAIL)
// Replay only.
inline constexpr int kStatusDiverged = 65;    // the replay does not match the recording
inline constexpr int kStatusIncomplete = 66;  // the recording ends before the run did
inline constexpr int kStatusDamaged = 67;     // the log is damaged

// A module decoded, validated and compiled once, with the bytes it was
// compiled from, shared read-only by many runs (a server's per-version
// cache): RunSpec::prepared. Immutable, so safe to share across threads.
struct PreparedModule {
  std::vector<uint8_t> wasm;
  Module module;
  Features features;  // what it was compiled with
};

// Where a run starts.
enum class Source {
  kAuto,      // a snapshot if the file starts with the snapshot magic, else a module
  kModule,    // a .wasm or .wat file
  kSnapshot,  // a snapshot file (deja run --snapshot-to, deja snapshot --init)
};

// The one description of a run. For a snapshot, argv, the memory and
// descriptor limits and the import mode are the snapshot's (the fields here
// must keep their defaults: Run refuses them otherwise); `env` then adds to
// or replaces in the saved environment; capabilities (preopens, sockets) are
// always this spec's, as a snapshot carries none.
struct RunSpec {
  Source source = Source::kAuto;
  std::string file;  // module or snapshot; also argv[0] and the name in messages
  // A module already compiled (Source::kModule only; `file` still names it
  // as argv[0] and in messages, but is not read). Its features must be
  // `features`. Runs skip decoding, validating and compiling.
  std::shared_ptr<const PreparedModule> prepared;

  // The guest's world (see WasiConfig): argv[1..] of a module, environment
  // ("NAME=VALUE"), granted directories and sockets, descriptor cap.
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<WasiPreopen> preopens;
  std::vector<std::string> listen;
  std::vector<std::string> allow_connect;
  uint32_t max_fds = 1024;
  // The WebAssembly features the module is compiled with (`--wasm`).
  Features features{};
  // The guest's 0, 1, 2: host descriptors (-1: none) by default; per stream
  // an in-memory buffer or a pipe instead (WasiStream, deja/wasi.h). A
  // buffered stdout/stderr comes back in RunResult::stdout_output/stderr_output.
  int stdin_fd = 0;
  int stdout_fd = 1;
  int stderr_fd = 2;
  WasiStream stdin_stream, stdout_stream, stderr_stream;

  // Limits. max_memory_text/timeout_text are the values as the user wrote
  // them, for messages.
  StoreLimits limits;
  std::string max_memory_text;
  std::optional<uint64_t> fuel;
  std::optional<std::chrono::nanoseconds> timeout;
  std::string timeout_text;

  // Call the export `invoke` (after _initialize) instead of _start.
  std::optional<std::string> invoke;
  std::vector<std::string> invoke_args;
  UnknownImports unknown_imports = UnknownImports::kError;

  // Recording into the registry at `home` (empty: Registry::DefaultHome()).
  // A log that would grow past max_log_bytes stops recording (the run goes
  // on and is marked unreplayable; docs/RECORDING.md, "Size limit").
  bool record = true;
  std::string home;
  uint64_t max_log_bytes = uint64_t{2} << 30;
  // Continue a killed run (id, unique prefix or "last"; needs record): this
  // spec must start as that run did (same module or snapshot, arguments,
  // environment, call, directory names). Its recorded calls are replayed
  // (answered from its log: nothing in the world is done again, its output
  // is not written again) while the descriptors it opened are opened again
  // and follow its offsets; when the records run out, the guest goes on
  // live. The new run's log holds the copied records, then the live ones,
  // and names the killed run (docs/RECORDING.md, "Continuing a killed run").
  std::string continue_from;

  // Snapshots: where a suspended guest goes (empty: the guest's
  // "deja" "snapshot" call answers ENOTSUP and nothing suspends it), and a
  // suspension after this much fuel (needs snapshot_to).
  std::string snapshot_to;
  std::optional<uint64_t> suspend_after_fuel;
  // Durable sleep (needs snapshot_to): WasiOptions::park_sleep, asked before
  // the guest blocks on clocks alone; true suspends it at that call.
  std::function<bool(uint64_t wait_ns)> park_sleep;
  // The guest API of module "deja" (needs snapshot_to: a wait parks the
  // guest at its call): WasiOptions::durable. Null: those calls are ENOSYS.
  wasi::DurableHost* durable = nullptr;
  // The guest's world (clocks, files, sockets); null: the host's. The durable
  // layer's clock (carried monotonic floor, the tests' warped time) wraps it.
  std::shared_ptr<wasi::System> system;
  // Called with the guest's store once it exists and with nullptr before it
  // goes, so that another thread may call Store::RequestSuspend on it (a
  // worker draining, cancelling, or taking a periodic snapshot).
  std::function<void(Store* store)> on_store;

  // Process-wide seams, for the CLI only: SIGUSR1 asks the guest to
  // hibernate (needs snapshot_to; block it with BlockHibernateSignal() before
  // starting threads); and, with a timeout, a guest blocked in a host call
  // past the deadline ends the whole process (ExitDeadline).
  bool hibernate_on_sigusr1 = false;
  bool exit_process_at_deadline = false;
  std::string message_prefix;  // starts the ExitDeadline message ("deja run: ")
};

// How a run (or its replay) ended.
enum class RunOutcome {
  kReturned,    // _start or the invoked export returned
  kExited,      // proc_exit
  kTrapped,
  kOutOfFuel,   // the fuel limit
  kTimedOut,    // the time limit
  kSuspended,   // suspended (snapshot written, or for a replay: at the recorded suspension)
  kNotStarted,  // refused or failed before the guest ran: see `error`
};
const char* RunOutcomeName(RunOutcome outcome);  // "returned", ..., "suspended"

// Why a run did not start (RunOutcome::kNotStarted).
enum class StartError {
  kNone,
  kUsage,     // the spec asks for something impossible (flags, unknown export, bad args)
  kIo,        // a file, directory, address or the registry cannot be used
  kInvalid,   // the module or snapshot is malformed, invalid or cannot be linked/instantiated
  kLimit,     // a limit stopped instantiation (memory above max, fuel, time)
  kInternal,
};

struct RunResult {
  RunOutcome outcome = RunOutcome::kNotStarted;
  StartError error = StartError::kNone;
  int exit_status = 0;  // what `deja run` exits with (exit_status.h): recorded in the log
  std::optional<int32_t> guest_exit_code;  // proc_exit's argument
  std::string trap;                   // the trap and its backtrace (kTrapped, kOutOfFuel, kTimedOut)
  std::vector<std::string> results;   // the invoked export's results, as text
  uint64_t fuel_consumed = 0;         // in total (a resumed guest: its snapshot's share included)
  uint64_t host_calls = 0;            // recorded WASI calls (0 when not recording)
  // The exported memory's size at the end: memories only grow, so its peak.
  uint64_t memory_bytes = 0;
  std::string run_id;                 // the registry id; empty when not recorded
  std::chrono::nanoseconds duration{0};
  std::optional<std::string> snapshot_path;  // where the suspended guest was written
  std::vector<std::string> messages;  // what the session said, in order (also given to on_message)
  // What the guest wrote to a buffered stdout/stderr (RunSpec::stdout_stream).
  std::string stdout_output;
  std::string stderr_output;
};

// Where a session's output goes besides the guest's own descriptors.
struct SessionIo {
  // Each message as it is made (no prefix, no final newline; continuation
  // lines start with two spaces). May be empty.
  std::function<void(std::string_view)> on_message;
  // The invoked export's results, one per line (the CLI: stdout). May be null.
  std::ostream* results = nullptr;
};

// Runs `spec` to its end. Validates the spec, the module or snapshot and the
// capabilities before anything is recorded, so a refused start leaves no row
// in the registry; once the guest has started, every end (a failure to
// instantiate included) is recorded the same way for a module and a snapshot.
RunResult Run(const RunSpec& spec, const SessionIo& io);

// Loads and compiles a module file (.wasm or .wat) once, for many runs
// (RunSpec::prepared). Errors as Module::Compile's, or the file's kIoError,
// named by `file`.
Result<std::shared_ptr<const PreparedModule>> Prepare(const std::string& file,
                                                      const Features& features = {});

// Replaying a recording.
struct ReplaySpec {
  std::string id;           // run id, unique prefix, or "last"
  std::string home;         // empty: Registry::DefaultHome()
  std::string module_file;  // replay against this module instead of the recorded one
  std::optional<uint64_t> until;  // stop after host call N
  std::function<void(uint64_t index, uint64_t total)> progress;
  // The guest's recorded stdout (stream 1) and stderr (2) as replay
  // reproduces them, per replay; null: written to this process's fds 1 and 2.
  std::function<void(int stream, std::span<const uint8_t> bytes)> output;
  // Upgrade by replay (with module_file): a run resumed from a snapshot
  // starts instead from these snapshot file bytes (the other module's
  // state at the same point), and where the recorded run was suspended at
  // the guest's "deja" "snapshot" call the replayed engine state is kept
  // (ReplayResult::suspended_state). With another module, a suspension is
  // found by the guest's own request, never by the recorded fuel count.
  std::vector<uint8_t> start_snapshot;
  bool keep_suspended_state = false;
};

enum class ReplayVerdict {
  kMatched,   // outcome, exit status, results and final state digest match
  kStopped,   // --until reached
  kDiverged,  // a host call, the outcome or the final state differs
  kIncomplete,  // the recording ends before the run did (killed)
  kDamaged,     // the log is damaged
  kNotStarted,  // no such run, unreadable log or module: see RunResult::error
};
// Where a replay parted from its recording (ReplayVerdict::kDiverged at a
// host call). Backtraces are Wasm frames, innermost first, one "at ..." line
// each; empty when that side had no call there (its run had ended).
struct ReplayDivergence {
  uint64_t index = 0;         // of the host call, 0-based as in `deja trace`
  std::string reason;
  std::string recorded_call;  // "fd_write(1, ...)"; empty: the recording has no more calls
  std::string replayed_call;  // empty: the replayed run made no more calls
  std::string replayed_backtrace;
  // Only with ReplaySpec::module_file: the recorded module's stack at the
  // recorded call (from a second replay of it, stopped there).
  std::string recorded_backtrace;
};
struct ReplayResult {
  ReplayVerdict verdict = ReplayVerdict::kNotStarted;
  RunResult run;  // the replayed run; exit_status is what `deja replay` exits with
  // The final state's digest (with module_file: the replayed module's) and
  // the bytes of linear memory it covers, once the replay reached the end
  // (whatever the verdict: a differing digest is kDiverged).
  std::string state_digest;
  uint64_t memory_bytes = 0;
  std::string recorded_digest;  // the recording's, when its log has an end
  std::optional<ReplayDivergence> divergence;  // kDiverged at a host call
  std::string backtrace;  // kStopped: the guest's stack at the --until call
  std::vector<uint8_t> suspended_state;  // keep_suspended_state: Store::SaveState there
  uint64_t suspended_fuel = 0;
};
ReplayResult Replay(const ReplaySpec& spec, const SessionIo& io);

// Whether `path` starts with a snapshot file's magic. False also when it
// cannot be read: the caller's own open then says why.
bool IsSnapshotFile(const std::string& path);

// Blocks SIGUSR1 in the calling thread and every thread it starts later
// (RunSpec::hibernate_on_sigusr1).
void BlockHibernateSignal();

}  // namespace deja::session
