#include "snapshot/snapshot.h"

#include <gtest/gtest.h>

#include "deja/deja.h"
#include "text/wat.h"

namespace deja::snapshot {
namespace {

Snapshot Sample() {
  Snapshot s;
  s.meta.deja_version = "0.1.0";
  s.meta.module_hash = "sha256:" + std::string(64, 'a');
  s.meta.module_name = "guest.wasm";
  s.meta.args = {"guest.wasm", "x"};
  s.meta.env = {"A=1"};
  s.meta.fuel_consumed = 1234;
  s.meta.invoke = "run";
  s.meta.suspend_point = "safe-point";
  // A real engine state of the module, so its version field is genuine
  // and it fits the module (Decode checks its size and object counts).
  Store store;
  auto wasm = text::WatToWasm("(module (memory 4) (global (mut i32) (i32.const 7)))");
  EXPECT_TRUE(wasm.ok());
  s.module = *wasm;
  auto module = Module::Compile(*wasm);
  EXPECT_TRUE(module.ok());
  EXPECT_TRUE(store.Instantiate(*module, {}).ok());
  s.engine_state = *store.SaveState();
  s.wasi_state = std::vector<u8>(1000, 9);
  return s;
}

TEST(SnapshotFormat, RoundTrips) {
  Snapshot s = Sample();
  Result<std::vector<u8>> bytes = Encode(s);
  ASSERT_TRUE(bytes.ok());
  Result<Snapshot> back = Decode(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->meta.module_hash, s.meta.module_hash);
  EXPECT_EQ(back->meta.args, s.meta.args);
  EXPECT_EQ(back->meta.invoke, s.meta.invoke);
  EXPECT_EQ(back->meta.fuel_consumed, 1234u);
  EXPECT_EQ(back->module, s.module);
  EXPECT_EQ(back->engine_state, s.engine_state);
  EXPECT_EQ(back->wasi_state, s.wasi_state);
}

// A bad field is named, with what it should be, not a JSON library's
// exception text ("[json.exception.type_error.302] ...").
TEST(SnapshotFormat, MetadataErrorsNameTheField) {
  auto parse = [](std::string_view json) {
    return ParseMetadata({reinterpret_cast<const u8*>(json.data()), json.size()});
  };
  const std::string good = R"({"deja_version":"0.1","module_hash":"sha256:x","module_name":"m",
    "args":["m"],"env":[],"max_memory_pages":65536,"max_fds":1024,"fuel_consumed":0,
    "invoke_args":[],"unknown_imports":0,"run_id":"","suspend_point":"none","entry":""})";
  ASSERT_TRUE(parse(good).ok()) << parse(good).status().ToString();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string j = good;
    size_t at = j.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return j.replace(at, from.size(), to);
  };
  struct Case {
    std::string json, message;
  } const cases[] = {
      {with(R"("max_fds":1024)", R"("max_fds":"abc")"),
       R"(snapshot metadata field "max_fds" must be a whole number from 0 to 4294967295, not "abc")"},
      {with(R"("max_fds":1024)", R"("max_fds":4294967296)"),
       R"(field "max_fds" must be a whole number from 0 to 4294967295, not 4294967296)"},
      {with(R"("fuel_consumed":0)", R"("fuel_consumed":-5)"),
       R"(field "fuel_consumed" must be a whole number)"},
      {with(R"("unknown_imports":0)", R"("unknown_imports":256)"),
       R"(field "unknown_imports" must be a whole number from 0 to 255, not 256)"},
      {with(R"("args":["m"])", R"("args":["m",7])"),
       R"(field "args" must be an array of strings, not 7)"},
      {with(R"("module_hash":"sha256:x",)", ""),
       R"(snapshot metadata lacks the field "module_hash")"},
      {with(R"("entry":"")", R"("entry":"","invoke":null)"),
       R"(field "invoke" must be a string, not null)"},
      {"[1]", "snapshot metadata is not a JSON object"},
  };
  for (const Case& c : cases) {
    Result<Metadata> m = parse(c.json);
    ASSERT_FALSE(m.ok()) << c.json;
    EXPECT_EQ(m.status().code(), Status::Code::kCorruption);
    EXPECT_NE(m.status().message().find(c.message), std::string::npos) << m.status().ToString();
    EXPECT_EQ(m.status().message().find("json.exception"), std::string::npos);
  }
}

TEST(SnapshotFormat, EveryTruncationIsRefused) {
  std::vector<u8> bytes = *Encode(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<Snapshot> s = Decode(std::span<const u8>(bytes).first(n));
    ASSERT_FALSE(s.ok()) << n;
    EXPECT_EQ(s.status().code(), Status::Code::kCorruption) << n;
  }
  Result<Snapshot> s = Decode(std::span<const u8>(bytes).first(40));
  EXPECT_NE(s.status().ToString().find("truncated at byte 40"), std::string::npos)
      << s.status().ToString();
}

