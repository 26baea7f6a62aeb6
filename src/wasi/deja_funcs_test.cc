// Module "deja" through the WASI trampoline: bounds checks before the host is
// asked, the EAGAIN/ENOBUFS contract of the take calls, and wait_* parking
// (the call suspends; resumed with 0 the guest goes on).
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "deja/text.h"
#include "wasi/deja_api.h"
#include "wasi/dispatch.h"

namespace deja::wasi {
namespace {

// An in-memory host: queues per signal name, children that end when a test
// says so. Counts what it was asked, so a test can tell a fault asked nothing.
class MemoryHost : public DurableHost {
 public:
  Errno TakeSignal(std::string_view name, u32 max_bytes, std::string* payload,
                   u32* size) override {
    ++asked;
    auto& q = signals[std::string(name)];
    if (q.empty()) return Errno::kAgain;
    *size = static_cast<u32>(q.front().size());
    if (q.front().size() > max_bytes) return Errno::kNobufs;
    *payload = q.front();
    q.pop_front();
    return Errno::kSuccess;
  }
  Errno Spawn(std::string_view module, std::span<const std::string> argv, std::string_view input,
              u64* child) override {
    ++asked;
    spawned.push_back({std::string(module), {argv.begin(), argv.end()}, std::string(input)});
    *child = spawned.size() - 1;
    return Errno::kSuccess;
  }
  Errno ChildStatus(u64 child, i32* status) override {
    ++asked;
    if (child >= spawned.size()) return Errno::kBadf;
    if (!exit.count(child)) return Errno::kAgain;
    *status = exit[child];
    return Errno::kSuccess;
  }
  Errno ChildOutput(u64, u64, u32, std::string*) override { return Errno::kAgain; }
  Errno Send(std::string_view, std::string_view) override { return Errno::kNoent; }
  Errno Recv(u32, std::string*, u32*) override { return Errno::kAgain; }
  Errno Park(const WaitCondition& w) override {
    parks.push_back(w);
    return park_result;
  }

  struct Spawned {
    std::string module;
    std::vector<std::string> argv;
    std::string input;
  };
  std::map<std::string, std::deque<std::string>> signals;
  std::vector<Spawned> spawned;
  std::map<u64, i32> exit;
  std::vector<WaitCondition> parks;
  Errno park_result = Errno::kSuccess;
  int asked = 0;
};

// The guest: memory holds the name "approved" at 0 and "b" at 16; run_take
// takes a signal into (buf, cap) and returns errno, with the length at 8.
constexpr const char* kGuest = R"((module
  (import "deja" "signal_take" (func $take (param i32 i32 i32 i32 i32) (result i32)))
  (import "deja" "wait_signal" (func $wait (param i32 i32) (result i32)))
  (import "deja" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "deja" "child_status" (func $status (param i64 i32) (result i32)))
  (import "deja" "wait_children" (func $wait_children (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "approved")
  (data (i32.const 16) "b")
  (data (i32.const 32) "pay\00--amount\0042\00")
  (func (export "take") (param $name_len i32) (param $buf i32) (param $cap i32) (result i32)
    (call $take (i32.const 0) (local.get $name_len) (local.get $buf) (local.get $cap) (i32.const 8)))
  (func (export "len") (result i32) (i32.load (i32.const 8)))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "wait") (result i32 i32)
    (call $wait (i32.const 0) (i32.const 8))
    (i32.const 7))
  (func (export "spawn") (param $argv_len i32) (result i32)
    (call $spawn (i32.const 0) (i32.const 8) (i32.const 32) (local.get $argv_len)
                 (i32.const 16) (i32.const 1) (i32.const 48)))
  (func (export "child") (result i64) (i64.load (i32.const 48)))
  (func (export "await") (param $n i32) (result i32)
    (call $wait_children (i32.const 48) (local.get $n) (i32.const 1)))))";

class DejaFuncsTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(&host_); }
  void Start(DurableHost* host) {
    WasiConfig config;
    config.stdin_fd = config.stdout_fd = config.stderr_fd = -1;
    WasiOptions options;
    options.durable = host;
    auto wasi = Wasi::Create(config, options);
    ASSERT_TRUE(wasi.ok()) << wasi.status().ToString();
    wasi_ = std::move(*wasi);
    store_ = std::make_unique<Store>();
    Linker linker;
    wasi_->Link(*store_, linker);
    auto bytes = text::WatToWasm(kGuest);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto module = Module::Compile(*bytes);
    ASSERT_TRUE(module.ok()) << module.status().ToString();
    module_ = std::make_unique<Module>(std::move(*module));
    auto instance = linker.Instantiate(*store_, *module_);
    ASSERT_TRUE(instance.ok()) << instance.status().ToString();
    instance_ = *instance;
  }
  std::vector<Value> Call(const char* name, std::vector<Value> args, Outcome want = Outcome::kReturned) {
    std::vector<Value> results;
    Outcome got = store_->Call(*store_->GetExport(instance_, name), args, &results);
    EXPECT_EQ(got, want) << name << ": " << store_->trap().ToString();
    return results;
  }
  u32 Take(u32 name_len, u32 buf, u32 cap) {
    return Call("take", {Value::I32(name_len), Value::I32(buf), Value::I32(cap)})[0].i32();
  }
  u32 Len() { return Call("len", {})[0].i32(); }
  std::string Bytes(u32 at, u32 n) {
    std::string s;
    for (u32 i = 0; i < n; ++i) s += static_cast<char>(Call("byte", {Value::I32(at + i)})[0].i32());
    return s;
  }

  MemoryHost host_;
  std::unique_ptr<Wasi> wasi_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Module> module_;
  InstanceId instance_{};
};

constexpr u32 E(Errno e) { return static_cast<u32>(e); }

TEST_F(DejaFuncsTest, TakeReturnsSignalsInOrderAndEagainWhenNone) {
  EXPECT_EQ(Take(8, 100, 64), E(Errno::kAgain));
  host_.signals["approved"] = {"first", "second"};
  ASSERT_EQ(Take(8, 100, 64), 0u);
  EXPECT_EQ(Len(), 5u);
  EXPECT_EQ(Bytes(100, 5), "first");
  ASSERT_EQ(Take(8, 100, 64), 0u);
  EXPECT_EQ(Bytes(100, Len()), "second");
  EXPECT_EQ(Take(8, 100, 64), E(Errno::kAgain));
}

TEST_F(DejaFuncsTest, ASmallBufferGetsEnobufsAndTheSignalStaysQueued) {
  host_.signals["approved"] = {"0123456789"};
  EXPECT_EQ(Take(8, 100, 4), E(Errno::kNobufs));
  EXPECT_EQ(Len(), 10u) << "the room it needs";
  EXPECT_EQ(host_.signals["approved"].size(), 1u);
  ASSERT_EQ(Take(8, 100, 10), 0u);
  EXPECT_EQ(Bytes(100, 10), "0123456789");
}

TEST_F(DejaFuncsTest, OutOfBoundsArgumentsFaultBeforeTheHostIsAsked) {
  host_.signals["approved"] = {"x"};
  EXPECT_EQ(Take(8, 65536 - 2, 4), E(Errno::kFault));  // the buffer leaves memory
  EXPECT_EQ(Take(70000, 100, 4), E(Errno::kNametoolong));
  EXPECT_EQ(Take(0, 100, 4), E(Errno::kInval));
  EXPECT_EQ(host_.asked, 0);
  EXPECT_EQ(host_.signals["approved"].size(), 1u) << "nothing taken";
}

