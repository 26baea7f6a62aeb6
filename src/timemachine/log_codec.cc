#include "timemachine/log_codec.h"

#include <array>
#include <cstring>

namespace deja::tm {
namespace {

// Reflected CRC-32C polynomial (Castagnoli), as used by iSCSI and ext4.
constexpr u32 kCrc32cPoly = 0x82f63b78;

constexpr std::array<u32, 256> MakeCrc32cTable() {
  std::array<u32, 256> table{};
  for (u32 i = 0; i < 256; ++i) {
    u32 c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? (c >> 1) ^ kCrc32cPoly : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<u32, 256> kCrc32cTable = MakeCrc32cTable();

// The record head packs the argument count with the flags.
constexpr u32 kHasResult = 1;
constexpr u32 kHasExit = 2;
// The "stream" of an output whose bytes are in the read ops (version 2).
constexpr u64 kOutputRef = 3;

// Memory op pointers are stored relative to the end of the previous op, the
// first one relative to the last argument: handlers usually write their
// result through their last argument, and read or write buffers in a row.
u32 OpPtrBase(const std::vector<u64>& args) {
  return args.empty() ? 0 : static_cast<u32>(args.back());
}

Status Bad(const char* what) { return Status::Corruption(std::string("log: ") + what); }

}  // namespace

namespace {

u32 Crc32cTable(const u8* p, size_t n, u32 c) {
  for (size_t i = 0; i < n; ++i) c = kCrc32cTable[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes exactly this CRC (Castagnoli,
// reflected), 8 bytes at a time: ~8x the table's speed, which showed as
// ~5% of a recording's CPU on output-heavy guests (every frame, snapshot
// section and export section is checksummed).
__attribute__((target("sse4.2"))) u32 Crc32cSse42(const u8* p, size_t n, u32 c) {
  u64 c64 = c;
  for (; n >= 8; n -= 8, p += 8) {
    u64 v;
    std::memcpy(&v, p, 8);
    c64 = __builtin_ia32_crc32di(c64, v);
  }
  c = static_cast<u32>(c64);
  for (; n > 0; --n, ++p) c = __builtin_ia32_crc32qi(c, *p);
  return c;
}

const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

u32 Crc32c(std::span<const u8> bytes, u32 crc) {
#if defined(__x86_64__)
  if (kHasSse42) return ~Crc32cSse42(bytes.data(), bytes.size(), ~crc);
#endif
  return ~Crc32cTable(bytes.data(), bytes.size(), ~crc);
}

u32 FrameCrc(u8 type, std::span<const u8> payload) {
  u8 head[5] = {type, static_cast<u8>(payload.size()), static_cast<u8>(payload.size() >> 8),
                static_cast<u8>(payload.size() >> 16), static_cast<u8>(payload.size() >> 24)};
  return Crc32c(payload, Crc32c(head));
}

void AppendFrameHeader(FrameType type, std::span<const u8> payload, std::vector<u8>* out) {
  ByteWriter w(out);
  w.U8(static_cast<u8>(type));
  w.U32Le(static_cast<u32>(payload.size()));
  w.U32Le(FrameCrc(static_cast<u8>(type), payload));
}

// --- ByteWriter / ByteReader

void ByteWriter::U32Le(u32 v) {
  for (int i = 0; i < 4; ++i) out_->push_back(static_cast<u8>(v >> (8 * i)));
}

void ByteWriter::Varint(u64 v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<u8>(v | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<u8>(v));
}

void ByteWriter::String(std::string_view s) {
  Varint(s.size());
  out_->insert(out_->end(), s.begin(), s.end());
}

void ByteWriter::Strings(const std::vector<std::string>& v) {
  Varint(v.size());
  for (const std::string& s : v) String(s);
}

bool ByteReader::U8(u8* v) {
  if (remaining() < 1) return false;
  *v = in_[pos_++];
  return true;
}

bool ByteReader::U32Le(u32* v) {
  if (remaining() < 4) return false;
  *v = 0;
  for (int i = 0; i < 4; ++i) *v |= u32{in_[pos_ + i]} << (8 * i);
  pos_ += 4;
  return true;
}

bool ByteReader::Varint(u64* v) {
  u64 result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= in_.size()) return false;
    u8 b = in_[pos_++];
    // The tenth byte may only hold the top bit.
    if (shift == 63 && b > 1) return false;
    result |= u64{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool ByteReader::Varint32(u32* v) {
  u64 x;
  if (!Varint(&x) || x > UINT32_MAX) return false;
  *v = static_cast<u32>(x);
  return true;
}

bool ByteReader::Zigzag(i64* v) {
  u64 x;
  if (!Varint(&x)) return false;
  *v = static_cast<i64>((x >> 1) ^ (~(x & 1) + 1));
  return true;
}

bool ByteReader::Bytes(size_t n, std::span<const u8>* out) {
  if (remaining() < n) return false;
  *out = in_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::String(std::string* out) {
  u64 n;
  std::span<const u8> b;
  if (!Varint(&n) || n > remaining() || !Bytes(n, &b)) return false;
  out->assign(b.begin(), b.end());
  return true;
}

bool ByteReader::Strings(std::vector<std::string>* out) {
  u64 n;
  // Each string takes at least its length byte, which bounds the count.
  if (!Varint(&n) || n > remaining() || n > kMaxRecordItems) return false;
  out->clear();
  out->reserve(n);
  for (u64 i = 0; i < n; ++i) {
    if (!String(&out->emplace_back())) return false;
  }
  return true;
}

// --- RunInfo / RunEnd

void EncodeRunInfo(const RunInfo& info, std::vector<u8>* out) {
  ByteWriter w(out);
  w.String(info.id);
  w.Zigzag(info.start_unix_ns);
  w.String(info.deja_version);
  w.String(info.module_hash);
  w.String(info.module_name);
  w.Strings(info.args);
  w.Strings(info.env);
  w.Strings(info.dirs);
  w.Strings(info.listen);
  w.Strings(info.allow_connect);
  w.U8(info.invoke.has_value() ? 1 : 0);
  if (info.invoke) w.String(*info.invoke);
  w.Strings(info.invoke_args);
  w.Varint(info.max_memory_pages);
  w.U8(info.fuel.has_value() ? 1 : 0);
  if (info.fuel) w.Varint(*info.fuel);
  w.String(info.timeout);
  w.Varint(info.max_fds);
  w.U8(info.unknown_imports);
  w.Strings(info.call_names);
  if (!info.resumed_from.empty() || !info.continued_from.empty()) w.String(info.resumed_from);
  if (!info.continued_from.empty()) {
    w.String(info.continued_from);
    w.Varint(info.continued_calls);
  }
}

Status DecodeRunInfo(std::span<const u8> in, RunInfo* info) {
  ByteReader r(in);
  *info = RunInfo{};
  u8 has_invoke = 0, has_fuel = 0;
  bool ok = r.String(&info->id) && r.Zigzag(&info->start_unix_ns) &&
            r.String(&info->deja_version) && r.String(&info->module_hash) &&
            r.String(&info->module_name) && r.Strings(&info->args) && r.Strings(&info->env) &&
            r.Strings(&info->dirs) && r.Strings(&info->listen) && r.Strings(&info->allow_connect) &&
            r.U8(&has_invoke) && has_invoke <= 1;
  if (ok && has_invoke == 1) ok = r.String(&info->invoke.emplace());
  ok = ok && r.Strings(&info->invoke_args) && r.Varint(&info->max_memory_pages) &&
       r.U8(&has_fuel) && has_fuel <= 1;
  if (ok && has_fuel == 1) ok = r.Varint(&info->fuel.emplace());
  ok = ok && r.String(&info->timeout) && r.Varint32(&info->max_fds) &&
       r.U8(&info->unknown_imports) && r.Strings(&info->call_names);
  // Added after the first logs were written: absent in those.
  if (ok && r.remaining() > 0) ok = r.String(&info->resumed_from);
  if (ok && r.remaining() > 0) {
    ok = r.String(&info->continued_from) && r.Varint(&info->continued_calls);
  }
  // Bytes past the known fields are left for later minor additions.
  if (!ok) return Bad("header frame is malformed");
  return {};
}

void EncodeRunEnd(const RunEnd& end, std::vector<u8>* out) {
  ByteWriter w(out);
  w.U8(static_cast<u8>(end.kind));
  w.Zigzag(end.exit_status);
  w.Zigzag(end.guest_exit_code);
  w.String(end.message);
  w.Strings(end.results);
  w.Varint(end.fuel_consumed);
  w.Varint(end.host_calls);
  w.Varint(end.duration_ns);
  w.String(end.state_digest);
  // Appended later (older readers ignore them): only when recording stopped.
  if (!end.recording_stopped.empty()) {
    w.String(end.recording_stopped);
    w.Varint(end.recorded_calls);
  }
}

Status DecodeRunEnd(std::span<const u8> in, RunEnd* end) {
  ByteReader r(in);
  *end = RunEnd{};
  u8 kind;
  i64 exit_status, guest_exit_code;
  bool ok = r.U8(&kind) && kind <= static_cast<u8>(RunEnd::Kind::kSuspended) &&
            r.Zigzag(&exit_status) && r.Zigzag(&guest_exit_code) && r.String(&end->message) &&
            r.Strings(&end->results) && r.Varint(&end->fuel_consumed) &&
            r.Varint(&end->host_calls) && r.Varint(&end->duration_ns) &&
            r.String(&end->state_digest);
  if (!ok || exit_status < INT32_MIN || exit_status > INT32_MAX || guest_exit_code < INT32_MIN ||
      guest_exit_code > INT32_MAX) {
    return Bad("end frame is malformed");
  }
  if (r.remaining() > 0 && (!r.String(&end->recording_stopped) ||
                            !r.Varint(&end->recorded_calls) || end->recording_stopped.empty() ||
                            end->recorded_calls > end->host_calls)) {
    return Bad("end frame is malformed (recording stop)");
  }
  end->kind = static_cast<RunEnd::Kind>(kind);
  end->exit_status = static_cast<i32>(exit_status);
  end->guest_exit_code = static_cast<i32>(guest_exit_code);
  return {};
}

// --- CallRecord

namespace {

// Writes at a raw pointer into space reserved in advance: record encoding
// runs on the guest's thread for every WASI call, so it avoids a capacity
// check per byte.
class RawWriter {
 public:
  explicit RawWriter(u8* p) : p_(p) {}
  void Varint(u64 v) {
    while (v >= 0x80) {
      *p_++ = static_cast<u8>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<u8>(v);
  }
  void Zigzag(i64 v) { Varint((static_cast<u64>(v) << 1) ^ static_cast<u64>(v >> 63)); }
  void Bytes(std::span<const u8> b) {
    if (!b.empty()) std::memcpy(p_, b.data(), b.size());
    p_ += b.size();
  }
  u8* pos() const { return p_; }

 private:
  u8* p_;
};

constexpr size_t kMaxVarint = 10;
// Version 3 op kinds: 0 read, 1 write, 2 read whose bytes echo EchoWindow.
constexpr u64 kOpEcho = 2;

// Per-thread scratch, so that a call allocates nothing once they have grown.
std::vector<bool>& EchoScratch() {
  thread_local std::vector<bool> v;
  return v;
}
std::vector<std::span<const u8>>& EchoSources() {
  thread_local std::vector<std::span<const u8>> v;
  return v;
}

// Where output `o`'s bytes sit in the encoded op data, if they are bytes
// some read ops already hold: the recorder points an fd_write's output at
// the buffer it logged as read, so stdout is not stored twice. The output
// must lie within one run of consecutive read ops that are also
// consecutive in `data` (then their encoded bytes are consecutive too).
std::optional<u64> OutputInOps(const CallRecord& rec, const Output& o) {
  if (o.len == 0) return std::nullopt;
  u64 encoded = 0;  // where ops[k]'s bytes start in the encoded data
  for (size_t k = 0; k < rec.ops.size(); ++k) {
    const MemOp& op = rec.ops[k];
    if (op.kind == MemOp::Kind::kRead && op.offset <= o.offset &&
        u64{o.offset} < u64{op.offset} + op.len) {
      u64 end = u64{o.offset} + o.len;
      u64 covered = u64{op.offset} + op.len;
      for (size_t j = k + 1; covered < end && j < rec.ops.size(); ++j) {
        const MemOp& next = rec.ops[j];
        if (next.kind != MemOp::Kind::kRead || next.offset != covered) break;
        covered += next.len;
      }
      if (covered < end) return std::nullopt;
      return encoded + (o.offset - op.offset);
    }
    encoded += op.len;
  }
  return std::nullopt;
}

}  // namespace

void EncodeRecord(const CallRecord& rec, u64 prev_time_ns, std::vector<u8>* out,
                  EchoWindow* echoes) {
  // The fields are at most a varint each (an output two); the data is
  // appended after them, so it is copied once and never zero-filled first.
  size_t bound =
      kMaxVarint * (6 + rec.args.size() + 2 * rec.ops.size() + 2 * rec.outputs.size());
  size_t start = out->size();
  out->resize(start + bound);
  RawWriter w(out->data() + start);
  w.Varint(rec.call);
  w.Zigzag(static_cast<i64>(rec.time_ns - prev_time_ns));
  w.Varint(rec.duration_ns);
  u32 argc = static_cast<u32>(rec.args.size());
  u32 flags = (rec.result ? kHasResult : 0) | (rec.exit_code ? kHasExit : 0);
  w.Varint(u64{argc} << 2 | flags);
  for (u64 a : rec.args) w.Varint(a);
  if (rec.result) w.Varint(*rec.result);
  if (rec.exit_code) w.Zigzag(*rec.exit_code);
  w.Varint(rec.ops.size());
  u32 ref = OpPtrBase(rec.args);
  // Which read ops are echoes (version 3): their bytes are not stored.
  std::vector<bool>& echo = EchoScratch();
  echo.assign(rec.ops.size(), false);
  bool any_echo = false;
  u64 echoed = 0;
  size_t echo_ops = 0;
  for (size_t k = 0; k < rec.ops.size(); ++k) {
    const MemOp& op = rec.ops[k];
    if (echoes != nullptr) {
      if (op.kind == MemOp::Kind::kRead && op.len >= EchoWindow::kMinEchoBytes &&
          echoed + op.len <= EchoWindow::kMaxBytes && echo_ops < EchoWindow::kMaxEchoOps) {
        std::optional<std::span<const u8>> was = echoes->Find(op.ptr, op.len);
        if (was && std::memcmp(was->data(), rec.data.data() + op.offset, op.len) == 0) {
          echo[k] = true;
          any_echo = true;
          echoed += op.len;
          ++echo_ops;
        }
      }
      w.Varint(u64{op.len} << 2 | (echo[k] ? kOpEcho : static_cast<u8>(op.kind)));
    } else {
      w.Varint(u64{op.len} << 1 | static_cast<u8>(op.kind));
    }
    w.Zigzag(i64{op.ptr} - i64{ref});
    ref = op.ptr + op.len;
  }
  w.Varint(rec.outputs.size());
  bool any_copied = false;
  for (const Output& o : rec.outputs) {
    if (std::optional<u64> at = OutputInOps(rec, o)) {
      // Stream 3 marks a reference: then offset and stream follow.
      w.Varint(u64{o.len} << 2 | kOutputRef);
      w.Varint(*at << 1 | static_cast<u64>(o.stream == 2));
    } else {
      w.Varint(u64{o.len} << 2 | (o.stream & 3));
      any_copied = true;
    }
  }
  out->resize(static_cast<size_t>(w.pos() - out->data()));
  // The bytes follow in the order of ops then copied outputs, so offsets
  // need not be stored.
  for (size_t k = 0; k < rec.ops.size(); ++k) {
    if (any_echo && echo[k]) continue;
    std::span<const u8> b = rec.Bytes(rec.ops[k]);
    out->insert(out->end(), b.begin(), b.end());
  }
  if (any_copied) {
    for (const Output& o : rec.outputs) {
      if (OutputInOps(rec, o)) continue;
      std::span<const u8> b = rec.Bytes(o);
      out->insert(out->end(), b.begin(), b.end());
    }
  }
  if (echoes != nullptr) echoes->Add(rec);
}

Status DecodeRecord(std::span<const u8> in, u64 prev_time_ns, CallRecord* rec,
                    EchoWindow* echoes) {
  ByteReader r(in);
  rec->Clear();
  i64 delta;
  u64 head, count;
  if (!r.Varint32(&rec->call) || !r.Zigzag(&delta) || !r.Varint(&rec->duration_ns) ||
      !r.Varint(&head) || (head >> 2) > kMaxRecordArgs) {
    return Bad("call record is malformed");
  }
  rec->time_ns = prev_time_ns + static_cast<u64>(delta);
  u32 argc = static_cast<u32>(head >> 2);
  for (u32 i = 0; i < argc; ++i) {
    if (!r.Varint(&rec->args.emplace_back())) return Bad("call record: bad argument");
  }
  if ((head & kHasResult) != 0) {
    u32 result;
    if (!r.Varint32(&result)) return Bad("call record: bad result");
    rec->result = result;
  }
  if ((head & kHasExit) != 0) {
    i64 code;
    if (!r.Zigzag(&code) || code < INT32_MIN || code > INT32_MAX) {
      return Bad("call record: bad exit code");
    }
    rec->exit_code = static_cast<i32>(code);
  }
  u64 total = 0;   // data bytes the ops and outputs claim (decoded)
  u64 stored = 0;  // of which the record holds (echoes are not stored)
  u64 echoed = 0;
  size_t echo_ops = 0;
  // Every op takes at least two bytes, every output one: that bounds counts.
  if (!r.Varint(&count) || count > r.remaining() / 2 || count > kMaxRecordItems) {
    return Bad("call record: bad op count");
  }
  rec->ops.reserve(count);
  std::vector<std::span<const u8>>& echo = EchoSources();
  echo.assign(count, {});
  bool any_echo = false;
  u32 ref = OpPtrBase(rec->args);
  const int kind_bits = echoes != nullptr ? 2 : 1;
  for (u64 i = 0; i < count; ++i) {
    u64 kind_len;
    i64 delta_ptr;
    if (!r.Varint(&kind_len) || !r.Zigzag(&delta_ptr) || (kind_len >> kind_bits) > UINT32_MAX) {
      return Bad("call record: bad memory op");
    }
    i64 ptr = i64{ref} + delta_ptr;
    if (delta_ptr < -i64{UINT32_MAX} || delta_ptr > i64{UINT32_MAX} || ptr < 0 ||
        ptr > i64{UINT32_MAX}) {
      return Bad("call record: bad memory op pointer");
    }
    u64 kind = kind_len & ((1u << kind_bits) - 1);
    if (kind > kOpEcho) return Bad("call record: bad memory op kind");
    MemOp& op = rec->ops.emplace_back();
    op.kind = kind == 1 ? MemOp::Kind::kWrite : MemOp::Kind::kRead;
    op.ptr = static_cast<u32>(ptr);
    op.len = static_cast<u32>(kind_len >> kind_bits);
    op.offset = static_cast<u32>(total);
    total += op.len;
    ref = op.ptr + op.len;
    if (kind == kOpEcho) {
      echoed += op.len;
      if (op.len < EchoWindow::kMinEchoBytes || echoed > EchoWindow::kMaxBytes ||
          ++echo_ops > EchoWindow::kMaxEchoOps) {
        return Bad("call record: too many echoed bytes");
      }
      std::optional<std::span<const u8>> was = echoes->Find(op.ptr, op.len);
      if (!was) {
        return Bad("call record: echo of bytes no recent call wrote");
      }
      echo[i] = *was;
      any_echo = true;
    } else {
      stored += op.len;
      if (stored > r.remaining()) return Bad("call record: memory op past the record");
    }
  }
  const u64 ops_total = total;
  if (!r.Varint(&count) || count > r.remaining() || count > kMaxRecordItems) {
    return Bad("call record: bad output count");
  }
  rec->outputs.reserve(count);
  for (u64 i = 0; i < count; ++i) {
    u64 len_stream;
    if (!r.Varint(&len_stream) || (len_stream >> 2) > UINT32_MAX) {
      return Bad("call record: bad output");
    }
    Output& o = rec->outputs.emplace_back();
    o.len = static_cast<u32>(len_stream >> 2);
    if ((len_stream & 3) == kOutputRef) {
      // Bytes that read ops already hold (log version 2).
      u64 at_stream;
      if (!r.Varint(&at_stream)) return Bad("call record: bad output reference");
      u64 at = at_stream >> 1;
      if (at > ops_total || o.len > ops_total - at) {
        return Bad("call record: output reference past the memory ops");
      }
      o.stream = static_cast<u8>(1 + (at_stream & 1));
      o.offset = static_cast<u32>(at);
      continue;
    }
    o.stream = static_cast<u8>(len_stream & 3);
    o.offset = static_cast<u32>(total);
    if (o.stream != 1 && o.stream != 2) return Bad("call record: bad output stream");
    total += o.len;
    stored += o.len;
    if (stored > r.remaining()) return Bad("call record: output past the record");
  }
  if (stored != r.remaining() || total > UINT32_MAX) return Bad("call record: data size mismatch");
  std::span<const u8> data;
  if (!r.Bytes(stored, &data)) return Bad("call record: data size mismatch");
  if (!any_echo) {
    rec->data.assign(data.begin(), data.end());
  } else {
    rec->data.clear();
    rec->data.reserve(total);
    size_t at = 0;
    for (size_t k = 0; k < rec->ops.size(); ++k) {
      if (!echo[k].empty()) {
        rec->data.insert(rec->data.end(), echo[k].begin(), echo[k].end());
        continue;
      }
      rec->data.insert(rec->data.end(), data.begin() + at, data.begin() + at + rec->ops[k].len);
      at += rec->ops[k].len;
    }
    rec->data.insert(rec->data.end(), data.begin() + at, data.end());
  }
  if (echoes != nullptr) echoes->Add(*rec);
  return {};
}

std::optional<std::span<const u8>> EchoWindow::Find(u32 ptr, u32 len) const {
  for (const std::vector<Write>& writes : records_) {
    for (const Write& w : writes) {
      if (w.ptr <= ptr && u64{ptr} + len <= u64{w.ptr} + w.bytes.size()) {
        return std::span<const u8>(w.bytes.data() + (ptr - w.ptr), len);
      }
    }
  }
  return std::nullopt;
}

void EchoWindow::Add(const CallRecord& rec) {
  std::vector<Write> writes;
  u64 size = 0;
  for (const MemOp& op : rec.ops) {
    if (writes.size() == kWritesPerRecord) break;
    if (op.kind != MemOp::Kind::kWrite || op.len < kMinEchoBytes) continue;
    if (u64{op.offset} + op.len > rec.data.size()) continue;
    std::span<const u8> b = rec.Bytes(op);
    writes.push_back({op.ptr, std::vector<u8>(b.begin(), b.end())});
    size += op.len;
  }
  // Calls that wrote nothing echoable (clocks, small results) leave the
  // window alone: cheaper, and they do not push out a buffer still in use.
  if (writes.empty()) return;
  records_.push_front(std::move(writes));
  bytes_ += size;
  while (records_.size() > kRecords || (bytes_ > kMaxBytes && !records_.empty())) {
    for (const Write& w : records_.back()) bytes_ -= w.bytes.size();
    records_.pop_back();
  }
}

}  // namespace deja::tm
