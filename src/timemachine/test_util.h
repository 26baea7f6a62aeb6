// Helpers for the time machine's tests: temporary directories, whole-file
// I/O, and synthetic call records.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "timemachine/record.h"

namespace deja::tm::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "deja-tm-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::vector<u8> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void WriteFile(const std::string& path, std::span<const u8> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// A deterministic record that varies with `i`: reads, writes and output.
inline CallRecord MakeRecord(u64 i, u32 call) {
  CallRecord rec;
  rec.call = call;
  rec.time_ns = i * 1000 + (i % 3);
  rec.duration_ns = 100 + i % 50;
  rec.args = {i, i * 7, 65536 + i % 100};
  if (i % 5 != 4) rec.result = static_cast<u32>(i % 3);
  if (i % 101 == 100) rec.exit_code = -static_cast<i32>(i % 9);
  u32 n = static_cast<u32>(i % 13);
  rec.ops.push_back({MemOp::Kind::kRead, static_cast<u32>(i * 16), 0, n});
  for (u32 k = 0; k < n; ++k) rec.data.push_back(static_cast<u8>(i + k));
  rec.ops.push_back({MemOp::Kind::kWrite, 1024, n, 8});
  for (u32 k = 0; k < 8; ++k) rec.data.push_back(static_cast<u8>(i >> (8 * k)));
  if (i % 4 == 0) {
    rec.outputs.push_back({static_cast<u8>(1 + i % 2), static_cast<u32>(rec.data.size()), 3});
    rec.data.insert(rec.data.end(), {'o', 'u', 't'});
  }
  return rec;
}

inline bool SameOps(const CallRecord& a, const CallRecord& b) {
  if (a.ops.size() != b.ops.size() || a.outputs.size() != b.outputs.size()) return false;
  for (size_t i = 0; i < a.ops.size(); ++i) {
    const MemOp& x = a.ops[i];
    const MemOp& y = b.ops[i];
    if (x.kind != y.kind || x.ptr != y.ptr || x.len != y.len) return false;
    auto bx = a.Bytes(x), by = b.Bytes(y);
    if (!std::equal(bx.begin(), bx.end(), by.begin(), by.end())) return false;
  }
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    const Output& x = a.outputs[i];
    const Output& y = b.outputs[i];
    if (x.stream != y.stream || x.len != y.len) return false;
    auto bx = a.Bytes(x), by = b.Bytes(y);
    if (!std::equal(bx.begin(), bx.end(), by.begin(), by.end())) return false;
  }
  return true;
}

// Equal in everything stored (not index, not data offsets).
inline bool SameRecord(const CallRecord& a, const CallRecord& b) {
  return a.call == b.call && a.time_ns == b.time_ns && a.duration_ns == b.duration_ns &&
         a.args == b.args && a.result == b.result && a.exit_code == b.exit_code && SameOps(a, b);
}

// One complete zstd frame of `plain`.
inline std::vector<u8> Zstd(std::span<const u8> plain) {
  std::vector<u8> out(ZSTD_compressBound(plain.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 1);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

}  // namespace deja::tm::testing
