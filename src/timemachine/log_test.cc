#include "timemachine/log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "timemachine/log_codec.h"
#include "timemachine/test_util.h"

namespace deja::tm {
namespace {

using testing::MakeRecord;
using testing::SameOps;
using testing::ReadFile;
using testing::SameRecord;
using testing::TempDir;
using testing::WriteFile;

RunInfo SampleInfo() {
  RunInfo info;
  info.id = "0123456789ab";
  info.start_unix_ns = -5;
  info.deja_version = "0.1.0";
  info.module_hash = "sha256:" + std::string(64, 'a');
  info.module_name = "guest.wasm";
  info.args = {"guest.wasm", "x", ""};
  info.env = {"A=1"};
  info.dirs = {"/tmp::/data:ro"};
  info.listen = {"127.0.0.1:8080"};
  info.allow_connect = {"*:80"};
  info.invoke = "main";
  info.invoke_args = {"1", "2"};
  info.max_memory_pages = 12;
  info.fuel = 0;
  info.timeout = "5s";
  info.max_fds = 77;
  info.unknown_imports = 2;
  info.call_names = {"args_get", "clock_time_get"};
  return info;
}

RunEnd SampleEnd() {
  RunEnd end;
  end.kind = RunEnd::Kind::kExited;
  end.exit_status = -1;
  end.guest_exit_code = INT32_MIN;
  end.message = "trap\n  at f";
  end.results = {"i32:1"};
  end.fuel_consumed = UINT64_MAX;
  end.host_calls = 3;
  end.duration_ns = 123456789;
  end.state_digest = std::string(32, 'f');
  return end;
}

bool SameInfo(const RunInfo& a, const RunInfo& b) {
  return a.id == b.id && a.start_unix_ns == b.start_unix_ns && a.deja_version == b.deja_version &&
         a.module_hash == b.module_hash && a.module_name == b.module_name && a.args == b.args &&
         a.env == b.env && a.dirs == b.dirs && a.listen == b.listen &&
         a.allow_connect == b.allow_connect && a.invoke == b.invoke &&
         a.invoke_args == b.invoke_args && a.max_memory_pages == b.max_memory_pages &&
         a.fuel == b.fuel && a.timeout == b.timeout && a.max_fds == b.max_fds &&
         a.unknown_imports == b.unknown_imports && a.call_names == b.call_names;
}

bool SameEnd(const RunEnd& a, const RunEnd& b) {
  return a.kind == b.kind && a.exit_status == b.exit_status &&
         a.guest_exit_code == b.guest_exit_code && a.message == b.message &&
         a.results == b.results && a.fuel_consumed == b.fuel_consumed &&
         a.host_calls == b.host_calls && a.duration_ns == b.duration_ns &&
         a.state_digest == b.state_digest;
}

TEST(LogCodec, Crc32cKnownValue) {
  const char* s = "123456789";
  EXPECT_EQ(Crc32c({reinterpret_cast<const u8*>(s), 9}), 0xe3069283u);
}

// Against a bit-at-a-time reference, at every length and alignment the
// 8-byte fast path can meet, and chained.
TEST(LogCodec, Crc32cMatchesBitwiseReference) {
  auto reference = [](const u8* p, size_t n, u32 crc) {
    u32 c = ~crc;
    for (size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
    }
    return ~c;
  };
  std::vector<u8> buf(300);
  u32 x = 12345;
  for (u8& b : buf) {
    x = x * 1103515245 + 12345;
    b = static_cast<u8>(x >> 16);
  }
  for (size_t off = 0; off < 9; ++off) {
    for (size_t n = 0; n + off <= buf.size(); n += (n < 40 ? 1 : 37)) {
      std::span<const u8> s(buf.data() + off, n);
      EXPECT_EQ(Crc32c(s), reference(s.data(), n, 0)) << off << " " << n;
      EXPECT_EQ(Crc32c(s, 0xdeadbeef), reference(s.data(), n, 0xdeadbeef)) << off << " " << n;
    }
  }
}

TEST(LogCodec, VarintEdges) {
  for (u64 v : {u64{0}, u64{1}, u64{127}, u64{128}, u64{UINT32_MAX}, UINT64_MAX}) {
    std::vector<u8> b;
    ByteWriter(&b).Varint(v);
    ByteReader r(b);
    u64 got;
    ASSERT_TRUE(r.Varint(&got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(r.remaining(), 0u);
  }
  for (i64 v : {i64{0}, i64{-1}, i64{1}, INT64_MIN, INT64_MAX}) {
    std::vector<u8> b;
    ByteWriter(&b).Zigzag(v);
    i64 got;
    ASSERT_TRUE(ByteReader(b).Zigzag(&got));
    EXPECT_EQ(got, v);
  }
  // Eleven bytes, or a tenth byte above 1, is not a u64.
  std::vector<u8> too_long(10, 0xff);
  too_long.push_back(0);
  u64 x;
  EXPECT_FALSE(ByteReader(too_long).Varint(&x));
  std::vector<u8> overflow(9, 0x80);
  overflow.push_back(2);
  EXPECT_FALSE(ByteReader(overflow).Varint(&x));
}

TEST(LogCodec, RunInfoRoundTrip) {
  for (const RunInfo& info : {RunInfo{}, SampleInfo()}) {
    std::vector<u8> b;
    EncodeRunInfo(info, &b);
    RunInfo got;
    ASSERT_TRUE(DecodeRunInfo(b, &got).ok());
    EXPECT_TRUE(SameInfo(info, got));
    // Every strict prefix fails cleanly.
    for (size_t n = 0; n < b.size(); ++n) {
      EXPECT_FALSE(DecodeRunInfo({b.data(), n}, &got).ok()) << n;
    }
  }
}

TEST(LogCodec, RunEndRoundTrip) {
  for (const RunEnd& end : {RunEnd{}, SampleEnd()}) {
    std::vector<u8> b;
    EncodeRunEnd(end, &b);
    RunEnd got;
    ASSERT_TRUE(DecodeRunEnd(b, &got).ok());
    EXPECT_TRUE(SameEnd(end, got));
  }
  std::vector<u8> bad = {9};  // no such kind
  RunEnd got;
  EXPECT_FALSE(DecodeRunEnd(bad, &got).ok());
}

TEST(LogCodec, RecordRoundTripAndSize) {
  CallRecord rec = MakeRecord(5, 1);
  std::vector<u8> b;
  EncodeRecord(rec, 0, &b);
  CallRecord got;
  ASSERT_TRUE(DecodeRecord(b, 0, &got).ok());
  EXPECT_TRUE(SameRecord(rec, got));
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(DecodeRecord({b.data(), n}, 0, &got).ok()) << n;
  }

  // Edge values: no args/ops, huge numbers, negative exit, time going back.
  CallRecord edge;
  edge.call = UINT32_MAX;
  edge.time_ns = 10;
  edge.duration_ns = UINT64_MAX;
  edge.args = {0, UINT64_MAX};
  edge.result = UINT32_MAX;
  edge.exit_code = INT32_MIN;
  b.clear();
  EncodeRecord(edge, 1000, &b);
  ASSERT_TRUE(DecodeRecord(b, 1000, &got).ok());
  EXPECT_TRUE(SameRecord(edge, got));

  // A clock_time_get: 3 args, an 8-byte write, errno 0.
  CallRecord clock;
  clock.call = 4;
  clock.time_ns = 1'000'000;
  clock.duration_ns = 300;
  clock.args = {1, 1000, 65520};
  clock.result = 0;
  clock.ops.push_back({MemOp::Kind::kWrite, 65520, 0, 8});
  clock.data.resize(8, 7);
  b.clear();
  EncodeRecord(clock, 999'000, &b);
  EXPECT_LE(b.size(), 26u);
}

// An fd_write to stdout as the recorder makes it: the output points at the
// buffer logged as a read, and the log stores those bytes once.
TEST(LogCodec, OutputReferringToReadBytesIsStoredOnce) {
  CallRecord rec;
  rec.call = 3;
  rec.args = {1, 16, 1, 32};
  rec.result = 0;
  rec.ops.push_back({MemOp::Kind::kRead, 16, 0, 8});  // the iovec
  for (int i = 0; i < 8; ++i) rec.data.push_back(static_cast<u8>(i));
  rec.ops.push_back({MemOp::Kind::kRead, 1024, 8, 1000});  // the buffer
  for (int i = 0; i < 1000; ++i) rec.data.push_back(static_cast<u8>(i * 7));
  rec.ops.push_back({MemOp::Kind::kWrite, 32, 0, 4});  // nwritten
  rec.ops.back().offset = static_cast<u32>(rec.data.size());
  rec.data.insert(rec.data.end(), {0xe8, 0x03, 0, 0});
  // Written out: the first 600 bytes of the buffer.
  rec.outputs.push_back({1, 8, 600});

  std::vector<u8> b;
  EncodeRecord(rec, 0, &b);
  EXPECT_LT(b.size(), 1050u);  // 1012 data bytes and the fields, not 1612
  CallRecord got;
  ASSERT_TRUE(DecodeRecord(b, 0, &got).ok());
  EXPECT_TRUE(SameRecord(rec, got));
  ASSERT_EQ(got.outputs.size(), 1u);
  EXPECT_EQ(got.outputs[0].stream, 1);
  std::span<const u8> out = got.Bytes(got.outputs[0]);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), rec.data.begin() + 8));
  for (size_t n = 0; n < b.size(); ++n) {
    EXPECT_FALSE(DecodeRecord({b.data(), n}, 0, &got).ok()) << n;
  }
  // Re-encoding what was decoded gives the same bytes.
  std::vector<u8> again;
  EncodeRecord(got, 0, &again);
  EXPECT_EQ(again, b);

