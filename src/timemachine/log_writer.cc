// LogWriter: the guest's thread only encodes records into a pending buffer;
// a background thread (or Flush/Finish) compresses that buffer into one
// ongoing zstd stream and writes it as a records frame. Each frame ends with
// a zstd flush, so every complete frame is decodable without the ones after
// it: that is what makes a killed run's log readable.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <zstd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "timemachine/log.h"
#include "timemachine/log_codec.h"

namespace deja::tm {
namespace {

// Level 1: on a host-call-heavy guest level 3 cost the log thread ~50% more
// CPU for no smaller logs (records are small and repetitive).
constexpr int kZstdLevel = 1;
// The background thread is woken early once this much is pending.
constexpr size_t kKickBytes = 256 << 10;
// Past this much pending, Append waits for the background thread: a guest
// that makes calls faster than they compress must not grow memory unbounded.
constexpr size_t kMaxPendingBytes = 64 << 20;
// Input per compressed frame: its worst-case output stays under kMaxFramePayload.
constexpr size_t kMaxChunkInput = 32 << 20;
static_assert(ZSTD_COMPRESSBOUND(kMaxChunkInput) < kMaxFramePayload);

std::string ErrnoText(int err) { return std::strerror(err); }

// Room kept below the limit for what compression may add and the end frame.
u64 LimitHeadroom(u64 max_bytes) { return max_bytes / 128 + (16 << 10); }

std::string FormatBytes(u64 n) {
  if (n % (u64{1} << 30) == 0) return std::to_string(n >> 30) + " GiB";
  if (n % (u64{1} << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

class FileLogWriter : public LogWriter {
 public:
  using LogWriter::Finish;

  FileLogWriter(std::string path, int fd, ZSTD_CCtx* cctx, u64 max_bytes)
      : path_(std::move(path)), fd_(fd), cctx_(cctx), max_bytes_(max_bytes) {}

  ~FileLogWriter() override {
    StopThread();
    // Without Finish the log ends like a killed run's, but with every record.
    if (!finished_) WritePending(ZSTD_e_flush);
    if (fd_ >= 0) close(fd_);
    ZSTD_freeCCtx(cctx_);
  }

  Status WriteHeader(const RunInfo& info) {
    std::vector<u8> payload;
    EncodeRunInfo(info, &payload);
    if (payload.size() > kMaxFramePayload) {
      return Status::InvalidArgument("log header is too large");
    }
    std::vector<u8> bytes(kLogMagic, kLogMagic + sizeof kLogMagic);
    ByteWriter(&bytes).U32Le(kLogVersion);
    AppendFrameHeader(FrameType::kHeader, payload, &bytes);
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    WriteAll(bytes);
    counted_ = bytes.size();
    return error_;
  }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }

  void Append(const CallRecord& rec) override {
    std::unique_lock lock(mu_);
    if (!stopped_.empty()) {
      ++dropped_;
      return;
    }
    // A call whose bytes alone would pass the limit is refused before it is
    // encoded (memory ops and outputs bound the encoded size from below).
    u64 raw = rec.data.size();
    if (rec.ops.size() > kMaxRecordItems || rec.outputs.size() > kMaxRecordItems ||
        rec.args.size() > kMaxRecordArgs || raw > kMaxRecordBytes) {
      StopRecording("host call " + std::to_string(records_) +
                    " is too large to record (over 1 GiB or 2^20 memory accesses)");
      return;
    }
    if (pending_.size() >= kMaxPendingBytes && thread_.joinable()) {
      drained_.wait(lock, [this] { return pending_.size() < kMaxPendingBytes || stop_; });
    }
    // Encoded in place after a one-byte length prefix (most records are
    // under 128 bytes); a longer record's payload is moved up to make room.
    // The echo window learns the record as it is encoded, so a record that
    // is then dropped stops the recording: the reader's window would differ.
    size_t before = pending_.size();
    pending_.push_back(0);
    EncodeRecord(rec, prev_time_ns_, &pending_, &echoes_);
    u64 len = pending_.size() - before - 1;
    if (len > kMaxRecordBytes) {
      pending_.resize(before);
      StopRecording("host call " + std::to_string(records_) +
                    " is too large to record (over 1 GiB)");
      return;
    }
    if (counted_ + len + 10 > max_bytes_ - LimitHeadroom(max_bytes_)) {
      pending_.resize(before);
      StopRecording("the log reached its size limit of " + FormatBytes(max_bytes_) +
                    " at host call " + std::to_string(records_));
      return;
    }
    counted_ += len + 10;
    prev_time_ns_ = rec.time_ns;
    if (len < 0x80) {
      pending_[before] = static_cast<u8>(len);
    } else {
      u8 prefix[10];
      size_t n = 0;
      for (u64 v = len;; v >>= 7) {
        prefix[n++] = static_cast<u8>(v >= 0x80 ? (v | 0x80) : v);
        if (v < 0x80) break;
      }
      pending_.insert(pending_.begin() + static_cast<ptrdiff_t>(before) + 1, prefix + 1,
                      prefix + n);
      std::memcpy(pending_.data() + before, prefix, n);
    }
    ++records_;
    if (before < kKickBytes && pending_.size() >= kKickBytes) cv_.notify_one();
  }

  Status Flush() override {
    std::lock_guard io(io_mu_);
    WritePending(ZSTD_e_flush);
    return error_;
  }

  Status Finish(const RunEnd& end) override {
    StopThread();
    std::lock_guard io(io_mu_);
    if (finished_) return error_;
    finished_ = true;
    WritePending(ZSTD_e_end);
    RunEnd full = end;
    FillStopLocked(&full);
    if (full.host_calls < full.recorded_calls) full.host_calls = full.recorded_calls;
    std::vector<u8> payload;
    EncodeRunEnd(full, &payload);
    std::vector<u8> frame;
    AppendFrameHeader(FrameType::kEnd, payload, &frame);
    frame.insert(frame.end(), payload.begin(), payload.end());
    WriteAll(frame);
    if (close(fd_) != 0 && error_.ok()) {
      error_ = Status::IoError(path_ + ": " + ErrnoText(errno));
    }
    fd_ = -1;
    std::lock_guard lock(mu_);
    if (error_.ok() && !stopped_.empty()) {
      return Status::ResourceExhausted("log: recording stopped: " + stopped_ + "; the log holds " +
                                       std::to_string(records_) +
                                       " host calls and cannot be replayed past them");
    }
    return error_;
  }

  void FillRecordingStop(RunEnd* end) const override {
    std::lock_guard io(io_mu_);
    if (!error_.ok()) {
      std::lock_guard lock(mu_);
      end->recording_stopped = "the log could not be written: " + std::string(error_.message());
      end->recorded_calls = std::min(records_, end->host_calls);
      return;
    }
    FillStopLocked(end);
  }

  u64 bytes_written() const override { return bytes_written_.load(std::memory_order_relaxed); }
  u64 records() const override {
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  void Loop() {
    DetachFromFdTable();
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(kFlushIntervalMs),
                   [this] { return stop_ || pending_.size() >= kKickBytes; });
      if (stop_) break;
      if (pending_.empty()) continue;
      lock.unlock();
      {
        std::lock_guard io(io_mu_);
        WritePending(ZSTD_e_flush);
      }
      lock.lock();
    }
  }

  // While a process shares its descriptor table between threads, Linux
  // takes a reference and the position lock on every read(2)/write(2) of the
  // guest's files (fdget_pos), which costs the guest ~40 ns per call. This
  // thread only needs the log: it takes a private copy of the table and
  // closes everything else in it, so the guest's thread is alone with its
  // table again. (POSIX locks belong to the table they were taken through,
  // so closing the copies releases none of the guest's.) Best effort: if
  // unshare fails, everything still works, only slower.
  void DetachFromFdTable() {
    if (unshare(CLONE_FILES) != 0) return;
    unsigned self = static_cast<unsigned>(fd_);
    if (self > 0) close_range(0, self - 1, 0);
    close_range(self + 1, ~0u, 0);
  }

  void StopThread() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  // Takes what is pending and writes it as records frames. Requires io_mu_.
  void WritePending(ZSTD_EndDirective mode) {
    {
      std::lock_guard lock(mu_);
      taken_.swap(pending_);
    }
    drained_.notify_all();
    size_t pos = 0;
    do {
      size_t n = std::min(taken_.size() - pos, kMaxChunkInput);
      bool last = pos + n == taken_.size();
      // A zstd end is only written when there is something to end or on
      // the final flush (an empty stream still needs its frame end).
      CompressChunk({taken_.data() + pos, n}, last ? mode : ZSTD_e_flush);
      pos += n;
    } while (pos < taken_.size());
    taken_.clear();
  }

  void CompressChunk(std::span<const u8> input, ZSTD_EndDirective mode) {
    if (input.empty() && mode == ZSTD_e_flush) return;
    if (!error_.ok()) return;  // a failed write left the file unusable past here
    out_.resize(kFrameHeaderSize + ZSTD_compressBound(input.size()) + 64);
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    ZSTD_outBuffer out{out_.data() + kFrameHeaderSize, out_.size() - kFrameHeaderSize, 0};
    size_t left;
    do {
      left = ZSTD_compressStream2(cctx_, &out, &in, mode);
      if (ZSTD_isError(left)) {
        error_ = Status::Internal(std::string("log: zstd: ") + ZSTD_getErrorName(left));
        return;
      }
      if (left != 0 && out.pos == out.size) {
        out_.resize(out_.size() * 2);
        out.dst = out_.data() + kFrameHeaderSize;
        out.size = out_.size() - kFrameHeaderSize;
      }
    } while (left != 0 || in.pos < in.size);
    if (out.pos == 0) return;
    std::span<const u8> payload(out_.data() + kFrameHeaderSize, out.pos);
    std::vector<u8> head;
    head.reserve(kFrameHeaderSize);
    AppendFrameHeader(FrameType::kRecords, payload, &head);
    std::memcpy(out_.data(), head.data(), kFrameHeaderSize);
    WriteAll({out_.data(), kFrameHeaderSize + out.pos});
  }

  // write(2) until done; the first failure sticks and stops all later writes.
  void WriteAll(std::span<const u8> bytes) {
    if (!error_.ok()) return;
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        error_ = Status::IoError(path_ + ": " + ErrnoText(errno));
        return;
      }
      done += static_cast<size_t>(n);
      bytes_written_.fetch_add(static_cast<u64>(n), std::memory_order_relaxed);
    }
  }

