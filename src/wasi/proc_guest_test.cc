// wasi-libc programs using arguments, environment, clocks, randomness and
// poll: they see exactly what the configuration grants.
#include <gtest/gtest.h>

#include "wasi/wasi_test_util.h"

namespace deja::wasi {
namespace {

using testing::RunGuest;

TEST(ProcGuestTest, ArgumentsAndEnvironmentArriveVerbatim) {
  WasiConfig config;
  config.args = {"prog", "two words", "", "ünï"};
  config.env = {"DEJA_FLAG=on", "EMPTY="};
  auto run = RunGuest("proc_args_env", config);
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap << run.err;
  EXPECT_EQ(run.out,
            "argc=4\nargv[0]=[prog]\nargv[1]=[two words]\nargv[2]=[]\nargv[3]=[ünï]\n"
            "env[0]=[DEJA_FLAG=on]\nenv[1]=[EMPTY=]\n");
  EXPECT_EQ(run.err, "");
}

TEST(ProcGuestTest, NothingIsGrantedByDefault) {
  auto run = RunGuest("proc_args_env", WasiConfig{});
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap << run.err;
  EXPECT_EQ(run.out, "argc=1\nargv[0]=[proc_args_env]\n") << "no environment leaks in";
}

TEST(ProcGuestTest, ClocksAndRandom) {
  auto run = RunGuest("proc_clock_random", WasiConfig{});
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap << run.err;
  EXPECT_EQ(run.out, "clocks and random ok\n");
  EXPECT_EQ(run.err, "");
}

TEST(ProcGuestTest, Poll) {
  auto run = RunGuest("proc_poll", WasiConfig{}, "ready\n");
  EXPECT_EQ(run.outcome, Outcome::kReturned) << run.trap << run.err;
  EXPECT_EQ(run.out, "poll ok\n");
  EXPECT_EQ(run.err, "");
}

}  // namespace
}  // namespace deja::wasi