  // A copied output (not in the ops) and one spanning two adjacent reads.
  rec.outputs.clear();
  rec.outputs.push_back({2, 4, 10});  // iovec tail + buffer head: consecutive reads
  u32 copied_at = static_cast<u32>(rec.data.size());
  rec.data.insert(rec.data.end(), {'o', 'k'});
  rec.outputs.push_back({1, copied_at, 2});
  b.clear();
  EncodeRecord(rec, 0, &b);
  ASSERT_TRUE(DecodeRecord(b, 0, &got).ok());
  EXPECT_TRUE(SameRecord(rec, got));
}

// A reference past the read bytes is refused, never followed.
TEST(LogCodec, HostileOutputReference) {
  for (u64 at : {u64{0}, u64{4}, u64{5}, u64{8}, u64{9}, u64{1} << 40}) {
    std::vector<u8> b;
    ByteWriter w(&b);
    w.Varint(1);
    w.Zigzag(0);
    w.Varint(0);
    w.Varint(0);                 // no args, no flags
    w.Varint(1);                 // one op
    w.Varint(u64{8} << 1);       // an 8-byte read
    w.Zigzag(0);
    w.Varint(1);                 // one output
    w.Varint(u64{4} << 2 | 3);   // 4 bytes, by reference
    w.Varint(at << 1);
    for (int i = 0; i < 8; ++i) w.U8(static_cast<u8>(i));
    CallRecord got;
    Status s = DecodeRecord(b, 0, &got);
    if (at <= 4) {
      EXPECT_TRUE(s.ok()) << at << ": " << s.ToString();
    } else {
      EXPECT_FALSE(s.ok()) << at;
    }
  }
}

// Bytes a call wrote (random_get) and the next call reads back out
// (fd_write of that buffer, also to stdout) are stored once: the read is an
// echo of the write. A byte changed in between makes it a plain read again.
TEST(LogCodec, ReadOfBytesARecentCallWroteIsAnEcho) {
  std::vector<u8> random(1 << 20);
  u64 state = 0x9e3779b97f4a7c15ull;
  for (u8& b : random) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    b = static_cast<u8>(state);
  }
  CallRecord got_random;
  got_random.call = 1;
  got_random.args = {4096, random.size()};
  got_random.result = 0;
  got_random.ops.push_back({MemOp::Kind::kWrite, 4096, 0, static_cast<u32>(random.size())});
  got_random.data = random;
  auto write_out = [&](const std::vector<u8>& bytes) {
    CallRecord rec;
    rec.call = 2;
    rec.args = {1, 100, 1, 200};
    rec.result = 0;
    rec.ops.push_back({MemOp::Kind::kRead, 100, 0, 8});  // the iovec
    rec.data.resize(8, 0);
    rec.ops.push_back({MemOp::Kind::kRead, 4096, 8, static_cast<u32>(bytes.size())});
    rec.data.insert(rec.data.end(), bytes.begin(), bytes.end());
    rec.ops.push_back({MemOp::Kind::kWrite, 200, static_cast<u32>(rec.data.size()), 4});
    rec.data.insert(rec.data.end(), {0, 0, 16, 0});
    rec.outputs.push_back({1, 8, static_cast<u32>(bytes.size())});
    return rec;
  };
  std::vector<u8> changed = random;
  changed[1000] ^= 1;
  for (bool same : {true, false}) {
    EchoWindow enc, dec;
    std::vector<u8> a, b;
    EncodeRecord(got_random, 0, &a, &enc);
    CallRecord out = write_out(same ? random : changed);
    EncodeRecord(out, 0, &b, &enc);
    if (same) {
      EXPECT_LT(b.size(), 100u);
    } else {
      EXPECT_GT(b.size(), random.size());
    }
    CallRecord got;
    ASSERT_TRUE(DecodeRecord(a, 0, &got, &dec).ok());
    EXPECT_TRUE(SameOps(got, got_random));
    Status s = DecodeRecord(b, 0, &got, &dec);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(SameOps(got, out));
    ASSERT_EQ(got.outputs.size(), 1u);
    std::span<const u8> printed = got.Bytes(got.outputs[0]);
    EXPECT_TRUE(std::equal(printed.begin(), printed.end(), out.data.begin() + 8,
                           out.data.begin() + 8 + random.size()));
  }

