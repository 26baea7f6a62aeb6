#include "server/module_cache.h"

#include <utility>

namespace deja::server {

ModuleCache::ModuleCache(size_t max_entries, uint64_t max_bytes)
    : max_entries_(max_entries), max_bytes_(max_bytes) {}

Result<std::shared_ptr<const session::PreparedModule>> ModuleCache::Get(const std::string& hash,
                                                                        const std::string& path) {
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(hash); it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      ++stats_.hits;
      return it->second.module;
    }
    ++stats_.misses;
  }
  // Compiled outside the lock: other versions are served meanwhile.
  DEJA_ASSIGN_OR_RETURN(std::shared_ptr<const session::PreparedModule> module,
                        session::Prepare(path));
  uint64_t size = module->wasm.size();
  if (max_entries_ == 0 || size > max_bytes_) return module;
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(hash); it != entries_.end()) return it->second.module;
  lru_.push_front(hash);
  entries_.emplace(hash, Entry{module, lru_.begin()});
  stats_.bytes += size;
  stats_.entries = entries_.size();
  EvictLocked();
  return module;
}

void ModuleCache::EvictLocked() {
  while (!lru_.empty() && (entries_.size() > max_entries_ || stats_.bytes > max_bytes_)) {
    auto it = entries_.find(lru_.back());
    stats_.bytes -= it->second.module->wasm.size();
    entries_.erase(it);
    lru_.pop_back();
    ++stats_.evictions;
  }
  stats_.entries = entries_.size();
}

ModuleCacheStats ModuleCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace deja::server
