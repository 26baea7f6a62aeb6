// Host errno to WASI errno mapping and errno names.
#include "wasi/errno.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

namespace deja::wasi {
namespace {

TEST(ErrnoTest, MapsHostValues) {
  EXPECT_EQ(FromHostErrno(0), Errno::kSuccess);
  EXPECT_EQ(FromHostErrno(EBADF), Errno::kBadf);
  EXPECT_EQ(FromHostErrno(ENOENT), Errno::kNoent);
  EXPECT_EQ(FromHostErrno(EAGAIN), Errno::kAgain);
  EXPECT_EQ(FromHostErrno(EWOULDBLOCK), Errno::kAgain);
  EXPECT_EQ(FromHostErrno(EOPNOTSUPP), Errno::kNotsup);
  EXPECT_EQ(FromHostErrno(ESPIPE), Errno::kSpipe);
  EXPECT_EQ(FromHostErrno(EXDEV), Errno::kXdev);
  EXPECT_EQ(FromHostErrno(ENOTEMPTY), Errno::kNotempty);
  EXPECT_EQ(FromHostErrno(ECONNREFUSED), Errno::kConnrefused);
}

TEST(ErrnoTest, UnknownHostValuesAreEio) {
  EXPECT_EQ(FromHostErrno(ENOTBLK), Errno::kIo);
  EXPECT_EQ(FromHostErrno(-5), Errno::kIo);
  EXPECT_EQ(FromHostErrno(100000), Errno::kIo);
}

TEST(ErrnoTest, NamesAreDistinctAndMatchTheSpec) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(Errno::kNotcapable); ++i) {
    EXPECT_TRUE(names.insert(ErrnoName(static_cast<Errno>(i))).second) << i;
  }
  EXPECT_STREQ(ErrnoName(Errno::kSuccess), "ESUCCESS");
  EXPECT_STREQ(ErrnoName(Errno::kBadf), "EBADF");
  EXPECT_STREQ(ErrnoName(Errno::kInval), "EINVAL");
  EXPECT_STREQ(ErrnoName(Errno::kNotcapable), "ENOTCAPABLE");
  EXPECT_STREQ(ErrnoName(static_cast<Errno>(500)), "E?");
}

}  // namespace
}  // namespace deja::wasi