  // An echo with nothing to echo (a decoder that has not seen the write, as
  // in a damaged or hostile log) is corruption, not a guess.
  EchoWindow enc, fresh;
  std::vector<u8> a, b;
  EncodeRecord(got_random, 0, &a, &enc);
  EncodeRecord(write_out(random), 0, &b, &enc);
  CallRecord got;
  Status s = DecodeRecord(b, 0, &got, &fresh);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
}

TEST(LogCodec, HostileRecordCounts) {
  std::vector<u8> b;
  ByteWriter w(&b);
  w.Varint(1);
  w.Zigzag(0);
  w.Varint(0);
  w.Varint(0);           // no args, no flags
  w.Varint(UINT64_MAX);  // op count
  CallRecord got;
  EXPECT_FALSE(DecodeRecord(b, 0, &got).ok());
  b.pop_back();
  for (int i = 0; i < 9; ++i) b.pop_back();
  w.Varint(1);
  w.Varint(u64{0xffffffff} << 1);  // a 4 GiB read op
  w.Varint(0);
  w.Varint(0);
  EXPECT_FALSE(DecodeRecord(b, 0, &got).ok());
}

// Writes `n` records made by MakeRecord and finishes with SampleEnd().
std::vector<CallRecord> WriteLog(const std::string& path, int n, bool finish = true) {
  auto writer = LogWriter::Create(path, SampleInfo());
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  std::vector<CallRecord> recs;
  for (int i = 0; i < n; ++i) {
    recs.push_back(MakeRecord(static_cast<u64>(i), static_cast<u32>(i % 7)));
    (*writer)->Append(recs.back());
  }
  EXPECT_EQ((*writer)->records(), static_cast<u64>(n));
  if (finish) {
    EXPECT_TRUE((*writer)->Finish(SampleEnd()).ok());
  } else {
    EXPECT_TRUE((*writer)->Flush().ok());
  }
  return recs;
}

