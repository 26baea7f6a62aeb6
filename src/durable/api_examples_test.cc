// The durable examples run as documented: examples/billing.c sleeps a month
// per charge (the test clock jumps), pays through a child instance and
// waits for an "approved" signal; examples/fanout.c adds up 100 children.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "durable/api_segment.h"
#include "durable/spec_codec.h"
#include "durable/worker.h"
#include "registry/registry.h"

namespace deja::durable {
namespace {

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja_api_examples_XXXXXX";
    home_ = mkdtemp(tmpl);
    auto store = OpenSqliteStore(home_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto db = registry::Database::Open(home_ + "/durable.db");
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    setenv("DEJA_TEST_CLOCK", "warp", 1);
  }
  void TearDown() override {
    unsetenv("DEJA_TEST_CLOCK");
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(home_);
  }
  static std::string Example(const std::string& name) {
    return std::string(DEJA_EXAMPLES_DIR) + "/" + name + ".wasm";
  }
  std::string Hash(const std::string& name) {
    std::ifstream in(Example(name), std::ios::binary);
    std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto reg = registry::Registry::Open(home_);
    EXPECT_TRUE(reg.ok());
    auto hash = (*reg)->PutModule(bytes);
    EXPECT_TRUE(hash.ok());
    return *hash;
  }
  std::string Start(const std::string& name, std::vector<std::string> args) {
    NewInstance n;
    n.module = Example(name);
    n.name = name + ".wasm";
    session::RunSpec spec;
    spec.args = std::move(args);
    n.spec_json = EncodeSpec(spec);
    auto id = store_->Create(n);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }
  void RunUntilIdle() {
    WorkerOptions o;
    o.home = home_;
    o.threads = 2;
    o.until_idle = true;
    std::atomic<bool> stop{false};
    Status s = RunWorker(o, stop);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Signal(const std::string& id, const std::string& payload) {
    auto box = Mailbox::Open(db_.get());
    ASSERT_TRUE(box.ok());
    ASSERT_TRUE(box->Signal(id, "approved", payload).ok());
    ASSERT_TRUE(store_->MarkRunnable(id).ok());
  }
  std::string Stdout(const std::string& id) {
    StoreLauncher launcher(home_, store_.get());
    auto out = launcher.ChildStdout(id, 1 << 20);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : "";
  }
  State StateOf(const std::string& id) {
    auto inst = store_->Get(id);
    EXPECT_TRUE(inst.ok());
    return inst.ok() ? inst->state : State::kFailed;
  }

  std::string home_;
  std::unique_ptr<InstanceStore> store_;
  std::unique_ptr<registry::Database> db_;
};

TEST_F(ExamplesTest, MonthlyBillingChargesOncePerMonthAfterEachApproval) {
  std::string id = Start("billing", {Hash("billing_payment"), "2"});
  Signal(id, "ok by alice");  // sent before the first month is over: kept
  RunUntilIdle();
  EXPECT_EQ(StateOf(id), State::kWaiting) << "month 2 waits for its approval";
  EXPECT_EQ(Stdout(id), "month 1: charged 10.00 to customer=ada; approved: ok by alice\n");
  Signal(id, "ok by bob");
  RunUntilIdle();
  ASSERT_EQ(StateOf(id), State::kDone);
  EXPECT_EQ(Stdout(id),
            "month 1: charged 10.00 to customer=ada; approved: ok by alice\n"
            "month 2: charged 20.00 to customer=ada; approved: ok by bob\n"
            "billing done\n");
  auto children = Children::Open(db_.get());
  EXPECT_EQ(*children->Rows(id), 2) << "one payment per month";
}

TEST_F(ExamplesTest, FanOutOfAHundredChildrenAddsTheirAnswers) {
  std::string id = Start("fanout", {Hash("fanout_worker"), "100"});
  RunUntilIdle();
  ASSERT_EQ(StateOf(id), State::kDone);
  // 1^2 + ... + n^2 = n(n+1)(2n+1)/6 with n = 100,000.
  EXPECT_EQ(Stdout(id), "sum of squares 1..100000 = 333338333350000\n");
}

}  // namespace
}  // namespace deja::durable
