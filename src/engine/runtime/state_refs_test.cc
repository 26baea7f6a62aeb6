// RestoreState against forged references and values (issue 13, item 1): a
// state with a valid checksum but a function reference past the store's
// functions used to reach call_indirect, which indexes the function vector
// without a bound (wrong reads at 0x100, SIGSEGV above).
#include <gtest/gtest.h>

#include "engine/runtime/state_format.h"
#include "engine/runtime/test_util.h"

namespace deja {
namespace {

using engine::testing::CompileWat;

// Four functions, no imports; one instance. tests/fuzz/fuzz_snapshot.cc
// restores states of the same module (its seeds come from these tests). The passive segment $e is
// declared first (segment 0), the active one second (emptied at start).
constexpr std::string_view kGuest = R"((module
  (type $v (func (result i32)))
  (memory 1)
  (table $t (export "tab") 2 funcref)
  (global $fg (mut funcref) (ref.null func))
  (global $ig i32 (i32.const 7))
  (global $mg (mut i32) (i32.const 0))
  (elem $e func $f)
  (elem (table $t) (i32.const 0) func $f)
  (func $f (result i32) (i32.const 42))
  (func (export "call") (param i32) (result i32) (call_indirect (type $v) (local.get 0)))
  (func (export "callg") (result i32)
    (table.set $t (i32.const 1) (global.get $fg))
    (call_indirect (type $v) (i32.const 1)))
  (func (export "init") (table.init $t $e (i32.const 1) (i32.const 0) (i32.const 1))))
)";

// Offsets into the saved state of one idle instance of kGuest (layout in
// state.cc): shape (5 counts, 4 functions, 1 instance), one memory with no
// stored page, three globals, the table, two segments, the call function.
constexpr size_t kH = engine::kStateHeaderSize;
constexpr size_t kFuncGlobal = kH + 20 + 4 * 5 + 8 + 12;
constexpr size_t kImmGlobal = kFuncGlobal + 16;
constexpr size_t kMutGlobal = kImmGlobal + 16;
constexpr size_t kTableSize = kMutGlobal + 16;
constexpr size_t kTableElem0 = kTableSize + 4;
constexpr size_t kSegSize = kTableElem0 + 16;
constexpr size_t kSegElem0 = kSegSize + 4;

void Put(std::vector<u8>* b, size_t at, u64 v, int n) {
  for (int i = 0; i < n; ++i) (*b)[at + i] = static_cast<u8>(v >> (8 * i));
}
u64 Get(const std::vector<u8>& b, size_t at, int n) {
  u64 v = 0;
  for (int i = 0; i < n; ++i) v |= u64{b[at + i]} << (8 * i);
  return v;
}

std::vector<u8> Reseal(const std::vector<u8>& state) {
  std::span<const u8> payload = std::span(state).subspan(kH);
  std::vector<u8> out = engine::StateHeader(engine::kStateVersion, payload);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

struct Guest {
  Store store;
  InstanceId inst = 0;
  Outcome Call(const char* name, std::vector<Value> args, std::vector<Value>* results) {
    return store.Call(*store.GetExport(inst, name), args, results);
  }
};

std::unique_ptr<Guest> Build() {
  auto g = std::make_unique<Guest>();
  auto m = CompileWat(kGuest);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  auto inst = g->store.Instantiate(*m, {});
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  g->inst = *inst;
  return g;
}

class StateRefsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto src = Build();
    auto saved = src->store.SaveState();
    ASSERT_TRUE(saved.ok()) << saved.status().ToString();
    state_ = *saved;
    // The layout assumed above: table [f, null], segment 0 = [f].
    ASSERT_EQ(Get(state_, kImmGlobal, 8), 7u);
    ASSERT_EQ(Get(state_, kTableSize, 4), 2u);
    ASSERT_EQ(Get(state_, kTableElem0, 8), 1u);
    ASSERT_EQ(Get(state_, kTableElem0 + 8, 8), 0u);
    ASSERT_EQ(Get(state_, kSegSize, 4), 1u);
    ASSERT_EQ(Get(state_, kSegElem0, 8), 1u);
    target_ = Build();
  }

  // Restores `state_` with `n` bytes at `at` set to `v`, resealed.
  Status RestoreWith(size_t at, u64 v, int n) {
    std::vector<u8> bad = state_;
    Put(&bad, at, v, n);
    return target_->store.RestoreState(Reseal(bad));
  }

  // After every refusal the target is untouched and still runs.
  void ExpectIntact() {
    std::vector<Value> results;
    ASSERT_EQ(target_->Call("call", {Value::I32(0)}, &results), Outcome::kReturned);
    EXPECT_EQ(results.at(0).i32(), 42u);
    ASSERT_TRUE(target_->store.RestoreState(state_).ok());
  }

  std::vector<u8> state_;
  std::unique_ptr<Guest> target_;
};