// Reads every record; returns how many matched `recs` in order (stops at the
// first mismatch or the end).
u64 ReadBack(LogReader& reader, const std::vector<CallRecord>& recs) {
  CallRecord got;
  u64 n = 0;
  for (;;) {
    auto more = reader.Next(&got);
    if (!more.ok() || !*more) break;
    if (n >= recs.size() || got.index != n || !SameRecord(recs[n], got)) {
      ADD_FAILURE() << "record " << n << " differs";
      break;
    }
    ++n;
  }
  return n;
}

TEST(Log, RoundTripManyRecords) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  std::vector<CallRecord> recs = WriteLog(path, 100'000);
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE(SameInfo((*reader)->info(), SampleInfo()));
  EXPECT_EQ(ReadBack(**reader, recs), 100'000u);
  EXPECT_FALSE((*reader)->truncated()) << (*reader)->truncation_reason();
  ASSERT_TRUE((*reader)->end().has_value());
  EXPECT_TRUE(SameEnd(*(*reader)->end(), SampleEnd()));
  // Once ended, it stays ended.
  CallRecord rec;
  auto more = (*reader)->Next(&rec);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
}

TEST(Log, EmptyLogAndSkip) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  WriteLog(path, 0);
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto n = (*reader)->Skip();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE((*reader)->end().has_value());

  WriteLog(path, 1000);
  reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  n = (*reader)->Skip();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1000u);
  EXPECT_TRUE((*reader)->end().has_value());
}

TEST(Log, LargeRecordsSpanFrames) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  auto writer = LogWriter::Create(path, SampleInfo());
  ASSERT_TRUE(writer.ok());
  std::vector<CallRecord> recs;
  for (int i = 0; i < 4; ++i) {
    CallRecord rec = MakeRecord(static_cast<u64>(i), 1);
    rec.ops.push_back({MemOp::Kind::kWrite, 0, static_cast<u32>(rec.data.size()), 3u << 20});
    for (u32 k = 0; k < (3u << 20); ++k) rec.data.push_back(static_cast<u8>(k * 2654435761u >> 24));
    recs.push_back(rec);
    (*writer)->Append(rec);
    if (i == 1) {
      ASSERT_TRUE((*writer)->Flush().ok());
    }
  }
  ASSERT_TRUE((*writer)->Finish(SampleEnd()).ok());
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadBack(**reader, recs), 4u);
  EXPECT_TRUE((*reader)->end().has_value());
}

