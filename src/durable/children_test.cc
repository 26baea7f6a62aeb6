// Spawn requests: one row per idempotency key, whatever is retried.
#include "durable/children.h"

#include <gtest/gtest.h>

#include "durable/api_test_util.h"

namespace deja::durable {
namespace {

TEST(ChildrenTest, ARequestRecordedTwiceIsOneRowAndOneChildId) {
  testing::TempDb db;
  auto children = Children::Open(db.get());
  ASSERT_TRUE(children.ok());
  ChildRequest req{"p/7", "p", "payment", {"pay", "42"}, "card", ""};
  bool created = false;
  ASSERT_TRUE(children->Record(req, 7, &created).ok());
  EXPECT_TRUE(created);
  ASSERT_TRUE(children->Record(req, 7, &created).ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(*children->Rows("p"), 1);
  auto found = children->Find("p", 7);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, "") << "not created yet";
  ASSERT_TRUE(children->SetChild("p/7", "i-42").ok());
  found = children->Find("p", 7);
  EXPECT_EQ((*found)->key, "p/7");
  EXPECT_EQ((*found)->id, "i-42");
  EXPECT_EQ((*found)->module, "payment");
  EXPECT_EQ((*found)->argv, (std::vector<std::string>{"pay", "42"}));
  EXPECT_EQ((*found)->input, "card");
  std::optional<ChildRequest> none = *children->Find("p", 8);
  EXPECT_FALSE(none);
  none = *children->Find("q", 7);
  EXPECT_FALSE(none);
}

TEST(ChildrenTest, EmptyArgumentsRoundTrip) {
  testing::TempDb db;
  auto children = Children::Open(db.get());
  ASSERT_TRUE(children.ok());
  ChildRequest req{"p/0", "p", "m", {"", "x", ""}, "", ""};
  ASSERT_TRUE(children->Record(req, 0).ok());
  std::optional<ChildRequest> found = *children->Find("p", 0);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->argv, (std::vector<std::string>{"", "x", ""}));
}

}  // namespace
}  // namespace deja::durable
