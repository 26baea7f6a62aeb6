// Restoring a crafted thread state (version 4): every frame, offset, count
// and value is checked against the module and the store, so a state the
// code could not have produced is refused with a message, never run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "deja/deja.h"
#include "engine/runtime/state_format.h"
#include "text/wat.h"

namespace deja {
namespace {

// $run -> $a -> $b -> host: funcref and externref locals and operands live
// under the calls, a constant under a call, a loop around them.
constexpr std::string_view kGuest = R"((module
  (import "env" "h" (func $h (param i32) (result i32)))
  (table $t 1 funcref)
  (elem declare func $a $b)
  (func $b (param $n i32) (param $r funcref) (result i32)
    (local $e externref)
    (i32.add (i32.const 5) (call $h (local.get $n))))
  (func $a (param $n i32) (param $e externref) (result i32)
    (local $r funcref) (local $x i64) (local $i i32)
    (local.set $r (ref.func $b))
    (local.set $x (i64.const 77))
    (loop $l
      (local.set $i (i32.add (i32.add (local.get $i) (i32.const 1))
        (ref.is_null (select (result funcref) (local.get $r) (ref.func $a)
                       (call $b (local.get $n) (local.get $r))))))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 2))))
    (i32.add (local.get $i) (i32.wrap_i64 (local.get $x))))
  (func (export "run") (param $n i32) (param $e externref) (result i32)
    (call $a (local.get $n) (local.get $e))))
)";

HostAction Suspend(HostCall& call, std::span<uint64_t>) { return call.Suspend(); }

struct Guest {
  Store store;
  InstanceId inst = 0;
};

std::unique_ptr<Guest> Load() {
  static const Module module = [] {
    auto bytes = text::WatToWasm(kGuest);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto m = Module::Compile(*bytes);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return std::move(*m);
  }();
  auto g = std::make_unique<Guest>();
  Extern host = g->store.AddHostFunc({{ValType::kI32}, {ValType::kI32}}, Suspend, nullptr, "h");
  Extern imports[] = {host};
  auto inst = g->store.Instantiate(module, imports);
  EXPECT_TRUE(inst.ok()) << inst.status().ToString();
  g->inst = *inst;
  return g;
}

// Where each field of the saved thread part is (offsets into the state).
struct Value4 {
  size_t at = 0;  // the type byte; the value follows
  uint8_t type = 0;
};
struct Frame4 {
  size_t func = 0, kind = 0, offset = 0, num_locals = 0, height = 0, handlers = 0;
  std::vector<Value4> locals, operands;
};
struct Layout4 {
  size_t start = 0;  // "DJTH"
  size_t num_frames = 0;
  std::vector<Frame4> frames;
};

uint32_t U32At(const std::vector<uint8_t>& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

Layout4 Parse(const std::vector<uint8_t>& s) {
  Layout4 l;
  const uint8_t magic[] = {'D', 'J', 'T', 'H'};
  l.start = static_cast<size_t>(
      std::find_end(s.begin(), s.end(), std::begin(magic), std::end(magic)) - s.begin());
  EXPECT_EQ(U32At(s, l.start + 4), 4u);
  size_t at = l.start + 8 + 1 + 4 + 4 + 1 + 8 + 8 + 8 + 8;
  l.num_frames = at;
  uint32_t n = U32At(s, at);
  at += 4;
  auto values = [&](std::vector<Value4>* out) {
    uint32_t count = U32At(s, at);
    at += 4;
    for (uint32_t i = 0; i < count; ++i) {
      uint8_t t = s[at];
      out->push_back({at, t});
      at += 1 + (t == 0x7f || t == 0x7d ? 4 : 8);
    }
  };
  for (uint32_t i = 0; i < n; ++i) {
    Frame4 f;
    f.func = at;
    f.kind = at + 4;
    f.offset = at + 5;
    f.num_locals = at + 9;
    at += 9;
    values(&f.locals);
    f.height = at;
    values(&f.operands);
    f.handlers = at;
    at += 4;
    l.frames.push_back(f);
  }
  EXPECT_EQ(at, s.size());
  return l;
}

std::vector<uint8_t> Reseal(std::vector<uint8_t> state, uint32_t version = engine::kStateVersion) {
  std::span<const uint8_t> payload = std::span(state).subspan(engine::kStateHeaderSize);
  std::vector<uint8_t> out = engine::StateHeader(version, payload);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

class ThreadRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto g = Load();
    Value args[] = {Value::I32(3), Value::Extern(9)};
    std::vector<Value> results;
    ASSERT_EQ(g->store.Call(*g->store.GetExport(g->inst, "run"), args, &results),
              Outcome::kSuspended);
    good_ = *g->store.SaveState();
    layout_ = Parse(good_);
    ASSERT_EQ(layout_.frames.size(), 3u);
  }

  // Restores `bad` into a fresh store: must fail with `code` and `words` in
  // the message.
  void ExpectRefused(const std::vector<uint8_t>& bad, Status::Code code, const std::string& words) {
    auto g = Load();
    Status s = g->store.RestoreState(Reseal(bad));
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(words), std::string_view::npos) << s.ToString();
  }

  template <typename T>
  std::vector<uint8_t> With(size_t at, T v) const {
    std::vector<uint8_t> s = good_;
    std::memcpy(s.data() + at, &v, sizeof v);
    return s;
  }

  // The first value of `type` among frame `f`'s locals or operands.
  const Value4& Find(const std::vector<Value4>& values, uint8_t type) const {
    for (const Value4& v : values) {
      if (v.type == type) return v;
    }
    ADD_FAILURE() << "no value of type " << int(type);
    return values.front();
  }

  std::vector<uint8_t> good_;
  Layout4 layout_;
};

