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
  s.module = {0, 'a', 's', 'm', 1, 0, 0, 0};
  // A real engine state, so its version field is genuine.
  Store store;
  auto wasm = text::WatToWasm("(module (memory 4) (global (mut i32) (i32.const 7)))");
  EXPECT_TRUE(wasm.ok());
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

}  // namespace
}  // namespace deja::snapshot
