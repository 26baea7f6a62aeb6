// The descriptor table: numbering, the cap, take/renumber, closing.
#include "wasi/fd_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace deja::wasi {
namespace {

FdEntry Named(const std::string& name) {
  FdEntry e;
  e.guest_path = name;
  return e;
}

TEST(FdTableTest, InsertTakesTheLowestFreeNumber) {
  FdTable t(10);
  ASSERT_EQ(t.InsertAt(3, Named("three")), Errno::kSuccess);
  u32 fd = 99;
  ASSERT_EQ(t.Insert(Named("a"), &fd), Errno::kSuccess);
  EXPECT_EQ(fd, 0u);
  ASSERT_EQ(t.Insert(Named("b"), &fd), Errno::kSuccess);
  EXPECT_EQ(fd, 1u);
  EXPECT_EQ(t.Get(3)->guest_path, "three");
  EXPECT_EQ(t.Get(2), nullptr);
  EXPECT_EQ(t.Get(1000), nullptr);
  EXPECT_EQ(t.InsertAt(3, Named("again")), Errno::kExist);
  EXPECT_EQ(t.size(), 4u);
}

TEST(FdTableTest, CapCountsOpenDescriptors) {
  FdTable t(2);
  u32 fd;
  ASSERT_EQ(t.Insert(Named("a"), &fd), Errno::kSuccess);
  ASSERT_EQ(t.Insert(Named("b"), &fd), Errno::kSuccess);
  EXPECT_EQ(t.Insert(Named("c"), &fd), Errno::kNfile);
  EXPECT_EQ(t.InsertAt(4, Named("c")), Errno::kNfile);
  FdEntry out;
  ASSERT_EQ(t.Take(0, &out), Errno::kSuccess);
  EXPECT_EQ(out.guest_path, "a");
  ASSERT_EQ(t.Insert(Named("c"), &fd), Errno::kSuccess);
  EXPECT_EQ(fd, 0u);
}

TEST(FdTableTest, NumbersStayNearTheCap) {
  FdTable t(5);
  EXPECT_EQ(t.InsertAt(1'000'000, Named("far")), Errno::kNfile);
  EXPECT_EQ(t.InsertAt(7, Named("last")), Errno::kSuccess);
  EXPECT_EQ(t.InsertAt(8, Named("past")), Errno::kNfile);
}

TEST(FdTableTest, TakeAndRenumber) {
  FdTable t(10);
  u32 a, b;
  ASSERT_EQ(t.Insert(Named("a"), &a), Errno::kSuccess);
  ASSERT_EQ(t.Insert(Named("b"), &b), Errno::kSuccess);
  FdEntry closed;
  bool was_closed = true;
  EXPECT_EQ(t.Renumber(a, 7, &closed, &was_closed), Errno::kBadf);
  EXPECT_FALSE(was_closed);
  EXPECT_EQ(t.Renumber(7, a, &closed, &was_closed), Errno::kBadf);
  ASSERT_EQ(t.Renumber(a, a, &closed, &was_closed), Errno::kSuccess);
  EXPECT_FALSE(was_closed);
  ASSERT_EQ(t.Renumber(a, b, &closed, &was_closed), Errno::kSuccess);
  EXPECT_TRUE(was_closed);
  EXPECT_EQ(closed.guest_path, "b");
  EXPECT_EQ(t.Get(a), nullptr);
  EXPECT_EQ(t.Get(b)->guest_path, "a");
  FdEntry out;
  EXPECT_EQ(t.Take(a, &out), Errno::kBadf);
  ASSERT_EQ(t.Take(b, &out), Errno::kSuccess);
  EXPECT_EQ(t.size(), 0u);
}

TEST(FdTableTest, DestructorClosesOnlyOwnedDescriptors) {
  int owned = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int borrowed = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(owned, 0);
  ASSERT_GE(borrowed, 0);
  {
    FdTable t(10);
    FdEntry e;
    e.host_fd = owned;
    u32 fd;
    ASSERT_EQ(t.Insert(e, &fd), Errno::kSuccess);
    e.host_fd = borrowed;
    e.owned = false;
    ASSERT_EQ(t.Insert(e, &fd), Errno::kSuccess);
  }
  EXPECT_EQ(fcntl(owned, F_GETFD), -1);
  EXPECT_NE(fcntl(borrowed, F_GETFD), -1);
  close(borrowed);
}

}  // namespace
}  // namespace deja::wasi