TEST_F(ThreadRestoreTest, TheGoodStateRestoresAndResumes) {
  auto g = Load();
  ASSERT_TRUE(g->store.RestoreState(good_).ok());
  std::vector<Value> results;
  Value reply[] = {Value::I32(0)};
  ASSERT_EQ(g->store.Resume(reply, &results), Outcome::kSuspended);  // the loop calls again
  ASSERT_EQ(g->store.Resume(reply, &results), Outcome::kReturned) << g->store.trap().ToString();
  EXPECT_EQ(results, std::vector<Value>{Value::I32(2 + 77)});
}

TEST_F(ThreadRestoreTest, ForgedFuncrefsAreRefused) {
  const Frame4& a = layout_.frames[1];
  const Value4& local = Find(a.locals, 0x70);      // $r
  const Value4& operand = Find(a.operands, 0x70);  // select's first operand
  for (uint64_t forged :
       {uint64_t{0x100} + 1, uint64_t{0x1000000}, uint64_t{0xffffffff}, ~uint64_t{0}}) {
    ExpectRefused(With(local.at + 1, forged), Status::Code::kCorruption,
                  "funcref names function address");
    ExpectRefused(With(operand.at + 1, forged), Status::Code::kCorruption,
                  "funcref names function address");
  }
}

TEST_F(ThreadRestoreTest, ValueTypesMustBeTheCodesAndKnown) {
  const Value4& v = layout_.frames[1].locals[0];  // i32 $n
  ExpectRefused(With<uint8_t>(v.at, 0x7d), Status::Code::kCorruption,
                "a f32 where the code has a i32");
  ExpectRefused(With<uint8_t>(v.at, 0x55), Status::Code::kCorruption, "unknown value type 0x55");
  ExpectRefused(With<uint8_t>(v.at, 0x7b), Status::Code::kCorruption,
                "a v128 where the code has a i32");
}

TEST_F(ThreadRestoreTest, FramesMustBeTheCodes) {
  const Frame4& a = layout_.frames[1];
  // A function address past the store, a host function, a function the
  // caller's call does not name.
  const Frame4& run = layout_.frames[0];
  ExpectRefused(With<uint32_t>(run.func, 1000), Status::Code::kCorruption, "not a Wasm function");
  ExpectRefused(With<uint32_t>(run.func, 0), Status::Code::kCorruption, "not a Wasm function");
  ExpectRefused(With<uint32_t>(a.func, 0), Status::Code::kCorruption,
                "not a function this call can reach");
  ExpectRefused(With<uint32_t>(layout_.frames[2].func, U32At(good_, a.func)),
                Status::Code::kCorruption, "not a function this call can reach");
  // Offsets that are not a call of the function, or a safe point.
  uint32_t offset = U32At(good_, a.offset);
  for (uint32_t bad : {offset + 1, offset - 1, 0u, 0xffffffffu}) {
    ExpectRefused(With(a.offset, bad), Status::Code::kCorruption, "no reachable call there");
  }
  ExpectRefused(With<uint8_t>(a.kind, 0), Status::Code::kCorruption,
                "where the call stack needs a call");
  ExpectRefused(With<uint8_t>(a.kind, 7), Status::Code::kCorruption,
                "where the call stack needs a call");
  // Counts.
  ExpectRefused(With<uint32_t>(a.num_locals, 4), Status::Code::kCorruption,
                "locals, the function has 5");
  ExpectRefused(With<uint32_t>(a.height, 1), Status::Code::kCorruption, "the code has 3 there");
  // Caught exceptions: one per catch clause open there (none here).
  ExpectRefused(With<uint32_t>(a.handlers, 1), Status::Code::kCorruption,
                "1 caught exceptions, the code is in 0 catch clauses there");
  ExpectRefused(With<uint32_t>(layout_.num_frames, 2), Status::Code::kCorruption, "");
  // The invoked function's result count (results() reads that many slots).
  ExpectRefused(With<uint32_t>(layout_.start + 9, 0xffffffff), Status::Code::kCorruption,
                "results");
  ExpectRefused(With<uint32_t>(layout_.start + 9, 2), Status::Code::kCorruption, "results");
  ExpectRefused(With<uint32_t>(layout_.num_frames, 0xffffffff), Status::Code::kCorruption,
                "call depth");
}

