// Idempotency: in-flight keys live in the gate (waiters block on them);
// finished ones in the backend until they expire.
#include "server/idempotency.h"

#include <openssl/evp.h>

namespace deja::server {

std::string ValidIdempotencyKey(std::string_view value) {
  if (value.empty()) return "Idempotency-Key is empty";
  if (value.size() > 255) return "Idempotency-Key longer than 255 bytes";
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) return "Idempotency-Key has a byte that is not visible ASCII";
  }
  return "";
}

RequestFingerprint::RequestFingerprint() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

RequestFingerprint::~RequestFingerprint() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void RequestFingerprint::AddMethodAndTarget(std::string_view method, std::string_view target) {
  // Lengths first, so ("GE", "T/x") and ("GET", "/x") differ.
  std::string head = std::to_string(method.size()) + ":" + std::string(method) +
                     std::to_string(target.size()) + ":" + std::string(target);
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), head.data(), head.size());
}

void RequestFingerprint::AddBody(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

std::array<uint8_t, 32> RequestFingerprint::Final() {
  std::array<uint8_t, 32> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &n);
  return out;
}

std::optional<IdempotencyRecord> MemoryIdempotencyBackend::Load(const IdempotencyKey& key) {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return std::nullopt;
  return it->second.first;
}

void MemoryIdempotencyBackend::Store(const IdempotencyKey& key, IdempotencyRecord record) {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it != records_.end()) {
    order_.erase(it->second.second);
    records_.erase(it);
  }
  while (max_records_ && records_.size() >= max_records_ && !order_.empty()) {
    records_.erase(order_.front());
    order_.pop_front();
  }
  if (!max_records_) return;
  order_.push_back(key);
  records_.emplace(key, std::make_pair(std::move(record), std::prev(order_.end())));
}

void MemoryIdempotencyBackend::Erase(const IdempotencyKey& key) {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return;
  order_.erase(it->second.second);
  records_.erase(it);
}

size_t MemoryIdempotencyBackend::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

IdempotencyGate::IdempotencyGate(IdempotencyBackend* backend, IdempotencyOptions options,
                                 const Clock* clock)
    : backend_(backend), options_(options), clock_(clock) {}

namespace {
std::string Named(const IdempotencyKey& key) {
  return "Idempotency-Key '" + key.key + "' of " + key.tenant + "/" + key.function;
}
}  // namespace

IdempotencyBegin IdempotencyGate::Begin(const IdempotencyKey& key,
                                        const std::array<uint8_t, 32>& fingerprint) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (auto stored = backend_->Load(key)) {
      if (stored->expires <= clock_->Now()) {
        backend_->Erase(key);
      } else if (stored->fingerprint != fingerprint) {
        return {IdempotencyOutcome::kMismatch, {},
                Named(key) + " was used with a different request"};
      } else if (stored->too_large) {
        return {IdempotencyOutcome::kTooLarge, {},
                Named(key) + ": the first response was too large to keep for replay"};
      } else {
        return {IdempotencyOutcome::kReplay, std::move(stored->response), ""};
      }
    }
    auto it = in_flight_.find(key);
    if (it == in_flight_.end()) {
      if (in_flight_.size() >= options_.max_in_flight) {
        return {IdempotencyOutcome::kBusy, {}, "too many idempotent requests in progress"};
      }
      auto f = std::make_shared<InFlight>();
      f->fingerprint = fingerprint;
      in_flight_.emplace(key, std::move(f));
      return {IdempotencyOutcome::kRun, {}, ""};
    }
    std::shared_ptr<InFlight> f = it->second;
    if (f->fingerprint != fingerprint) {
      return {IdempotencyOutcome::kMismatch, {}, Named(key) + " was used with a different request"};
    }
    // A duplicate of a running request: wait for its end, then look again
    // (its stored response, or, if it was abandoned, run it ourselves).
    ++f->waiters;
    bool ended = cv_.wait_for(lock, options_.wait, [&] { return f->done || f->abandoned; });
    --f->waiters;
    if (!ended) {
      return {IdempotencyOutcome::kInProgress, {},
              Named(key) + ": the first request is still in progress"};
    }
  }
}

void IdempotencyGate::Complete(const IdempotencyKey& key, StoredResponse response) {
  std::lock_guard lock(mu_);
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return;
  IdempotencyRecord record;
  record.fingerprint = it->second->fingerprint;
  record.expires = clock_->Now() + options_.ttl;
  if (response.body.size() > options_.max_body_bytes) {
    record.too_large = true;
  } else {
    record.response = std::move(response);
  }
  backend_->Store(key, std::move(record));
  it->second->done = true;
  in_flight_.erase(it);
  cv_.notify_all();
}

void IdempotencyGate::Abandon(const IdempotencyKey& key) {
  std::lock_guard lock(mu_);
  auto it = in_flight_.find(key);
  if (it == in_flight_.end()) return;
  it->second->abandoned = true;
  in_flight_.erase(it);
  cv_.notify_all();
}

}  // namespace deja::server
