// The compiled-module cache: hits share one compiled module, entries leave
// least recently used first past either cap, failures are not kept.
#include "server/module_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace deja::server {
namespace {

std::string Guest(const std::string& name) { return std::string(DEJA_GUEST_DIR) + "/" + name; }

TEST(ModuleCache, AHitSharesTheCompiledModule) {
  ModuleCache cache(4, uint64_t{64} << 20);
  auto a = cache.Get("h1", Guest("hello.wasm"));
  auto b = cache.Get("h1", Guest("hello.wasm"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());
  ModuleCacheStats s = cache.stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.bytes, (*a)->wasm.size());
  EXPECT_EQ(s.bytes, std::filesystem::file_size(Guest("hello.wasm")));
}

TEST(ModuleCache, EvictsTheLeastRecentlyUsedPastTheCount) {
  ModuleCache cache(2, uint64_t{64} << 20);
  ASSERT_TRUE(cache.Get("a", Guest("hello.wasm")).ok());
  ASSERT_TRUE(cache.Get("b", Guest("hello.wasm")).ok());
  ASSERT_TRUE(cache.Get("a", Guest("hello.wasm")).ok());  // a is now the most recent
  ASSERT_TRUE(cache.Get("c", Guest("hello.wasm")).ok());  // evicts b
  ModuleCacheStats s = cache.stats();
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.entries, 2u);
  ASSERT_TRUE(cache.Get("a", Guest("hello.wasm")).ok());
  EXPECT_EQ(cache.stats().hits, s.hits + 1);
  ASSERT_TRUE(cache.Get("b", Guest("hello.wasm")).ok());
  EXPECT_EQ(cache.stats().misses, s.misses + 1);
}

TEST(ModuleCache, EvictsPastTheBytesAndKeepsNothingTooLarge) {
  uint64_t size = std::filesystem::file_size(Guest("hello.wasm"));
  ModuleCache cache(100, size * 2);
  for (const char* h : {"a", "b", "c"}) ASSERT_TRUE(cache.Get(h, Guest("hello.wasm")).ok());
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_LE(cache.stats().bytes, size * 2);

  ModuleCache tiny(100, size - 1);
  auto m = tiny.Get("a", Guest("hello.wasm"));
  ASSERT_TRUE(m.ok());  // compiled and served, not kept
  EXPECT_EQ(tiny.stats().entries, 0u);
  EXPECT_EQ(tiny.stats().bytes, 0u);
}

TEST(ModuleCache, AFailureIsReportedAndNotKept) {
  ModuleCache cache(4, uint64_t{64} << 20);
  auto missing = cache.Get("x", "/nonexistent/deja/module.wasm");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().ToString().find("/nonexistent/deja/module.wasm"), std::string::npos);
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

}  // namespace
}  // namespace deja::server
