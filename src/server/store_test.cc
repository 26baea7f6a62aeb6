#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "server/auth.h"
#include "server/store.h"

namespace deja::server {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/deja-store-test.XXXXXX";
    home_ = mkdtemp(tmpl);
    auto store = OpenSqliteStore(home_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(home_);
  }
  std::string home_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, VersionsAreNumberedPerFunctionAndTenant) {
  Tenant a = *store_->CreateTenant("a");
  Tenant b = *store_->CreateTenant("b");
  EXPECT_FALSE(store_->CreateTenant("a").ok());
  Version v;
  v.module_hash = "sha256:00";
  v.config.env = {"X=1"};
  v.config.fuel = 7;
  EXPECT_EQ(store_->AddVersion(a.id, "f", v, true)->number, 1);
  EXPECT_EQ(store_->AddVersion(a.id, "f", v, false)->number, 2);
  EXPECT_EQ(store_->AddVersion(b.id, "f", v, true)->number, 1);
  auto f = *store_->GetFunction(a.id, "f");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->live_version, 1);
  auto got = *store_->GetVersion(a.id, "f", 2);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->config.env, std::vector<std::string>{"X=1"});
  EXPECT_EQ(got->config.fuel, 7u);
  EXPECT_TRUE(store_->SetLive(a.id, "f", 2).ok());
  EXPECT_EQ(store_->SetLive(a.id, "f", 3).code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->SetLive(b.id, "g", 1).code(), Status::Code::kNotFound);
  EXPECT_EQ((*store_->GetFunction(b.id, "f"))->live_version, 1);  // b's f untouched
}

TEST_F(StoreTest, InvocationsAreTenantScoped) {
  Tenant a = *store_->CreateTenant("a");
  Tenant b = *store_->CreateTenant("b");
  Invocation v;
  v.tenant_id = a.id;
  v.function = "f";
  v.version = 1;
  v.logs = "log";
  int64_t id = *store_->AddInvocation(v);
  EXPECT_TRUE(*store_->GetInvocation(a.id, id));
  EXPECT_FALSE(*store_->GetInvocation(b.id, id));
  EXPECT_EQ(store_->ListInvocations(a.id, "", 0, 10)->size(), 1u);
  EXPECT_EQ(store_->ListInvocations(b.id, "", 0, 10)->size(), 0u);
  EXPECT_EQ(store_->ListInvocations(a.id, "f", 2, 10)->size(), 0u);
}

TEST_F(StoreTest, SchemaSurvivesReopen) {
  Tenant a = *store_->CreateTenant("a");
  store_.reset();
  auto again = OpenSqliteStore(home_);
  ASSERT_TRUE(again.ok());
  auto t = *(*again)->FindTenant("a");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, a.id);
}

TEST_F(StoreTest, TokensAuthenticateRevokeAndExpire) {
  Tenant a = *store_->CreateTenant("a");
  std::string token = *IssueToken(*store_, a.id, {kScopeRead}, std::nullopt, "");
  auto p = Authenticate(*store_, "Bearer " + token, 100);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->tenant_id, a.id);
  EXPECT_TRUE(p->Has(kScopeRead));
  EXPECT_FALSE(p->Has(kScopeDeploy));
  // Only the hash is stored.
  auto rows = *store_->ListTokens(a.id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(token.find(rows[0].secret_hash), std::string::npos);
  // One wrong character, a truncated token, another id: refused.
  std::string wrong = token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(Authenticate(*store_, wrong, 100).ok());
  EXPECT_FALSE(Authenticate(*store_, token.substr(0, token.size() - 1), 100).ok());
  EXPECT_FALSE(Authenticate(*store_, "deja_99_" + token.substr(token.rfind('_') + 1), 100).ok());
  EXPECT_TRUE(*store_->RevokeToken(a.id, rows[0].id, 100) );
  EXPECT_FALSE(*store_->RevokeToken(std::nullopt, rows[0].id, 100));  // not a platform token
  EXPECT_NE(Authenticate(*store_, token, 100).status().message().find("revoked"), std::string_view::npos);
  std::string expiring = *IssueToken(*store_, a.id, {kScopeRead}, 200, "");
  EXPECT_TRUE(Authenticate(*store_, expiring, 199).ok());
  EXPECT_NE(Authenticate(*store_, expiring, 200).status().message().find("expired"), std::string_view::npos);
}

}  // namespace
}  // namespace deja::server
