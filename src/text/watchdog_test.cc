#include "text/watchdog.h"

#include <gtest/gtest.h>

#include "text/wat.h"

namespace deja::text {
namespace {

class WatchdogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::vector<u8>> wasm = WatToWasm(R"((module
      (func (export "spin") (loop (br 0)))
      (func (export "quick") (result i32) i32.const 7)))");
    ASSERT_TRUE(wasm.ok()) << wasm.status().ToString();
    Result<Module> module = Module::Compile(*wasm);
    ASSERT_TRUE(module.ok()) << module.status().ToString();
    Result<InstanceId> instance = Linker().Instantiate(store_, *module);
    ASSERT_TRUE(instance.ok()) << instance.status().ToString();
    spin_ = *store_.GetExport(*instance, "spin");
    quick_ = *store_.GetExport(*instance, "quick");
  }

  Store store_;
  Extern spin_, quick_;
  std::vector<Value> results_;
};

TEST_F(WatchdogTest, InterruptsALongCallAndNotTheNextOne) {
  Watchdog watchdog(store_);
  watchdog.Arm(std::chrono::milliseconds(20));
  ASSERT_EQ(store_.Call(spin_, {}, &results_), Outcome::kTrapped);
  EXPECT_EQ(store_.trap().kind, TrapKind::kInterrupted);
  EXPECT_TRUE(watchdog.Disarm());
  // The interrupt was consumed or cleared: the next call runs normally.
  ASSERT_EQ(store_.Call(quick_, {}, &results_), Outcome::kReturned);
  EXPECT_EQ(results_, std::vector<Value>{Value::I32(7)});
}

TEST_F(WatchdogTest, DisarmedInTimeDoesNotFire) {
  Watchdog watchdog(store_);
  for (int i = 0; i < 3; ++i) {
    watchdog.Arm(std::chrono::seconds(10));
    ASSERT_EQ(store_.Call(quick_, {}, &results_), Outcome::kReturned);
    EXPECT_FALSE(watchdog.Disarm());
  }
}

TEST_F(WatchdogTest, FiresAfterAnEarlierArmWasDisarmed) {
  Watchdog watchdog(store_);
  watchdog.Arm(std::chrono::seconds(10));
  EXPECT_FALSE(watchdog.Disarm());
  watchdog.Arm(std::chrono::milliseconds(20));  // the new, shorter deadline counts
  EXPECT_EQ(store_.Call(spin_, {}, &results_), Outcome::kTrapped);
  EXPECT_TRUE(watchdog.Disarm());
}

}  // namespace
}  // namespace deja::text