TEST(SnapshotFormat, EveryFlippedByteIsRefusedOrHarmless) {
  std::vector<u8> bytes = *Encode(Sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::vector<u8> bad = bytes;
    bad[i] ^= 0x5a;
    Result<Snapshot> s = Decode(bad);
    // Only the informative build string may change without notice.
    if (s.ok()) {
      EXPECT_TRUE(i >= 18 && i < 23) << i;
    }
  }
}

TEST(SnapshotFormat, IncompatibleStateFormatIsRefusedWithAMessage) {
  std::vector<u8> bytes = *Encode(Sample());
  bytes[12] = 99;
  Result<Snapshot> s = Decode(bytes);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(s.status().ToString().find("incompatible deja 0.1.0 (state format 99, this deja reads"),
            std::string::npos)
      << s.status().ToString();
  bytes = *Encode(Sample());
  bytes[8] = 7;
  EXPECT_NE(Decode(bytes).status().ToString().find("snapshot format 7"), std::string::npos);
}

TEST(SnapshotFormat, ForgedSizesAreCapped) {
  std::vector<u8> bytes = *Encode(Sample());
  ReadLimits limits;
  limits.max_engine_state_bytes = 10;
  Result<Snapshot> s = Decode(bytes, limits);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().ToString().find("larger than allowed"), std::string::npos);
}

TEST(SnapshotFile, WritesAtomicallyAndReadsBack) {
  std::string path = ::testing::TempDir() + "/snap_test.snap";
  ASSERT_TRUE(Write(path, Sample()).ok());
  Result<Snapshot> s = Read(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->meta.module_name, "guest.wasm");
  Result<Snapshot> missing = Read(path + ".none");
  EXPECT_EQ(missing.status().code(), Status::Code::kIoError);
}

// A section large enough to be compressed by several threads is still one
// frame that decodes to the same bytes; cutting it anywhere is refused.
TEST(SnapshotFormat, LargeSectionsRoundTrip) {
  Snapshot s = Sample();
  size_t n = s.engine_state.size();
  s.engine_state.resize(9 << 20);
  for (size_t i = n; i < s.engine_state.size(); ++i) {
    s.engine_state[i] = static_cast<u8>((i * 2654435761u) >> (i % 3 == 0 ? 24 : 13));
  }
  // The state's header must still say how large its payload is (bytes
  // 12-19); without the module, its 9 MiB are not bounded by a memory.
  u64 payload = s.engine_state.size() - 28;
  for (int i = 0; i < 8; ++i) s.engine_state[12 + i] = static_cast<u8>(payload >> (8 * i));
  s.module.clear();
  Result<std::vector<u8>> bytes = Encode(s);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  Result<Snapshot> back = Decode(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->engine_state == s.engine_state);
  for (size_t cut : {size_t{1}, bytes->size() / 2, bytes->size() - 100}) {
    EXPECT_EQ(Decode(std::span<const u8>(*bytes).first(cut)).status().code(),
              Status::Code::kCorruption);
  }
}

// A large memory with a few pages written far apart goes through a snapshot
// file and comes back the same in another store.
TEST(SnapshotFile, SparseMemoryRoundTrips) {
  auto wasm = text::WatToWasm(R"((module (memory (export "mem") 4096)
    (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))))");
  ASSERT_TRUE(wasm.ok());
  auto module = Module::Compile(*wasm);
  ASSERT_TRUE(module.ok());
  Store a;
  InstanceId ia = *a.Instantiate(*module, {});
  std::vector<Value> none;
  for (u32 at : {u32{17}, u32{4000} << 16, (u32{4096} << 16) - 1}) {
    Value args[] = {Value::I32(at), Value::I32(at % 251 + 1)};
    ASSERT_EQ(a.Call(*a.GetExport(ia, "poke"), args, &none), Outcome::kReturned);
  }
  Snapshot s = Sample();
  s.module = *wasm;
  s.engine_state = *a.SaveState();
  EXPECT_LT(s.engine_state.size(), 4u << 16);
  std::string path = ::testing::TempDir() + "/sparse_test.snap";
  ASSERT_TRUE(Write(path, s).ok());
  Result<Snapshot> back = Read(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  Store b;
  InstanceId ib = *b.Instantiate(*module, {});
  ASSERT_TRUE(b.RestoreState(back->engine_state).ok());
  std::span<uint8_t> ma = a.MemoryData(*a.GetExport(ia, "mem"));
  std::span<uint8_t> mb = b.MemoryData(*b.GetExport(ib, "mem"));
  ASSERT_EQ(ma.size(), mb.size());
  EXPECT_TRUE(std::equal(ma.begin(), ma.end(), mb.begin()));
  EXPECT_EQ(mb[17], 18);
}

}  // namespace
}  // namespace deja::snapshot