  const std::string path_;
  int fd_;
  ZSTD_CCtx* cctx_;
  std::thread thread_;

  // Guards the pending buffer and the encoder state.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable drained_;  // pending_ was taken
  std::vector<u8> pending_;
  u64 prev_time_ns_ = 0;
  u64 records_ = 0;
  bool stop_ = false;
  EchoWindow echoes_;
  const u64 max_bytes_;
  u64 counted_ = 0;       // header plus every record appended (uncompressed)
  std::string stopped_;   // why the recording stopped; empty while it goes on
  u64 dropped_ = 0;       // calls left out since

  // Requires io_mu_ (not mu_).
  void FillStopLocked(RunEnd* end) const {
    std::lock_guard lock(mu_);
    if (stopped_.empty()) return;
    end->recording_stopped = stopped_;
    end->recorded_calls = records_;
  }

  // Requires mu_.
  void StopRecording(std::string why) {
    if (stopped_.empty()) stopped_ = std::move(why);
    ++dropped_;
  }

  // Guards compression and the file: frames leave in the order taken.
  mutable std::mutex io_mu_;
  std::vector<u8> taken_;
  std::vector<u8> out_;
  Status error_;
  bool finished_ = false;
  std::atomic<u64> bytes_written_{0};
};

}  // namespace

Result<std::unique_ptr<LogWriter>> LogWriter::Create(const std::string& path, const RunInfo& info,
                                                     const Options& options) {
  if (options.max_bytes < kMinMaxBytes) {
    return Status::InvalidArgument("log size limit " + std::to_string(options.max_bytes) +
                                   " is below the minimum of " + FormatBytes(kMinMaxBytes));
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(path + ": " + ErrnoText(errno));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (cctx == nullptr) {
    close(fd);
    return Status::ResourceExhausted("log: cannot create a zstd context");
  }
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, kZstdLevel);
  auto writer = std::make_unique<FileLogWriter>(path, fd, cctx, options.max_bytes);
  DEJA_TRY(writer->WriteHeader(info));
  writer->Start();
  return std::unique_ptr<LogWriter>(std::move(writer));
}

}  // namespace deja::tm
