// LogReader: reads frames one at a time, checks each CRC, and decompresses
// records frames through one zstd stream only as far as the next record
// needs, so memory stays bounded by the largest record however the log was
// made. A partial or damaged frame ends the log (truncated()), it is not an
// error: that is what a killed run leaves behind.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>

#include "timemachine/log.h"
#include "timemachine/log_codec.h"

namespace deja::tm {
namespace {

// Decompressed bytes produced per step.
constexpr size_t kInflateStep = 128 << 10;

class FileLogReader : public LogReader {
 public:
  FileLogReader(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~FileLogReader() override {
    close(fd_);
    ZSTD_freeDCtx(dctx_);
  }

  Status Init() {
    dctx_ = ZSTD_createDCtx();
    if (dctx_ == nullptr) return Status::ResourceExhausted("log: cannot create a zstd context");
    u8 head[kFileHeaderSize];
    size_t got;
    DEJA_TRY(ReadFully(head, sizeof head, &got));
    if (got < sizeof kLogMagic || std::memcmp(head, kLogMagic, sizeof kLogMagic) != 0) {
      return Status::Corruption(path_ + ": not a deja log");
    }
    if (got < sizeof head) return Status::Corruption(path_ + ": log header is truncated");
    u32 version = 0;
    ByteReader(std::span<const u8>(head + 8, 4)).U32Le(&version);
    if (version == 0 || version > kLogVersion) {
      return Status::Corruption(path_ + ": log version " + std::to_string(version) +
                                " is not supported by this deja (reads up to " +
                                std::to_string(kLogVersion) + ")");
    }
    version_ = version;
    FrameType type;
    bool have = false;
    DEJA_TRY(ReadFrame(&type, &have));
    if (!have) {
      return Status::Corruption(path_ + ": header frame: " + truncation_reason_);
    }
    if (type != FrameType::kHeader) {
      return Status::Corruption(path_ + ": the first frame is not a header frame");
    }
    DEJA_TRY(DecodeRunInfo(frame_, &info_).WithContext(path_));
    truncated_ = false;
    damaged_ = false;
    truncation_reason_.clear();
    return {};
  }

  const RunInfo& info() const override { return info_; }
  const std::optional<RunEnd>& end() const override { return end_; }
  bool truncated() const override { return truncated_; }
  bool damaged() const override { return damaged_; }
  const std::string& truncation_reason() const override { return truncation_reason_; }

  Result<bool> Next(CallRecord* rec) override {
    if (done_) return false;
    // The length prefix, one byte at a time (it may straddle frames).
    u64 len = 0;
    for (int shift = 0;; shift += 7) {
      bool have;
      DEJA_TRY(Fill(1, &have));
      if (!have) {
        if (shift != 0) NoteTruncated("log ends inside a record");
        return false;
      }
      u8 b = buf_[pos_++];
      if (shift == 63 && b > 1) return Fail("log: bad record length");
      len |= u64{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) break;
      if (shift >= 63) return Fail("log: bad record length");
    }
    if (len > kMaxRecordBytes) {
      return Fail("log: record " + std::to_string(records_) + " claims " + std::to_string(len) +
                  " bytes (limit " + std::to_string(kMaxRecordBytes) + ")");
    }
    bool have;
    DEJA_TRY(Fill(len, &have));
    if (!have) {
      NoteTruncated("log ends inside a record");
      return false;
    }
    Status s = DecodeRecord({buf_.data() + pos_, len}, prev_time_ns_, rec,
                            version_ >= 3 ? &echoes_ : nullptr);
    if (!s.ok())
      return Fail(std::string(s.message()) + " (record " + std::to_string(records_) + ")");
    pos_ += len;
    prev_time_ns_ = rec->time_ns;
    rec->index = records_++;
    return true;
  }

  Result<u64> Skip() override {
    CallRecord rec;
    for (;;) {
      DEJA_ASSIGN_OR_RETURN(bool more, Next(&rec));
      if (!more) return records_;
    }
  }

 private:
  // Content that passed its frame's checksum but does not decode: the writer
  // never produces it, so it is damage (replay exits 67), not a cut (66).
  Status Fail(std::string message) {
    done_ = true;
    if (!truncated_) {
      truncated_ = true;
      damaged_ = true;
      truncation_reason_ = "damage: " + message + " (frame at byte " +
                           std::to_string(frame_start_) + " after " + std::to_string(records_) +
                           " records)";
    }
    return Status::Corruption(path_ + ": " + message);
  }

  void NoteTruncated(const std::string& what) {
    done_ = true;
    if (truncated_) return;
    truncated_ = true;
    truncation_reason_ = what + " at byte " + std::to_string(frame_start_) + " after " +
                         std::to_string(records_) + " records";
  }

  // Makes `need` decompressed bytes available at buf_[pos_]; *have = false
  // when the log ends first (done_ is then set, with end_ or truncated_).
  Status Fill(u64 need, bool* have) {
    *have = false;
    if (buf_.size() - pos_ >= need) {
      *have = true;
      return {};
    }
    if (pos_ > 0) {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(pos_));
      pos_ = 0;
    }
    while (buf_.size() < need) {
      if (in_.pos < in_.size) {
        size_t old = buf_.size();
        size_t step = std::max<size_t>(kInflateStep, need - old);
        step = std::min<size_t>(step, kInflateStep * 64);
        buf_.resize(old + step);
        ZSTD_outBuffer out{buf_.data() + old, step, 0};
        size_t r = ZSTD_decompressStream(dctx_, &out, &in_);
        buf_.resize(old + out.pos);
        if (ZSTD_isError(r)) {
          return Fail("records frame at byte " + std::to_string(frame_start_) +
                      " does not decompress: " + ZSTD_getErrorName(r));
        }
        continue;
      }
      if (eof_) return {};
      FrameType type;
      bool got;
      DEJA_TRY(ReadFrame(&type, &got));
      if (!got) {
        done_ = true;
        eof_ = true;
        return {};
      }
      if (type == FrameType::kRecords) {
        compressed_.swap(frame_);
        in_ = {compressed_.data(), compressed_.size(), 0};
      } else if (type == FrameType::kEnd) {
        RunEnd end;
        if (Status s = DecodeRunEnd(frame_, &end); !s.ok()) return Fail(std::string(s.message()));
        end_ = std::move(end);
        eof_ = true;
        done_ = true;
        if (!buf_.empty()) NoteTruncated("the records stream ends inside a record");
        if (!end_->recording_stopped.empty() && !truncated_) {
          // Complete as a file, but not as a recording: say so wherever
          // truncation is shown (describe, trace, replay).
          truncated_ = true;
          truncation_reason_ = "recording stopped after " +
                               std::to_string(end_->recorded_calls) + " of " +
                               std::to_string(end_->host_calls) +
                               " host calls: " + end_->recording_stopped;
        }
        return {};
      } else {
        return Fail("unexpected frame of type " + std::to_string(static_cast<int>(type)) +
                    " at byte " + std::to_string(frame_start_));
      }
    }
    *have = true;
    return {};
  }

