// What a recording holds: the run's description (RunInfo), one CallRecord
// per WASI call, and how the run ended (RunEnd). docs/RECORDING.md gives
// their byte encoding inside a log file (log.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/types.h"
#include "deja/status.h"

namespace deja::tm {

// Everything needed to run the same module the same way again, and to show
// people what was run. Written once, at the start of a log.
struct RunInfo {
  std::string id;               // registry run id (12 lowercase hex digits)
  i64 start_unix_ns = 0;        // wall-clock start
  std::string deja_version;     // of the recording deja
  std::string module_hash;      // "sha256:<64 hex>" of the Wasm binary
  std::string module_name;      // the file as given on the command line
  std::vector<std::string> args;  // argv (argv[0] is the module as given)
  std::vector<std::string> env;   // "NAME=VALUE" as granted
  std::vector<std::string> dirs;  // "HOST::GUEST" or "HOST::GUEST:ro", in guest fd order
  std::vector<std::string> listen;
  std::vector<std::string> allow_connect;
  std::optional<std::string> invoke;      // --invoke NAME
  std::vector<std::string> invoke_args;
  u64 max_memory_pages = 65536;
  std::optional<u64> fuel;                // --fuel
  std::string timeout;                    // --timeout as given; empty = none
  u32 max_fds = 1024;
  u8 unknown_imports = 0;                 // cli::UnknownImports as a number
  // WASI function names by call id (the recording deja's wasi::AllFuncs()
  // order): CallRecord::call indexes this, so a log stays readable when a
  // later deja numbers its functions differently.
  std::vector<std::string> call_names;
  // A run continued by `deja resume`: the "sha256:..." of the snapshot it
  // started from (in the registry), which replay restores first. Empty
  // otherwise. Encoded last in the header, so older logs still decode.
  std::string resumed_from;
  // A run continued from a killed one (RunSpec::continue_from): that run's
  // id, and how many of this log's first calls are its records, copied (the
  // rest were made live). Replay needs neither: the log holds every call.
  // Encoded after resumed_from, so older logs still decode.
  std::string continued_from;
  u64 continued_calls = 0;
};

// How the recorded run ended. Written once, last; absent when the run was
// killed (the log is then read up to its last complete record).
struct RunEnd {
  enum class Kind : u8 {
    kReturned = 0,     // _start (or the --invoke'd export) returned
    kExited = 1,       // proc_exit
    kTrapped = 2,      // a trap other than the two limits below
    kOutOfFuel = 3,    // --fuel ran out
    kInterrupted = 4,  // --timeout fired (replay stops at the same fuel_consumed)
    kFailed = 5,       // never ran: link or instantiation failed
    // --timeout ended the process while the guest was blocked in host call
    // number host_calls (sleeping, reading, accepting); replay stops there.
    kInterruptedInHostCall = 6,
    // Suspended to a snapshot (--snapshot-to): at the guest's "deja"
    // "snapshot" call, or at a safe point (--suspend-after-fuel, hibernate)
    // after fuel_consumed; replay stops at the same point.
    kSuspended = 7,
  };
  Kind kind = Kind::kReturned;
  i32 exit_status = 0;        // what `deja run` returned to its parent
  i32 guest_exit_code = 0;    // proc_exit's argument (kExited)
  std::string message;        // the trap with its backtrace, or why it failed
  std::vector<std::string> results;  // --invoke results as printed
  u64 fuel_consumed = 0;
  u64 host_calls = 0;
  u64 duration_ns = 0;
  std::string state_digest;   // Store::StateDigest() at the end
  // Set when the log holds only the first `recorded_calls` of the host_calls
  // (the size limit, or one call too large to record): why. The run cannot
  // be replayed past them. Filled in by LogWriter::Finish.
  std::string recording_stopped;
  u64 recorded_calls = 0;
};
const char* RunEndKindName(RunEnd::Kind kind);  // "returned", "exited", ...

// This deja's WASI function names by call id (wasi::AllFuncs() order): what
// RunInfo::call_names holds for a recording made now.
std::vector<std::string> WasiCallNames();

// One guest-memory access of a handler, in the order it happened. Its bytes
// are CallRecord::data[offset, offset+len): for a read, the guest's bytes as
// the handler read them; for a write, what the handler left there.
struct MemOp {
  enum class Kind : u8 { kRead = 0, kWrite = 1 };
  Kind kind = Kind::kRead;
  u32 ptr = 0;
  u32 offset = 0;
  u32 len = 0;
};

// Bytes the guest wrote to the host's stdout or stderr during a call
// (CallRecord::data[offset, offset+len)): what `deja logs` shows and what
// replay writes out again.
struct Output {
  u8 stream = 1;  // 1 = stdout, 2 = stderr
  u32 offset = 0;
  u32 len = 0;
};

// One WASI call. Cleared and refilled for each call (vectors keep capacity).
struct CallRecord {
  u64 index = 0;        // position among the run's calls, from 0 (not stored)
  u32 call = 0;         // index into RunInfo::call_names
  u64 time_ns = 0;      // monotonic time since the run started, at the call
  u64 duration_ns = 0;  // how long the handler took
  std::vector<u64> args;  // raw argument slots (i32 zero-extended)
  std::optional<u32> result;      // the errno returned, when the function returns one
  std::optional<i32> exit_code;   // set when the call ended the guest (proc_exit)
  std::vector<MemOp> ops;
  std::vector<Output> outputs;
  std::vector<u8> data;

  std::span<const u8> Bytes(const MemOp& op) const { return {data.data() + op.offset, op.len}; }
  std::span<const u8> Bytes(const Output& out) const { return {data.data() + out.offset, out.len}; }
  void Clear() {
    args.clear();
    result.reset();
    exit_code.reset();
    ops.clear();
    outputs.clear();
    data.clear();
  }
};

}  // namespace deja::tm
