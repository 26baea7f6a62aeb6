// The byte-level pieces of the log format (docs/RECORDING.md): varints,
// CRC-32C, frame headers, and the encodings of RunInfo, RunEnd and
// CallRecord. Shared by the writer and the reader; decoding never trusts its
// input (every count and length is checked against the bytes present).
#pragma once

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "timemachine/record.h"

namespace deja::tm {

inline constexpr char kLogMagic[8] = {'D', 'E', 'J', 'A', 'L', 'O', 'G', '\0'};
// 2: an output may refer to bytes its record's read ops hold (stream 3).
// 3: a read op may be an echo of bytes a recent call wrote (EchoWindow).
inline constexpr u32 kLogVersion = 3;
inline constexpr size_t kFileHeaderSize = 8 + 4;

enum class FrameType : u8 { kHeader = 1, kRecords = 2, kEnd = 3 };
// type (u8), payload length (u32 LE), CRC-32C of type+length+payload (u32 LE).
inline constexpr size_t kFrameHeaderSize = 1 + 4 + 4;
// No frame payload is larger: a hostile length cannot make the reader
// allocate more than this for one frame.
inline constexpr u32 kMaxFramePayload = 64u << 20;
// Nor may one decoded record be larger (Linux moves at most ~2 GiB per
// read(2); a single WASI call above 1 GiB is refused by the writer).
inline constexpr u64 kMaxRecordBytes = u64{1} << 30;
// Nor more memory ops or outputs in one record, or items in one list of the
// header or end frame: decoded, each costs more memory than its bytes, so
// a count is capped as well as checked against the bytes present. (A WASI
// call makes a few ops per iovec; a real one stays far below.)
inline constexpr u64 kMaxRecordItems = u64{1} << 20;
// Arguments of one call (they share a varint with the record's flags).
inline constexpr u64 kMaxRecordArgs = 63;

// CRC-32C (Castagnoli). `crc` chains calls: Crc32c(b, Crc32c(a)) = Crc32c(a+b).
u32 Crc32c(std::span<const u8> bytes, u32 crc = 0);

// Appends the frame header for `payload` to `out` (the payload itself is
// not copied).
void AppendFrameHeader(FrameType type, std::span<const u8> payload, std::vector<u8>* out);
// The CRC a frame header carries for this type and payload.
u32 FrameCrc(u8 type, std::span<const u8> payload);

// Appends little-endian / LEB128 fields.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<u8>* out) : out_(out) {}
  void U8(u8 v) { out_->push_back(v); }
  void U32Le(u32 v);
  void Varint(u64 v);
  void Zigzag(i64 v) { Varint((static_cast<u64>(v) << 1) ^ static_cast<u64>(v >> 63)); }
  void Bytes(std::span<const u8> b) { out_->insert(out_->end(), b.begin(), b.end()); }
  void String(std::string_view s);
  void Strings(const std::vector<std::string>& v);

 private:
  std::vector<u8>* out_;
};

// Reads what ByteWriter writes; each read returns false (and reads nothing
// more) once the input is exhausted or malformed.
class ByteReader {
 public:
  explicit ByteReader(std::span<const u8> in) : in_(in) {}
  bool U8(u8* v);
  bool U32Le(u32* v);
  bool Varint(u64* v);
  bool Varint32(u32* v);  // fails above UINT32_MAX
  bool Zigzag(i64* v);
  bool Bytes(size_t n, std::span<const u8>* out);
  bool String(std::string* out);
  bool Strings(std::vector<std::string>* out);
  size_t remaining() const { return in_.size() - pos_; }
  size_t pos() const { return pos_; }

 private:
  std::span<const u8> in_;
  size_t pos_ = 0;
};

void EncodeRunInfo(const RunInfo& info, std::vector<u8>* out);
Status DecodeRunInfo(std::span<const u8> in, RunInfo* info);
void EncodeRunEnd(const RunEnd& end, std::vector<u8>* out);
Status DecodeRunEnd(std::span<const u8> in, RunEnd* end);

// The bytes the last few calls that wrote any wrote into guest memory (their
// write ops of at least kMinEchoBytes), kept alike by the encoder and the decoder, record
// after record. A read op whose bytes are still what such a write left
// (random_get then fd_write of the buffer; fd_read then fd_write) is stored
// as an echo of them instead of a second copy (log version 3).
class EchoWindow {
 public:
  static constexpr u32 kMinEchoBytes = 64;
  static constexpr size_t kRecords = 8;
  // Bytes held at most, and echoed by one record at most: a hostile log
  // cannot make the decoder allocate more than this beyond its own size.
  static constexpr u64 kMaxBytes = u64{64} << 20;
  // Writes kept per record and echo ops per record: a lookup costs at most
  // kRecords * kWritesPerRecord comparisons, a record at most kMaxEchoOps.
  static constexpr size_t kWritesPerRecord = 16;
  static constexpr size_t kMaxEchoOps = 256;

  // The bytes the newest kept write covering [ptr, ptr+len) left there.
  std::optional<std::span<const u8>> Find(u32 ptr, u32 len) const;
  // Called with every record, in order, once it is encoded or decoded.
  void Add(const CallRecord& rec);

 private:
  struct Write {
    u32 ptr;
    std::vector<u8> bytes;
  };
  std::deque<std::vector<Write>> records_;  // newest first
  u64 bytes_ = 0;
};

// A record's payload (without its length prefix). `prev_time_ns` is the
// previous record's time_ns (0 for the first): times are stored as deltas.
// With `echoes` (version 3) an op header has two kind bits and reads may be
// echoes; the window is updated with `rec`. Without it: version 1/2 layout.
void EncodeRecord(const CallRecord& rec, u64 prev_time_ns, std::vector<u8>* out,
                  EchoWindow* echoes = nullptr);
// Fills `rec` (index untouched; data offsets are assigned in order).
Status DecodeRecord(std::span<const u8> in, u64 prev_time_ns, CallRecord* rec,
                    EchoWindow* echoes = nullptr);

}  // namespace deja::tm