  // Reads the next frame into frame_. *have = false at the end of the file
  // or at a partial or damaged frame (then truncated_ says where).
  Status ReadFrame(FrameType* type, bool* have) {
    *have = false;
    frame_start_ = offset_;
    u8 head[kFrameHeaderSize];
    size_t got;
    DEJA_TRY(ReadFully(head, sizeof head, &got));
    if (got == 0) {
      NoteTruncated(end_ ? "log ends" : "log has no end frame (the run was killed?); it ends");
      return {};
    }
    if (got < sizeof head) {
      NoteTruncated("log ends inside a frame");
      return {};
    }
    ByteReader r(head);
    u8 t;
    u32 len, crc;
    r.U8(&t);
    r.U32Le(&len);
    r.U32Le(&crc);
    if (len > kMaxFramePayload) {
      // The writer never writes such a length: damage, not a cut.
      damaged_ = !truncated_;
      NoteTruncated("damage: a frame of " + std::to_string(len) + " bytes (over the limit)");
      return {};
    }
    frame_.resize(len);
    DEJA_TRY(ReadFully(frame_.data(), len, &got));
    if (got < len) {
      NoteTruncated("log ends inside a frame");
      return {};
    }
    if (FrameCrc(t, frame_) != crc) {
      // A crash can leave the last frame whole but wrong (zeros after a
      // power loss); a bad frame with more log after it was damaged.
      struct stat st {};
      bool more = fstat(fd_, &st) == 0 && static_cast<u64>(st.st_size) > offset_;
      damaged_ = more && !truncated_;
      NoteTruncated(more ? "damage: checksum mismatch in the frame"
                         : "checksum mismatch in the last frame");
      return {};
    }
    *type = static_cast<FrameType>(t);
    *have = true;
    return {};
  }

  Status ReadFully(u8* dst, size_t n, size_t* got) {
    *got = 0;
    while (*got < n) {
      ssize_t r = read(fd_, dst + *got, n - *got);
      if (r < 0) {
        if (errno == EINTR) continue;
        done_ = true;
        return Status::IoError(path_ + ": " + std::strerror(errno));
      }
      if (r == 0) break;
      *got += static_cast<size_t>(r);
    }
    offset_ += *got;
    return {};
  }

  const std::string path_;
  int fd_;
  ZSTD_DCtx* dctx_ = nullptr;
  RunInfo info_;
  std::optional<RunEnd> end_;
  bool truncated_ = false;
  bool damaged_ = false;
  std::string truncation_reason_;

  u32 version_ = 0;
  EchoWindow echoes_;    // what the last records wrote (version 3)
  u64 offset_ = 0;       // file bytes read so far
  u64 frame_start_ = 0;  // file offset of the frame last read
  std::vector<u8> frame_;
  std::vector<u8> compressed_;  // the records frame being decompressed
  ZSTD_inBuffer in_{nullptr, 0, 0};
  std::vector<u8> buf_;  // decompressed, not yet consumed from pos_
  size_t pos_ = 0;
  u64 records_ = 0;
  u64 prev_time_ns_ = 0;
  bool eof_ = false;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<LogReader>> LogReader::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError(path + ": " + std::strerror(err));
  }
  auto reader = std::make_unique<FileLogReader>(path, fd);
  DEJA_TRY(reader->Init());
  return std::unique_ptr<LogReader>(std::move(reader));
}

}  // namespace deja::tm
