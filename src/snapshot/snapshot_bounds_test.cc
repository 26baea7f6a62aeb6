// Engine-state sizes bounded by the module (issue 13, item 3: a 146 KB zstd
// bomb took 4.2 GB and 13 s before it was refused).
#include <gtest/gtest.h>

#include "deja/deja.h"
#include "snapshot/snapshot.h"
#include "text/wat.h"

namespace deja::snapshot {
namespace {

struct Built {
  std::vector<u8> wasm;
  std::vector<u8> state;
};

Built Build(const char* wat) {
  Built b;
  auto wasm = text::WatToWasm(wat);
  EXPECT_TRUE(wasm.ok());
  b.wasm = *wasm;
  auto module = Module::Compile(b.wasm);
  EXPECT_TRUE(module.ok());
  Store store;
  EXPECT_TRUE(store.Instantiate(*module, {}).ok());
  b.state = *store.SaveState();
  return b;
}

Snapshot With(const Built& b) {
  Snapshot s;
  s.meta.module_hash = "sha256:" + std::string(64, 'a');
  s.meta.suspend_point = "none";
  s.module = b.wasm;
  s.engine_state = b.state;
  return s;
}

std::string Refusal(const Snapshot& s) {
  Result<std::vector<u8>> bytes = Encode(s);
  EXPECT_TRUE(bytes.ok());
  Result<Snapshot> back = Decode(*bytes);
  EXPECT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), Status::Code::kCorruption);
  return back.status().ToString();
}

// Sets the state's payload size (header bytes 12-19) to fit its length.
void Reheader(std::vector<u8>* state) {
  u64 payload = state->size() - 28;
  for (int i = 0; i < 8; ++i) (*state)[12 + i] = static_cast<u8>(payload >> (8 * i));
}

constexpr const char* kSmall = "(module (memory 1 2) (global (mut i32) (i32.const 7)))";

TEST(SnapshotBounds, DeclaredSizePastTheModuleIsRefusedUnread) {
  Snapshot s = With(Build(kSmall));
  std::vector<u8> bytes = *Encode(s);
  // The engine state section's raw size: find it after the header and the
  // metadata and module sections.
  size_t pos = 18 + (bytes[16] | bytes[17] << 8) + 4;
  while (bytes[pos] != 3) {
    u64 stored = 0;
    for (int i = 0; i < 8; ++i) stored |= u64{bytes[pos + 16 + i]} << (8 * i);
    pos += 28 + stored;
  }
  for (int i = 0; i < 8; ++i) bytes[pos + 8 + i] = static_cast<u8>((u64{4} << 30) >> (8 * i));
  Result<Snapshot> back = Decode(bytes);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().ToString().find(
                "engine state declares 4294967296 bytes, more than its module's memories"),
            std::string::npos)
      << back.status().ToString();
}

TEST(SnapshotBounds, ZerosAreRefusedFromTheirFirstBytes) {
  // Within the module's bound (a memory of up to 4 GiB), but not a state.
  Built b = Build("(module (memory 1))");
  b.state.assign(size_t{64} << 20, 0);
  b.state[8] = 3;  // the file names the state's version from here
  std::string why = Refusal(With(b));
  EXPECT_NE(why.find("engine state does not start with its magic"), std::string::npos) << why;
}

TEST(SnapshotBounds, ObjectCountsMustFitTheModule) {
  Snapshot s = With(Build(kSmall));
  s.engine_state = Build("(module (table 1 funcref) (table 1 funcref) (memory 1))").state;
  std::string why = Refusal(s);
  EXPECT_NE(why.find("engine state has 2 tables, its module 0"), std::string::npos) << why;
}

TEST(SnapshotBounds, StoredPagesBoundTheRest) {
  // A valid state (one memory, no page stored) padded to 80 MiB: the
  // module's memory could take 4 GiB, but the state stores no page of it.
  Built b = Build("(module (memory 1))");
  b.state.resize(b.state.size() + (size_t{80} << 20));
  Reheader(&b.state);
  std::string why = Refusal(With(b));
  EXPECT_NE(why.find("its module and 0 stored pages of memory 0 can take"), std::string::npos)
      << why;
}

TEST(SnapshotBounds, HonestStatesPass) {
  Built b = Build(kSmall);
  Result<Snapshot> back = Decode(*Encode(With(b)));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->engine_state, b.state);
}

}  // namespace
}  // namespace deja::snapshot