TEST(Log, WithoutEndFrameIsTruncated) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  auto writer = LogWriter::Create(path, SampleInfo());
  ASSERT_TRUE(writer.ok());
  std::vector<CallRecord> recs;
  for (int i = 0; i < 50; ++i) {
    recs.push_back(MakeRecord(static_cast<u64>(i), 2));
    (*writer)->Append(recs.back());
  }
  ASSERT_TRUE((*writer)->Flush().ok());
  // Copy the file while the writer is still open: a killed run.
  std::vector<u8> bytes = ReadFile(path);
  std::string copy = dir.path() + "/copy.log";
  WriteFile(copy, bytes);
  auto reader = LogReader::Open(copy);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadBack(**reader, recs), 50u);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_FALSE((*reader)->end().has_value());
  EXPECT_NE((*reader)->truncation_reason().find("after 50 records"), std::string::npos)
      << (*reader)->truncation_reason();
}

TEST(Log, TruncatedAtEveryByte) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  // Two records frames (Flush in between) so cuts fall in both.
  auto writer = LogWriter::Create(path, SampleInfo());
  ASSERT_TRUE(writer.ok());
  std::vector<CallRecord> recs;
  for (int i = 0; i < 20; ++i) {
    recs.push_back(MakeRecord(static_cast<u64>(i), static_cast<u32>(i)));
    (*writer)->Append(recs.back());
    if (i == 9) {
      ASSERT_TRUE((*writer)->Flush().ok());
    }
  }
  ASSERT_TRUE((*writer)->Finish(SampleEnd()).ok());
  std::vector<u8> bytes = ReadFile(path);
  std::string cut = dir.path() + "/cut.log";
  u64 last = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    WriteFile(cut, {bytes.data(), n});
    auto reader = LogReader::Open(cut);
    if (!reader.ok()) {
      // Only a cut inside the file header or header frame may fail to open.
      EXPECT_EQ(reader.status().code(), Status::Code::kCorruption);
      EXPECT_EQ(last, 0u);
      continue;
    }
    u64 got = ReadBack(**reader, recs);
    EXPECT_GE(got, last) << n;  // a longer prefix never reads fewer records
    last = got;
    EXPECT_TRUE((*reader)->truncated()) << n;
    EXPECT_FALSE((*reader)->end().has_value()) << n;
  }
  EXPECT_EQ(last, 20u);
}

TEST(Log, FlippedByteIsCaught) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  std::vector<CallRecord> recs = WriteLog(path, 200);
  std::vector<u8> bytes = ReadFile(path);
  std::string bad = dir.path() + "/bad.log";
  for (size_t at = kFileHeaderSize; at < bytes.size(); at += 7) {
    std::vector<u8> copy = bytes;
    copy[at] ^= 0x10;
    WriteFile(bad, copy);
    auto reader = LogReader::Open(bad);
    if (!reader.ok()) continue;  // the header frame was hit
    u64 got = ReadBack(**reader, recs);
    EXPECT_TRUE((*reader)->truncated() || got < recs.size()) << at;
    EXPECT_FALSE((*reader)->end().has_value()) << at;
  }
}

TEST(Log, BadMagicAndVersion) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  WriteLog(path, 3);
  std::vector<u8> bytes = ReadFile(path);

  std::vector<u8> copy = bytes;
  copy[0] = 'X';
  WriteFile(path, copy);
  auto reader = LogReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("not a deja log"), std::string::npos);

  copy = bytes;
  copy[8] = 4;
  WriteFile(path, copy);
  reader = LogReader::Open(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(
      reader.status().message().find("log version 4 is not supported by this deja (reads up to 3)"),
      std::string::npos)
      << reader.status().ToString();

  reader = LogReader::Open(dir.path() + "/missing.log");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Status::Code::kNotFound);
}

// Builds a log by hand from frames.
std::vector<u8> HandLog(const std::vector<std::pair<FrameType, std::vector<u8>>>& frames) {
  std::vector<u8> out(kLogMagic, kLogMagic + 8);
  ByteWriter(&out).U32Le(kLogVersion);
  for (const auto& [type, payload] : frames) {
    AppendFrameHeader(type, payload, &out);
    out.insert(out.end(), payload.begin(), payload.end());
  }
  return out;
}

