#include <fstream>
#include <initializer_list>
#include <iterator>

#include "micro.h"
#include "text/wat.h"

namespace deja::bench {

Module CompileWat(std::string_view wat) {
  Result<std::vector<uint8_t>> wasm = text::WatToWasm(wat);
  if (!wasm.ok()) Die("wat", wasm.status());
  Result<Module> module = Module::Compile(*wasm);
  if (!module.ok()) Die("compile", module.status());
  return std::move(module).value();
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die(path, Status::IoError("cannot open (build the bench_kernels target)"));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

namespace {

void Uleb(std::vector<uint8_t>& out, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    out.push_back(v != 0 ? (byte | 0x80) : byte);
  } while (v != 0);
}

// Byte by byte: g++ 12 reports false -Wstringop-overflow errors for
// vector::insert of short ranges at -O3.
void Append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) out.push_back(b);
}
void Append(std::vector<uint8_t>& out, std::initializer_list<uint8_t> bytes) {
  for (uint8_t b : bytes) out.push_back(b);
}

void Section(std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& body) {
  out.push_back(id);
  Uleb(out, body.size());
  Append(out, body);
}

// Function i: (param i32 i32) (result i32), locals 2:i32 3:i32 4:i64 5:f64.
std::vector<uint8_t> Body(uint32_t index) {
  static const uint8_t kLoopPart[] = {
      0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x02,                    // l2 = p0 + p1
      0x20, 0x02, 0x41, 0xb9, 0xe0, 0x00, 0x6c, 0x20, 0x00, 0x73,  // l3 = l2 * 12345 ^ p0
      0x21, 0x03,                                                  //
      0x20, 0x03, 0x28, 0x02, 0x10, 0x21, 0x02,                    // l2 = load(l3 + 16)
      0x20, 0x02, 0x20, 0x03, 0x36, 0x02, 0x08,                    // store(l2 + 8, l3)
      0x20, 0x03, 0xad, 0x42, 0xd5, 0x00, 0x7e, 0x20, 0x04, 0x7c,  // l4 += u64(l3) * 85
      0x21, 0x04,                                                  //
      0x20, 0x05, 0x20, 0x02, 0xb7, 0xa0, 0x21, 0x05,              // l5 += f64(l2)
  };
  std::vector<uint8_t> body = {0x03, 0x02, 0x7f, 0x01, 0x7e, 0x01, 0x7c,  // locals
                               0x02, 0x40, 0x03, 0x40};                   // block loop
  for (int i = 0; i < 4; ++i) Append(body, kLoopPart);
  // p1 = p1 - 1; br_if 0 (p1); end; end
  Append(body, {0x20, 0x01, 0x41, 0x01, 0x6b, 0x22, 0x01, 0x0d, 0x00, 0x0b, 0x0b});
  Append(body, {0x20, 0x02});  // l2
  if (index > 0) {                        // + call (index - 1)(p0, l2)
    Append(body, {0x20, 0x00, 0x20, 0x02, 0x10});
    Uleb(body, index - 1);
    body.push_back(0x6a);
  }
  body.push_back(0x0b);
  return body;
}

}  // namespace

std::vector<uint8_t> SyntheticModule(size_t bytes) {
  std::vector<uint8_t> code;
  uint32_t count = 0;
  while (code.size() < bytes) {
    std::vector<uint8_t> body = Body(count++);
    Uleb(code, body.size());
    Append(code, body);
  }
  std::vector<uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  Section(out, 1, {0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f});  // type 0: (i32 i32) -> i32
  std::vector<uint8_t> funcs;
  Uleb(funcs, count);
  funcs.insert(funcs.end(), count, 0x00);
  Section(out, 3, funcs);
  Section(out, 5, {0x01, 0x00, 0x01});  // memory 1
  std::vector<uint8_t> code_section;
  Uleb(code_section, count);
  Append(code_section, code);
  Section(out, 10, code_section);
  return out;
}

}  // namespace deja::bench

BENCHMARK_MAIN();
