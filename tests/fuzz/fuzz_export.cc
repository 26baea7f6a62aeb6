// libFuzzer target for `deja import`'s export file parser: any bytes must be
// imported or refused with a Status, never crash, hang or leave files behind.
//
// Inputs starting with 'E' are sections, (type u32 LE | length u32 LE |
// payload)*, sealed into an export file with the right header and CRCs, so
// that mutations reach the manifest, module and log checks behind them.
// Otherwise the input is the export file itself.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "registry/export_format.h"
#include "registry/registry.h"
#include "timemachine/log_codec.h"

namespace {

using deja::u32;
using deja::u64;
using deja::u8;
namespace reg = deja::registry;

// One registry for the whole run (SQLite set-up is slow): an import that
// succeeds is removed again.
struct Home {
  std::string dir;
  std::unique_ptr<reg::Registry> registry;
  Home() {
    char tmpl[] = "/tmp/fuzz_export.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) __builtin_trap();
    dir = tmpl;
    auto r = reg::Registry::Open(dir + "/home");
    if (!r.ok()) __builtin_trap();
    registry = std::move(r).value();
  }
  ~Home() { std::filesystem::remove_all(dir); }
};

std::vector<u8> Sealed(std::span<const u8> in) {
  std::vector<u8> out(reg::kExportHeaderSize);
  std::memcpy(out.data(), reg::kExportMagic, sizeof reg::kExportMagic);
  reg::PutU32Le(reg::kExportVersion, out.data() + sizeof reg::kExportMagic);
  size_t at = 0;
  while (in.size() - at >= 8) {
    u32 type = reg::GetU32Le(in.data() + at);
    u32 len = reg::GetU32Le(in.data() + at + 4);
    at += 8;
    len = static_cast<u32>(std::min<size_t>(len, in.size() - at));
    std::span<const u8> payload = in.subspan(at, len);
    at += len;
    u8 head[reg::kSectionHeaderSize];
    reg::PutU32Le(type, head);
    reg::PutU64Le(payload.size(), head + 4);
    reg::PutU32Le(deja::tm::Crc32c(payload, reg::SectionCrcSeed(type, payload.size())), head + 12);
    out.insert(out.end(), head, head + sizeof head);
    out.insert(out.end(), payload.begin(), payload.end());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Home home;
  std::span<const u8> in(data, size);
  std::vector<u8> file = size > 0 && data[0] == 'E' ? Sealed(in.subspan(1))
                                                    : std::vector<u8>(in.begin(), in.end());
  std::string path = home.dir + "/input.deja";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) __builtin_trap();
  if (!file.empty() && std::fwrite(file.data(), 1, file.size(), f) != file.size()) __builtin_trap();
  std::fclose(f);
  auto id = home.registry->Import(path);
  if (id.ok()) {
    if (!home.registry->Remove(*id).ok()) __builtin_trap();
  }
  // A refused import leaves nothing in runs/ (unnamed temporary files).
  for (const auto& e : std::filesystem::directory_iterator(home.dir + "/home/runs")) {
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) __builtin_trap();
  }
  return 0;
}
