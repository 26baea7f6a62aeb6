// libFuzzer target for the time machine's log reader and record decoder:
// any bytes must read as records up to a clean end, a cut or damage, or fail
// with a Status; never crash, hang or allocate far past the input's size.
//
// The first byte picks how the rest is used, so that mutations get past the
// checksums and zstd instead of all dying there:
//   'R'  a decompressed records stream (varint length | record)*, decoded
//        with an echo window as a version 3 reader does, then without one;
//   'Z'  the same stream, sealed into a valid log (header frame, one zstd
//        records frame, an end frame whose payload is the stream's first
//        bytes) and read through LogReader;
//   else the whole input is a log file read through LogReader.
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "timemachine/log.h"
#include "timemachine/log_codec.h"

namespace {

using deja::u64;
using deja::u8;
namespace dtm = deja::tm;

// The input as a file LogReader can open (a memfd: nothing on disk).
void ReadAsLog(std::span<const u8> bytes) {
  int fd = memfd_create("fuzz_log", MFD_CLOEXEC);
  if (fd < 0) __builtin_trap();
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) __builtin_trap();
    done += static_cast<size_t>(n);
  }
  auto reader = dtm::LogReader::Open("/proc/self/fd/" + std::to_string(fd));
  if (reader.ok()) {
    dtm::CallRecord rec;
    for (int i = 0; i < 1 << 20; ++i) {
      auto more = (*reader)->Next(&rec);
      if (!more.ok() || !*more) break;
      // What replay and trace touch: every op's and output's bytes.
      for (const dtm::MemOp& op : rec.ops) {
        if (u64{op.offset} + op.len > rec.data.size()) __builtin_trap();
      }
      for (const dtm::Output& o : rec.outputs) {
        if (u64{o.offset} + o.len > rec.data.size()) __builtin_trap();
      }
    }
    (void)(*reader)->truncated();
    (void)(*reader)->damaged();
  }
  close(fd);
}

void DecodeStream(std::span<const u8> stream, dtm::EchoWindow* echoes) {
  dtm::ByteReader r(stream);
  dtm::CallRecord rec;
  u64 prev = 0;
  while (r.remaining() > 0) {
    u64 len;
    std::span<const u8> payload;
    if (!r.Varint(&len) || len > r.remaining() || !r.Bytes(static_cast<size_t>(len), &payload)) {
      return;
    }
    if (!dtm::DecodeRecord(payload, prev, &rec, echoes).ok()) return;
    for (const dtm::MemOp& op : rec.ops) {
      if (u64{op.offset} + op.len > rec.data.size()) __builtin_trap();
    }
    prev = rec.time_ns;
  }
}

std::vector<u8> SealedLog(std::span<const u8> stream) {
  dtm::RunInfo info;
  info.id = "0123456789ab";
  info.call_names = dtm::WasiCallNames();
  std::vector<u8> out(dtm::kLogMagic, dtm::kLogMagic + sizeof dtm::kLogMagic);
  dtm::ByteWriter(&out).U32Le(dtm::kLogVersion);
  auto frame = [&](dtm::FrameType type, std::span<const u8> payload) {
    dtm::AppendFrameHeader(type, payload, &out);
    out.insert(out.end(), payload.begin(), payload.end());
  };
  std::vector<u8> head;
  dtm::EncodeRunInfo(info, &head);
  frame(dtm::FrameType::kHeader, head);
  std::vector<u8> z(ZSTD_compressBound(stream.size()));
  size_t n = ZSTD_compress(z.data(), z.size(), stream.data(), stream.size(), 1);
  if (ZSTD_isError(n)) __builtin_trap();
  z.resize(n);
  frame(dtm::FrameType::kRecords, z);
  // An end frame from the stream's first bytes: decoded or refused.
  frame(dtm::FrameType::kEnd, stream.first(std::min<size_t>(stream.size(), 64)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const u8> in(data, size);
  if (size > 0 && data[0] == 'R') {
    dtm::EchoWindow echoes;
    DecodeStream(in.subspan(1), &echoes);
    DecodeStream(in.subspan(1), nullptr);
    return 0;
  }
  if (size > 0 && data[0] == 'Z') {
    ReadAsLog(SealedLog(in.subspan(1)));
    return 0;
  }
  ReadAsLog(in);
  return 0;
}
