// The log file of one recorded run: a header frame with the RunInfo, call
// records compressed with zstd, and an end frame with the RunEnd. Every frame
// is length-prefixed and CRC-checked, so a log cut short by a crash or
// SIGKILL reads back up to its last complete frame. Format: docs/RECORDING.md.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "deja/status.h"
#include "timemachine/record.h"

namespace deja::tm {

struct LogWriterOptions {
  // The log stays below this many bytes (LogWriter::kDefaultMaxBytes, at
  // least kMinMaxBytes); see LogWriter::Append.
  u64 max_bytes = u64{2} << 30;
};

// Appends records from the guest's thread; a background thread compresses
// them and writes them out at least every kFlushInterval (and whenever
// enough have piled up), so a killed run loses at most that much.
class LogWriter {
 public:
  static constexpr int kFlushIntervalMs = 20;
  // A run's log stays below this many bytes unless told otherwise (the CLI's
  // --max-log-size). Records are counted before compression, which never
  // grows them by more than ~0.4%; kLimitHeadroom covers that and the end frame.
  static constexpr u64 kDefaultMaxBytes = u64{2} << 30;
  static constexpr u64 kMinMaxBytes = u64{64} << 10;

  using Options = LogWriterOptions;

  // Creates (truncates) `path` and writes the header frame.
  // Errors: kIoError naming the path; kInvalidArgument for a limit below
  // kMinMaxBytes.
  static Result<std::unique_ptr<LogWriter>> Create(const std::string& path, const RunInfo& info,
                                                   const Options& options = {});
  virtual ~LogWriter() = default;

  // Encodes `rec` (its index is ignored). Never blocks on I/O. A call that
  // would take the log past its limit, or is too large for one record, stops
  // the recording: it and every later call are left out, and Finish says so
  // (the run goes on; it cannot be replayed past the last recorded call).
  virtual void Append(const CallRecord& rec) = 0;
  // Writes out everything appended so far (to the kernel; no fsync).
  virtual Status Flush() = 0;
  // Writes the end frame, closes the file. Returns the first error the log
  // met, if any (a full disk does not stop the guest; it is reported here),
  // else kResourceExhausted when the recording stopped early.
  virtual Status Finish(const RunEnd& end) = 0;
  // The same, and then fills in end.recording_stopped / recorded_calls when
  // the recording stopped early or the log could not be written (a full
  // disk), so that the caller's registry row does not claim a complete one.
  Status Finish(RunEnd& end) {
    Status s = Finish(static_cast<const RunEnd&>(end));
    FillRecordingStop(&end);
    return s;
  }
  // Sets end->recording_stopped and recorded_calls if the recording stopped
  // (recorded_calls is then how many calls were appended; after a write
  // error, fewer may have reached the file).
  virtual void FillRecordingStop(RunEnd* end) const = 0;
  // Bytes in the file so far (after Finish: its size).
  virtual u64 bytes_written() const = 0;
  virtual u64 records() const = 0;
};

class LogReader {
 public:
  // Reads and checks the header frame. Errors: kNotFound, kIoError,
  // kCorruption ("not a deja log", "log version N is not supported by this
  // deja (reads up to M)", "header frame: checksum mismatch").
  static Result<std::unique_ptr<LogReader>> Open(const std::string& path);
  virtual ~LogReader() = default;

  virtual const RunInfo& info() const = 0;
  // The next call record, with its index set. Returns false when there are
  // no more: then end() is set if the log is complete, and truncated() says
  // whether it was cut short (or damaged) and where.
  virtual Result<bool> Next(CallRecord* rec) = 0;
  virtual const std::optional<RunEnd>& end() const = 0;
  virtual bool truncated() const = 0;
  // Whether it stopped at damage rather than at a cut: a frame with a bad
  // checksum or an impossible length with more of the file after it. A
  // killed run's log is cut inside or after its last frame, never that.
  virtual bool damaged() const = 0;
  // e.g. "log ends inside a frame at byte 81920 after 1234 records"
  virtual const std::string& truncation_reason() const = 0;
  // Reads on to the end (records are decoded and discarded) so that end()
  // is known; for `deja describe` and the registry. Returns the record count.
  virtual Result<u64> Skip() = 0;
};

}  // namespace deja::tm