TEST(Log, HostileFrames) {
  TempDir dir;
  std::string path = dir.path() + "/hostile.log";
  std::vector<u8> info;
  EncodeRunInfo(SampleInfo(), &info);

  // A frame header claiming 4 GiB.
  std::vector<u8> bytes = HandLog({{FrameType::kHeader, info}});
  bytes.push_back(2);
  ByteWriter(&bytes).U32Le(0xffffffff);
  ByteWriter(&bytes).U32Le(0);
  WriteFile(path, bytes);
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  CallRecord rec;
  auto more = (*reader)->Next(&rec);
  EXPECT_TRUE(more.ok() && !*more);
  EXPECT_TRUE((*reader)->truncated());

  // A records frame that is not zstd.
  WriteFile(path, HandLog({{FrameType::kHeader, info}, {FrameType::kRecords, {1, 2, 3, 4}}}));
  reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  more = (*reader)->Next(&rec);
  EXPECT_FALSE(more.ok());

  // An unknown frame type, and a records frame first.
  WriteFile(path, HandLog({{FrameType::kHeader, info}, {static_cast<FrameType>(9), {}}}));
  reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->Next(&rec).ok());
  WriteFile(path, HandLog({{FrameType::kRecords, info}}));
  EXPECT_FALSE(LogReader::Open(path).ok());

  // A malformed header payload.
  WriteFile(path, HandLog({{FrameType::kHeader, {0xff, 0xff, 0xff}}}));
  EXPECT_FALSE(LogReader::Open(path).ok());
}

TEST(Log, HostileRecordLength) {
  // A valid zstd stream whose record claims 2^40 bytes.
  TempDir dir;
  std::string path = dir.path() + "/hostile.log";
  std::vector<u8> info;
  EncodeRunInfo(SampleInfo(), &info);
  std::vector<u8> plain;
  ByteWriter(&plain).Varint(u64{1} << 40);
  plain.resize(plain.size() + 100, 0);
  std::vector<u8> z = testing::Zstd(plain);
  WriteFile(path, HandLog({{FrameType::kHeader, info}, {FrameType::kRecords, z}}));
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  CallRecord rec;
  auto more = (*reader)->Next(&rec);
  EXPECT_FALSE(more.ok());
  more = (*reader)->Next(&rec);  // stays ended
  EXPECT_TRUE(more.ok() && !*more);
}

// A frame whose checksum holds but whose content does not decode cannot come
// from a kill: the reader calls it damage (replay exits 67, not 66).
TEST(Log, ValidChecksumBadContentIsDamage) {
  TempDir dir;
  std::string path = dir.path() + "/hostile.log";
  std::vector<u8> info;
  EncodeRunInfo(SampleInfo(), &info);
  CallRecord rec;

  // A record whose fields stop in the middle of a varint.
  std::vector<u8> plain;
  std::vector<u8> body = {0x00, 0x00, 0xff};
  ByteWriter(&plain).Varint(body.size());
  plain.insert(plain.end(), body.begin(), body.end());
  WriteFile(path, HandLog({{FrameType::kHeader, info},
                           {FrameType::kRecords, testing::Zstd(plain)}}));
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  auto more = (*reader)->Next(&rec);
  EXPECT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), Status::Code::kCorruption);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_TRUE((*reader)->damaged());
  EXPECT_EQ((*reader)->truncation_reason().rfind("damage: ", 0), 0u)
      << (*reader)->truncation_reason();

  // A records frame that is not zstd at all.
  WriteFile(path, HandLog({{FrameType::kHeader, info}, {FrameType::kRecords, {1, 2, 3, 4}}}));
  reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->Next(&rec).ok());
  EXPECT_TRUE((*reader)->damaged());

  // An end frame that does not decode.
  WriteFile(path, HandLog({{FrameType::kHeader, info}, {FrameType::kEnd, {0xff, 0xff}}}));
  reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->Next(&rec).ok());
  EXPECT_TRUE((*reader)->damaged());
  EXPECT_FALSE((*reader)->end().has_value());
}

// A call too large to record stops the recording there: it and every later
// call are left out, the end frame says so (with the real call count), and
// the reader reports the log as stopped, never as a complete recording.
TEST(Log, TooLargeRecordStopsTheRecording) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  auto writer = LogWriter::Create(path, SampleInfo());
  ASSERT_TRUE(writer.ok());
  std::vector<CallRecord> recs = {MakeRecord(0, 1)};
  CallRecord huge = MakeRecord(1, 1);
  huge.ops.resize(kMaxRecordItems + 1, MemOp{MemOp::Kind::kRead, 0, 0, 0});
  (*writer)->Append(recs[0]);
  (*writer)->Append(huge);
  (*writer)->Append(MakeRecord(2, 1));
  RunEnd end = SampleEnd();
  end.host_calls = 3;
  Status s = (*writer)->Finish(end);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("host call 1 "), std::string::npos) << s.ToString();
  EXPECT_EQ(end.recorded_calls, 1u);  // Finish(RunEnd&) filled it in
  EXPECT_NE(end.recording_stopped.find("too large"), std::string::npos);
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadBack(**reader, recs), 1u);
  ASSERT_TRUE((*reader)->end().has_value());
  EXPECT_EQ((*reader)->end()->host_calls, 3u);
  EXPECT_EQ((*reader)->end()->recorded_calls, 1u);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_FALSE((*reader)->damaged());
  EXPECT_NE((*reader)->truncation_reason().find("recording stopped after 1 of 3 host calls"),
            std::string::npos)
      << (*reader)->truncation_reason();
}

