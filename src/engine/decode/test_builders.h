// Helpers for the decoder's tests: build module binaries byte by byte, so
// each test shows exactly the bytes it feeds the decoder.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "base/types.h"
#include "deja/status.h"

namespace deja::engine::testing {

using Bytes = std::vector<u8>;

inline Bytes Uleb(u64 v) {
  Bytes out;
  do {
    u8 b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? (b | 0x80) : b);
  } while (v);
  return out;
}

inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A section: id, LEB size, contents.
inline Bytes Section(u8 id, const Bytes& contents) {
  return Cat({{id}, Uleb(contents.size()), contents});
}

// A vector: LEB count, then the items' bytes concatenated.
inline Bytes Vec(u32 count, const Bytes& items) { return Cat({Uleb(count), items}); }

inline Bytes Name(const std::string& s) { return Cat({Uleb(s.size()), Bytes(s.begin(), s.end())}); }

inline Bytes Preamble() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

inline Bytes Wasm(std::initializer_list<Bytes> sections) {
  Bytes out = Preamble();
  for (const Bytes& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// One function type () -> () as a type section.
inline Bytes VoidTypeSection() { return Section(1, {0x01, 0x60, 0x00, 0x00}); }
inline Bytes OneFuncSection() { return Section(3, {0x01, 0x00}); }
// A code section with one body (locals and instructions given, size added).
inline Bytes CodeSection(const Bytes& body) {
  return Section(10, Cat({{0x01}, Uleb(body.size()), body}));
}

// "malformed: offset 0x..: reason" style text for EXPECT_EQ.
inline std::string Text(const Status& s) { return s.ToString(); }

}  // namespace deja::engine::testing