// $b's `i32.const 5` under the host call is a constant in this build's
// code: a state claiming another value there is not one the code produces.
TEST_F(ThreadRestoreTest, DeferredOperandsMustHoldTheirValues) {
  const Frame4& b = layout_.frames[2];
  ASSERT_EQ(b.operands.size(), 1u);
  ASSERT_EQ(U32At(good_, b.operands[0].at + 1), 5u);
  ExpectRefused(With<uint32_t>(b.operands[0].at + 1, 6), Status::Code::kCorruption,
                "the saved value differs");
}

// Every truncation and every single-byte change of the thread part is
// either refused or a state that resumes safely (ASan checks the latter).
TEST_F(ThreadRestoreTest, NoDamageCrashes) {
  std::vector<Value> results;
  Value reply[] = {Value::I32(1)};
  for (size_t cut = layout_.start; cut < good_.size(); ++cut) {
    auto g = Load();
    std::vector<uint8_t> bad(good_.begin(), good_.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(g->store.RestoreState(Reseal(bad)).ok()) << cut;
  }
  int accepted = 0;
  for (size_t at = layout_.start; at < good_.size(); ++at) {
    for (uint8_t x : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> bad = good_;
      bad[at] ^= x;
      auto g = Load();
      if (!g->store.RestoreState(Reseal(bad)).ok()) continue;
      ++accepted;
      g->store.SetFuel(10'000);
      Outcome o = g->store.Resume(reply, &results);
      for (int i = 0; i < 4 && o == Outcome::kSuspended; ++i) o = g->store.Resume(reply, &results);
    }
  }
  EXPECT_GT(accepted, 0);  // values of plain numbers may change
}

// Thread state versions 1 to 3 kept pcs into the writing build's code:
// with frames, they are refused with a message saying why.
TEST_F(ThreadRestoreTest, OldStatesWithFramesAreRefusedAndWithoutFramesLoad) {
  std::vector<uint8_t> head(good_.begin(),
                            good_.begin() + static_cast<std::ptrdiff_t>(layout_.start));
  auto v3 = [&](uint32_t version, uint32_t frames) {
    std::vector<uint8_t> s = head;
    auto put = [&](auto v) {
      uint8_t b[sizeof v];
      std::memcpy(b, &v, sizeof v);
      s.insert(s.end(), b, b + sizeof v);
    };
    put(uint32_t{0x48544a44});
    put(version);
    if (version >= 3) put(uint64_t{0x0123456789abcdef});  // not this build's layout
    put(static_cast<uint8_t>(frames > 0));                // suspended at a host call
    put(uint32_t{1});                                     // num_results
    put(uint32_t{0});                                     // pending slot
    put(uint32_t{frames > 0 ? 1u : 0u});                  // pending results
    put(uint8_t{0});
    put(uint64_t{0});
    put(uint64_t{0});
    put(int64_t{0});
    put(int64_t{0});
    put(frames);
    for (uint32_t i = 0; i < frames; ++i) {
      put(uint32_t{1});
      put(uint32_t{3});
      put(uint32_t{0});
    }
    put(uint64_t{0});  // value stack height
    return s;
  };
  for (uint32_t version : {1u, 2u, 3u}) {
    ExpectRefused(v3(version, 1), Status::Code::kInvalidArgument,
                  "saved by a deja build before portable call stacks");
    // Without frames they load, also inside a saved state of version 3 (the
    // store's format before the thread part became version 4).
    for (uint32_t state_version : {3u, 4u}) {
      auto g = Load();
      Status s = g->store.RestoreState(Reseal(v3(version, 0), state_version));
      EXPECT_TRUE(s.ok()) << version << ": " << s.ToString();
    }
  }
  ExpectRefused(v3(5, 0), Status::Code::kInvalidArgument, "newer than this deja reads");
}

}  // namespace
}  // namespace deja