// The size limit: the log file stays under it, the recording stops at the
// first call that would pass it, and says so.
TEST(Log, SizeLimitStopsTheRecording) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  LogWriter::Options options;
  options.max_bytes = 1 << 20;
  EXPECT_EQ(LogWriter::Create(path, SampleInfo(), {.max_bytes = 1000}).status().code(),
            Status::Code::kInvalidArgument);
  auto writer = LogWriter::Create(path, SampleInfo(), options);
  ASSERT_TRUE(writer.ok());
  // 64 KiB of incompressible bytes per call: the 16th or so passes 1 MiB.
  std::vector<CallRecord> recs;
  u64 state = 88172645463325252ull;
  for (int i = 0; i < 40; ++i) {
    CallRecord rec = MakeRecord(static_cast<u64>(i), 0);
    rec.ops.push_back({MemOp::Kind::kWrite, 4096, static_cast<u32>(rec.data.size()), 65536});
    for (int b = 0; b < 65536; ++b) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      rec.data.push_back(static_cast<u8>(state));
    }
    (*writer)->Append(rec);
    recs.push_back(std::move(rec));
  }
  RunEnd end = SampleEnd();
  end.host_calls = 40;
  Status s = (*writer)->Finish(end);
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("size limit of 1 MiB"), std::string::npos) << s.ToString();
  EXPECT_LT(std::filesystem::file_size(path), u64{1} << 20);
  EXPECT_GT(end.recorded_calls, 10u);
  EXPECT_LT(end.recorded_calls, 16u);
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadBack(**reader, recs), end.recorded_calls);
  ASSERT_TRUE((*reader)->end().has_value());
  EXPECT_EQ((*reader)->end()->recorded_calls, end.recorded_calls);
  EXPECT_EQ((*reader)->end()->host_calls, 40u);
  EXPECT_TRUE((*reader)->truncated());
}

TEST(Log, UnwritablePath) {
  auto writer = LogWriter::Create("/nonexistent-dir/x/run.log", SampleInfo());
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), Status::Code::kIoError);
}

TEST(Log, FullDiskIsReportedByFinish) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  auto writer = LogWriter::Create("/dev/full", SampleInfo());
  if (writer.ok()) {
    (*writer)->Append(MakeRecord(0, 1));
    Status s = (*writer)->Finish(SampleEnd());
    EXPECT_FALSE(s.ok());
  } else {
    EXPECT_EQ(writer.status().code(), Status::Code::kIoError);
  }
}

TEST(Log, BackgroundThreadFlushesWithinInterval) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  auto writer = LogWriter::Create(path, SampleInfo());
  ASSERT_TRUE(writer.ok());
  u64 header_bytes = (*writer)->bytes_written();
  (*writer)->Append(MakeRecord(0, 1));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*writer)->bytes_written() == header_bytes &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GT((*writer)->bytes_written(), header_bytes);
  ASSERT_TRUE((*writer)->Finish(SampleEnd()).ok());
}

// A writer killed with SIGKILL mid-run leaves a log whose complete frames
// read back.
TEST(Log, SurvivesSigkill) {
  TempDir dir;
  std::string path = dir.path() + "/killed.log";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto writer = LogWriter::Create(path, SampleInfo());
    if (!writer.ok()) _exit(3);
    for (u64 i = 0;; ++i) (*writer)->Append(MakeRecord(i, static_cast<u32>(i % 7)));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  CallRecord rec;
  u64 n = 0;
  for (;;) {
    auto more = (*reader)->Next(&rec);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ASSERT_TRUE(SameRecord(rec, MakeRecord(n, static_cast<u32>(n % 7)))) << n;
    ++n;
  }
  EXPECT_GT(n, 0u);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_FALSE((*reader)->end().has_value());
}