TEST_F(StateRefsTest, ForgedTableElementIsRefused) {
  for (u64 ref : {u64{0x100}, u64{0x1000000}, u64{0xffffffff}, ~u64{0}, u64{5}}) {
    Status s = RestoreWith(kTableElem0 + 8, ref, 8);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << ref;
    EXPECT_NE(s.message().find("table 0 element 1"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("not a function reference"), std::string::npos) << s.ToString();
    ExpectIntact();
  }
  // The last function (address 3, bits 4) is fine.
  ASSERT_TRUE(RestoreWith(kTableElem0 + 8, 4, 8).ok());
}

TEST_F(StateRefsTest, ForgedFuncrefGlobalIsRefused) {
  for (u64 ref : {u64{0x100}, u64{0x1000000}, u64{0xffffffff}}) {
    Status s = RestoreWith(kFuncGlobal, ref, 8);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << ref;
    EXPECT_NE(s.message().find("global 0"), std::string::npos) << s.ToString();
    ExpectIntact();
  }
  // A valid one is taken, and callg calls through it.
  ASSERT_TRUE(RestoreWith(kFuncGlobal, 1, 8).ok());
  std::vector<Value> results;
  ASSERT_EQ(target_->Call("callg", {}, &results), Outcome::kReturned);
  EXPECT_EQ(results.at(0).i32(), 42u);
}

TEST_F(StateRefsTest, ForgedSegmentIsRefused) {
  Status s = RestoreWith(kSegElem0, 0x1000000, 8);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("element segment 0 element 0"), std::string::npos) << s.ToString();
  ExpectIntact();
  // More elements than the module declares for the segment.
  s = RestoreWith(kSegSize, 2, 4);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("more than its maximum of 1"), std::string::npos) << s.ToString();
  ExpectIntact();
}

TEST_F(StateRefsTest, DroppedActiveSegmentsStayDropped) {
  // Segment 1 is active: emptied at instantiation, it cannot come back.
  std::vector<u8> bad = state_;
  const size_t seg1 = kSegElem0 + 8;
  ASSERT_EQ(Get(bad, seg1, 4), 0u);
  Put(&bad, seg1, 1, 4);
  bad.insert(bad.begin() + static_cast<std::ptrdiff_t>(seg1 + 4), 8, 0);
  Put(&bad, seg1 + 4, 1, 8);
  Status s = target_->store.RestoreState(Reseal(bad));
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("element segment 1 has 1 elements, more than its maximum of 0"),
            std::string::npos)
      << s.ToString();
  ExpectIntact();
}

TEST(StateDataTest, ActiveDataSegmentsStayDropped) {
  auto m = CompileWat(R"((module (memory 1) (data (i32.const 0) "a")))");
  ASSERT_TRUE(m.ok());
  Store a, b;
  ASSERT_TRUE(a.Instantiate(*m, {}).ok());
  ASSERT_TRUE(b.Instantiate(*m, {}).ok());
  std::vector<u8> state = *a.SaveState();
  // Shape (no functions, one instance), memory 0 with its one stored page.
  const size_t dropped = kH + 20 + 8 + 12 + 4 + 65536;
  ASSERT_EQ(state.at(dropped), 1u);
  for (u8 v : {0, 2}) {
    std::vector<u8> bad = state;
    bad[dropped] = v;
    Status s = b.RestoreState(Reseal(bad));
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find("data segment 0"), std::string::npos) << s.ToString();
  }
  EXPECT_TRUE(b.RestoreState(state).ok());
}

TEST_F(StateRefsTest, ValuesOutsideTheirTypeAreRefused) {
  // An i32 global with upper bits, or any non-v128 global with an upper half.
  EXPECT_EQ(RestoreWith(kMutGlobal + 4, 1, 4).code(), Status::Code::kCorruption);
  ExpectIntact();
  EXPECT_EQ(RestoreWith(kMutGlobal + 8, 1, 8).code(), Status::Code::kCorruption);
  ExpectIntact();
  // An immutable global cannot change.
  Status s = RestoreWith(kImmGlobal, 8, 8);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("global 1 is immutable"), std::string::npos) << s.ToString();
  ExpectIntact();
  // A mutable one may hold any i32.
  ASSERT_TRUE(RestoreWith(kMutGlobal, 0xffffffff, 8).ok());
}

TEST_F(StateRefsTest, ShrunkObjectsAreRefused) {
  // A table below its minimum of 2 (what follows then misparses, but the
  // size is refused first).
  Status s = RestoreWith(kTableSize, 1, 4);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("fewer than its minimum"), std::string::npos) << s.ToString();
  ExpectIntact();
  // A memory below its minimum of 1 page.
  s = RestoreWith(kH + 20 + 4 * 5 + 8, 0, 8);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  ExpectIntact();
}

}  // namespace
}  // namespace deja
