// Helpers for the trace tests: call records built by hand, with the memory
// ops a real handler would have logged.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "timemachine/record.h"

namespace deja::tm::testing {

inline void AddOp(CallRecord& rec, MemOp::Kind kind, u32 ptr, std::span<const u8> bytes) {
  rec.ops.push_back({kind, ptr, static_cast<u32>(rec.data.size()), static_cast<u32>(bytes.size())});
  rec.data.insert(rec.data.end(), bytes.begin(), bytes.end());
}
inline void AddRead(CallRecord& rec, u32 ptr, std::span<const u8> bytes) {
  AddOp(rec, MemOp::Kind::kRead, ptr, bytes);
}
inline void AddWrite(CallRecord& rec, u32 ptr, std::span<const u8> bytes) {
  AddOp(rec, MemOp::Kind::kWrite, ptr, bytes);
}
inline void AddRead(CallRecord& rec, u32 ptr, std::string_view text) {
  AddRead(rec, ptr, {reinterpret_cast<const u8*>(text.data()), text.size()});
}
inline void AddWrite(CallRecord& rec, u32 ptr, std::string_view text) {
  AddWrite(rec, ptr, {reinterpret_cast<const u8*>(text.data()), text.size()});
}
inline void AddOutput(CallRecord& rec, u8 stream, std::string_view text) {
  rec.outputs.push_back({stream, static_cast<u32>(rec.data.size()), static_cast<u32>(text.size())});
  rec.data.insert(rec.data.end(), text.begin(), text.end());
}

inline std::vector<u8> Le32(std::initializer_list<u32> values) {
  std::vector<u8> out;
  for (u32 v : values) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<u8>(v >> (8 * i)));
  }
  return out;
}
inline std::vector<u8> Le64(u64 v) {
  std::vector<u8> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<u8>(v >> (8 * i)));
  return out;
}

// Guest addresses the builders below use.
constexpr u32 kIovs = 0x100;   // the iovec array
constexpr u32 kBuf = 0x1000;   // the data buffer
constexpr u32 kCount = 0x200;  // nread / nwritten / ro_datalen
constexpr u32 kNewFd = 0x204;  // fd_out

// A record of call `call` (an index into the RunInfo's call_names).
inline CallRecord Call(u32 call, u64 time_ns, std::vector<u64> args, u32 result = 0) {
  CallRecord rec;
  rec.call = call;
  rec.time_ns = time_ns;
  rec.duration_ns = 1000;
  rec.args = std::move(args);
  rec.result = result;
  return rec;
}

// fd_read(fd, iovs, 1, nread) (or sock_recv's layout when `recv`) that read
// `text` into one buffer of 4096 bytes.
inline CallRecord ReadCall(u32 call, u64 t, u32 fd, std::string_view text, bool recv = false) {
  CallRecord rec = recv ? Call(call, t, {fd, kIovs, 1, 0, kCount, kCount + 8})
                        : Call(call, t, {fd, kIovs, 1, kCount});
  AddRead(rec, kIovs, Le32({kBuf, 4096}));
  if (!text.empty()) AddWrite(rec, kBuf, text);
  AddWrite(rec, kCount, Le32({static_cast<u32>(text.size())}));
  return rec;
}

// fd_write(fd, iovs, 1, nwritten) (or sock_send's layout) that wrote `text`.
inline CallRecord WriteCall(u32 call, u64 t, u32 fd, std::string_view text, bool send = false) {
  CallRecord rec =
      send ? Call(call, t, {fd, kIovs, 1, 0, kCount}) : Call(call, t, {fd, kIovs, 1, kCount});
  AddRead(rec, kIovs, Le32({kBuf, static_cast<u32>(text.size())}));
  AddRead(rec, kBuf, text);
  AddWrite(rec, kCount, Le32({static_cast<u32>(text.size())}));
  return rec;
}

// sock_accept(listener, 0, fd_out) returning `new_fd`.
inline CallRecord AcceptCall(u32 call, u64 t, u32 listener, u32 new_fd) {
  CallRecord rec = Call(call, t, {listener, 0, kNewFd});
  AddWrite(rec, kNewFd, Le32({new_fd}));
  return rec;
}

}  // namespace deja::tm::testing
