// Compiled modules kept between invocations (issue 16): decoding, validating
// and compiling a module on every request dominated a hello function's
// cost. A function version's module is immutable and named by its content
// hash, so an entry is never stale: entries leave only by eviction, least
// recently used first, past a cap on their count or on their bytes (the
// .wasm's size, which bounds the compiled code's). Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "deja/session.h"

namespace deja::server {

struct ModuleCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  size_t entries = 0;
  uint64_t bytes = 0;
};

class ModuleCache {
 public:
  ModuleCache(size_t max_entries, uint64_t max_bytes);

  // The module with content hash `hash`, compiled from `path` on a miss.
  // Two threads missing the same hash at once may both compile it; one
  // result is kept. A module larger than max_bytes is compiled and returned
  // but not kept.
  Result<std::shared_ptr<const session::PreparedModule>> Get(const std::string& hash,
                                                              const std::string& path);
  ModuleCacheStats stats() const;

 private:
  using Lru = std::list<std::string>;  // hashes, most recently used first
  struct Entry {
    std::shared_ptr<const session::PreparedModule> module;
    Lru::iterator position;
  };
  void EvictLocked();

  const size_t max_entries_;
  const uint64_t max_bytes_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
  Lru lru_;
  ModuleCacheStats stats_;
};

}  // namespace deja::server