// Random bytes behind valid frames and a valid zstd stream: the reader may
// fail or stop, but must never crash or allocate without bound.
TEST(Log, RandomRecordBytesNeverCrash) {
  TempDir dir;
  std::string path = dir.path() + "/random.log";
  std::vector<u8> info;
  EncodeRunInfo(SampleInfo(), &info);
  u64 state = 0x9e3779b97f4a7c15;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<u8> plain;
    // A few plausible records (a small length, then random fields).
    for (int r = 0; r < 5; ++r) {
      u64 len = next() % 40;
      ByteWriter(&plain).Varint(round % 7 == 0 ? next() : len);
      for (u64 i = 0; i < len; ++i)
        plain.push_back(static_cast<u8>(next() % (round % 2 ? 256 : 4)));
    }
    std::vector<u8> out(kLogMagic, kLogMagic + 8);
    ByteWriter(&out).U32Le(kLogVersion);
    AppendFrameHeader(FrameType::kHeader, info, &out);
    out.insert(out.end(), info.begin(), info.end());
    std::vector<u8> z = testing::Zstd(plain);
    AppendFrameHeader(FrameType::kRecords, z, &out);
    out.insert(out.end(), z.begin(), z.end());
    WriteFile(path, out);
    auto reader = LogReader::Open(path);
    ASSERT_TRUE(reader.ok());
    CallRecord rec;
    for (int i = 0; i < 10; ++i) {
      auto more = (*reader)->Next(&rec);
      if (!more.ok() || !*more) break;
      EXPECT_LE(rec.data.size(), plain.size());
    }
  }
}

TEST(Log, DestroyedWithoutFinishKeepsEveryRecord) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  {
    auto writer = LogWriter::Create(path, SampleInfo());
    ASSERT_TRUE(writer.ok());
    for (u64 i = 0; i < 1000; ++i) (*writer)->Append(MakeRecord(i, 3));
  }
  auto reader = LogReader::Open(path);
  ASSERT_TRUE(reader.ok());
  auto n = (*reader)->Skip();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1000u);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_FALSE((*reader)->end().has_value());
}


// Where each frame starts: [header, records..., end].
std::vector<size_t> FrameStarts(const std::vector<u8>& bytes) {
  std::vector<size_t> starts;
  size_t at = kFileHeaderSize;
  while (at + kFrameHeaderSize <= bytes.size()) {
    starts.push_back(at);
    u32 len = 0;
    std::memcpy(&len, bytes.data() + at + 1, 4);  // little-endian hosts only
    at += kFrameHeaderSize + len;
  }
  return starts;
}

TEST(Log, DamageIsToldFromACut) {
  TempDir dir;
  std::string path = dir.path() + "/run.log";
  auto writer = LogWriter::Create(path, SampleInfo());
  ASSERT_TRUE(writer.ok());
  std::vector<CallRecord> recs;
  for (int i = 0; i < 20; ++i) {
    recs.push_back(MakeRecord(static_cast<u64>(i), static_cast<u32>(i)));
    (*writer)->Append(recs.back());
    if (i == 9) {
      ASSERT_TRUE((*writer)->Flush().ok());
    }
  }
  ASSERT_TRUE((*writer)->Finish(SampleEnd()).ok());
  std::vector<u8> bytes = ReadFile(path);
  std::vector<size_t> frames = FrameStarts(bytes);
  ASSERT_EQ(frames.size(), 4u);  // header, two records frames, end
  std::string copy = dir.path() + "/copy.log";

  // A flipped payload byte in the first records frame: damage, 0 records.
  std::vector<u8> flipped = bytes;
  flipped[frames[1] + kFrameHeaderSize + 2] ^= 0x40;
  WriteFile(copy, flipped);
  auto reader = LogReader::Open(copy);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadBack(**reader, recs), 0u);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_TRUE((*reader)->damaged());
  EXPECT_NE((*reader)->truncation_reason().find("damage: checksum mismatch"), std::string::npos)
      << (*reader)->truncation_reason();

  // An impossible frame length in the second records frame: damage after 10.
  std::vector<u8> long_frame = bytes;
  long_frame[frames[2] + 4] = 0xff;  // the length's top byte
  WriteFile(copy, long_frame);
  reader = LogReader::Open(copy);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadBack(**reader, recs), 10u);
  EXPECT_TRUE((*reader)->damaged());

  // Cut inside the second records frame: a killed run, not damage.
  WriteFile(copy, {bytes.data(), frames[2] + kFrameHeaderSize + 1});
  reader = LogReader::Open(copy);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadBack(**reader, recs), 10u);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_FALSE((*reader)->damaged());

  // A bad checksum in the last frame (a crash can leave it whole but wrong):
  // a cut, with every record read.
  std::vector<u8> bad_end = bytes;
  bad_end.back() ^= 0x01;
  WriteFile(copy, bad_end);
  reader = LogReader::Open(copy);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadBack(**reader, recs), 20u);
  EXPECT_TRUE((*reader)->truncated());
  EXPECT_FALSE((*reader)->damaged());
  EXPECT_FALSE((*reader)->end().has_value());
}
}  // namespace
}  // namespace deja::tm