TEST_F(DejaFuncsTest, WaitSignalParksTheCallAndTheResumedGuestSeesZero) {
  std::vector<Value> results;
  ASSERT_EQ(store_->Call(*store_->GetExport(instance_, "wait"), {}, &results), Outcome::kSuspended);
  ASSERT_EQ(host_.parks.size(), 1u);
  EXPECT_EQ(host_.parks[0].kind, WaitCondition::Kind::kSignal);
  EXPECT_EQ(host_.parks[0].signal, "approved");
  EXPECT_EQ(store_->suspend_point(), SuspendPoint::kHostCall);
  Value zero[] = {Value::I32(0)};
  ASSERT_EQ(store_->Resume(zero, &results), Outcome::kReturned);
  EXPECT_EQ(results[0].i32(), 0u);
  EXPECT_EQ(results[1].i32(), 7u);
  EXPECT_FALSE(wasi_->ctx().suspend_requested);
}

TEST_F(DejaFuncsTest, WaitOnAConditionThatHoldsReturnsAtOnce) {
  host_.park_result = Errno::kAlready;
  auto r = Call("wait", {});
  EXPECT_EQ(r[0].i32(), 0u);
  host_.park_result = Errno::kNosys;
  EXPECT_EQ(Call("wait", {})[0].i32(), E(Errno::kNosys));
}

TEST_F(DejaFuncsTest, SpawnSplitsArgvAndAwaitIsBounded) {
  ASSERT_EQ(Call("spawn", {Value::I32(16)})[0].i32(), 0u);
  ASSERT_EQ(host_.spawned.size(), 1u);
  EXPECT_EQ(host_.spawned[0].module, "approved");
  EXPECT_EQ(host_.spawned[0].argv, (std::vector<std::string>{"pay", "--amount", "42"}));
  EXPECT_EQ(host_.spawned[0].input, "b");
  EXPECT_EQ(Call("child", {})[0].i64(), 0u);
  EXPECT_EQ(Call("spawn", {Value::I32(15)})[0].i32(), E(Errno::kInval)) << "argv without final NUL";
  EXPECT_EQ(Call("await", {Value::I32(0)})[0].i32(), E(Errno::kInval));
  EXPECT_EQ(Call("await", {Value::I32(kMaxAwait + 1)})[0].i32(), E(Errno::k2big));
  EXPECT_EQ(Call("await", {Value::I32(9000)})[0].i32(), E(Errno::kFault));
  EXPECT_TRUE(host_.parks.empty());
  std::vector<Value> results;
  std::vector<Value> one = {Value::I32(1)};
  ASSERT_EQ(store_->Call(*store_->GetExport(instance_, "await"), one, &results),
            Outcome::kSuspended);
  ASSERT_EQ(host_.parks.size(), 1u);
  EXPECT_EQ(host_.parks[0].children, std::vector<u64>{0});
  EXPECT_TRUE(host_.parks[0].all);
}

TEST(DejaFuncsNoHostTest, EveryCallIsEnosysWithoutADurableHost) {
  WasiConfig config;
  config.stdin_fd = config.stdout_fd = config.stderr_fd = -1;
  auto wasi = Wasi::Create(config, WasiOptions{});
  ASSERT_TRUE(wasi.ok());
  Store store;
  Linker linker;
  (*wasi)->Link(store, linker);
  auto bytes = text::WatToWasm(kGuest);
  ASSERT_TRUE(bytes.ok());
  auto module = Module::Compile(*bytes);
  ASSERT_TRUE(module.ok());
  auto instance = linker.Instantiate(store, *module);
  ASSERT_TRUE(instance.ok()) << instance.status().ToString();
  std::vector<Value> results;
  std::vector<Value> args = {Value::I32(8), Value::I32(100), Value::I32(4)};
  ASSERT_EQ(store.Call(*store.GetExport(*instance, "take"), args, &results), Outcome::kReturned);
  EXPECT_EQ(results[0].i32(), E(Errno::kNosys));
  ASSERT_EQ(store.Call(*store.GetExport(*instance, "wait"), {}, &results), Outcome::kReturned);
  EXPECT_EQ(results[0].i32(), E(Errno::kNosys));
}

}  // namespace
}  // namespace deja::wasi
