// `deja signal`: queues in order for an existing instance, wakes a parked
// one, and refuses unknown ids, ended instances and bad names with a message.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "cli/cli.h"
#include "cli/exit_codes.h"
#include "durable/instance_store.h"
#include "durable/signals.h"
#include "registry/database.h"

namespace deja::cli {
namespace {

class SignalCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja_signal_cmd_XXXXXX";
    home_ = mkdtemp(tmpl);
    const char* old = getenv("DEJA_HOME");
    if (old != nullptr) old_home_ = old;
    setenv("DEJA_HOME", home_.c_str(), 1);
    auto store = durable::OpenSqliteStore(home_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    durable::NewInstance n;
    n.module = home_ + "/m.wasm";
    n.name = "m.wasm";
    auto id = store_->Create(n);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    id_ = *id;
  }
  void TearDown() override {
    store_.reset();
    if (old_home_.empty()) {
      unsetenv("DEJA_HOME");
    } else {
      setenv("DEJA_HOME", old_home_.c_str(), 1);
    }
    std::filesystem::remove_all(home_);
  }
  int Deja(std::vector<std::string> args, std::string* err = nullptr) {
    args.insert(args.begin(), "deja");
    std::ostringstream out, e;
    int code = RunCli(args, out, e);
    if (err != nullptr) *err = e.str();
    return code;
  }
  std::string Take(const std::string& name, const std::string& key) {
    auto db = registry::Database::Open(home_ + "/durable.db");
    EXPECT_TRUE(db.ok());
    auto box = durable::Mailbox::Open(db->get());
    EXPECT_TRUE(box.ok());
    u32 size = 0;
    auto t = box->TakeSignal(id_, name, key, 1 << 20, &size);
    EXPECT_TRUE(t.ok());
    return t.ok() && *t ? (*t)->payload : "<none>";
  }

  std::string home_, old_home_, id_;
  std::unique_ptr<durable::InstanceStore> store_;
};

TEST_F(SignalCommandTest, QueuesInOrderWithAndWithoutPayload) {
  ASSERT_EQ(Deja({"signal", id_, "approved", "first"}), kExitOk);
  ASSERT_EQ(Deja({"signal", id_, "approved"}), kExitOk);
  ASSERT_EQ(Deja({"signal", id_.substr(0, 8), "approved", "third"}), kExitOk) << "a prefix";
  EXPECT_EQ(Take("approved", "k/0"), "first");
  EXPECT_EQ(Take("approved", "k/1"), "");
  EXPECT_EQ(Take("approved", "k/2"), "third");
  EXPECT_EQ(Take("approved", "k/3"), "<none>");
}

TEST_F(SignalCommandTest, UnknownIdsEndedInstancesAndBadNamesAreRefused) {
  std::string err;
  EXPECT_EQ(Deja({"signal", "no-such-instance", "go"}, &err), kExitUsage);
  EXPECT_NE(err.find("deja signal: "), std::string::npos) << err;
  EXPECT_NE(err.find("no-such-instance"), std::string::npos) << err;
  EXPECT_EQ(Deja({"signal", id_, "deja:message", "x"}, &err), kExitUsage);
  EXPECT_NE(err.find("deja:"), std::string::npos) << err;
  EXPECT_EQ(Deja({"signal", id_, "two words"}, &err), kExitUsage);
  EXPECT_EQ(Deja({"signal", id_, std::string(300, 'n')}, &err), kExitUsage);
  EXPECT_NE(err.find("300 bytes"), std::string::npos) << err;
  ASSERT_TRUE(store_->Cancel(id_).ok());
  EXPECT_EQ(Deja({"signal", id_, "go"}, &err), kExitFailed);
  EXPECT_NE(err.find("has ended (cancelled)"), std::string::npos) << err;
  EXPECT_EQ(Take("go", "k/0"), "<none>");
}

}  // namespace
}  // namespace deja::cli
