// Idempotency-Key on invoke (issue 16): per tenant and function, the first
// request with a key runs; concurrent duplicates wait for it; later ones get
// the stored response; the same key with a different request is refused
// (422). Records expire and the store is bounded. The storage is an
// interface so the server can keep records in its registry; the in-memory
// one here is the default and the tests'. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/cgi.h"
#include "server/quota_clock.h"

namespace deja::server {

struct IdempotencyKey {
  std::string tenant;
  std::string function;
  std::string key;  // the header's value (1..255 visible ASCII, checked by ValidIdempotencyKey)
  auto operator<=>(const IdempotencyKey&) const = default;
};

// Empty when usable, else why not ("Idempotency-Key longer than 255 bytes").
std::string ValidIdempotencyKey(std::string_view value);

// SHA-256 over what makes two requests "the same": method, target and body,
// fed in pieces (a streamed body).
class RequestFingerprint {
 public:
  RequestFingerprint();
  ~RequestFingerprint();
  RequestFingerprint(const RequestFingerprint&) = delete;
  RequestFingerprint& operator=(const RequestFingerprint&) = delete;
  void AddMethodAndTarget(std::string_view method, std::string_view target);
  void AddBody(std::string_view bytes);
  std::array<uint8_t, 32> Final();

 private:
  void* ctx_;  // EVP_MD_CTX
};

struct StoredResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;
};

struct IdempotencyRecord {
  std::array<uint8_t, 32> fingerprint{};
  StoredResponse response;
  std::chrono::nanoseconds expires{};  // Clock time
  // The response's body exceeded max_body_bytes: only the fact is kept.
  bool too_large = false;
};

// Where completed records live. Implementations must be thread-safe.
class IdempotencyBackend {
 public:
  virtual ~IdempotencyBackend() = default;
  virtual std::optional<IdempotencyRecord> Load(const IdempotencyKey& key) = 0;
  virtual void Store(const IdempotencyKey& key, IdempotencyRecord record) = 0;
  virtual void Erase(const IdempotencyKey& key) = 0;
};

// Bounded in memory: at most max_records, evicting the least recently
// stored; expired records are dropped when met.
class MemoryIdempotencyBackend final : public IdempotencyBackend {
 public:
  explicit MemoryIdempotencyBackend(size_t max_records = 10000) : max_records_(max_records) {}
  std::optional<IdempotencyRecord> Load(const IdempotencyKey& key) override;
  void Store(const IdempotencyKey& key, IdempotencyRecord record) override;
  void Erase(const IdempotencyKey& key) override;
  size_t size() const;

 private:
  const size_t max_records_;
  mutable std::mutex mu_;
  std::list<IdempotencyKey> order_;  // oldest first
  std::map<IdempotencyKey, std::pair<IdempotencyRecord, std::list<IdempotencyKey>::iterator>> records_;
};

struct IdempotencyOptions {
  std::chrono::nanoseconds ttl = std::chrono::hours(24);
  // How long a duplicate waits for the first request to finish before it is
  // answered 409 (still in progress).
  std::chrono::nanoseconds wait = std::chrono::seconds(30);
  // A response with a larger body is not kept: its duplicates get 409
  // "response too large to replay" rather than a second run.
  size_t max_body_bytes = 1024 * 1024;
  size_t max_in_flight = 10000;  // keys running at once, all tenants
};

enum class IdempotencyOutcome {
  kRun,         // first: run the request, then Complete() or Abandon()
  kReplay,      // answer with `stored`
  kMismatch,    // 422: the key was used with a different request
  kInProgress,  // 409: the first is still running after `wait`
  kTooLarge,    // 409: the first's response was too large to keep
  kBusy,        // 503: too many keys in flight
};

struct IdempotencyBegin {
  IdempotencyOutcome outcome;
  StoredResponse stored;  // for kReplay
  std::string message;    // for the refusals, names the key
};

// Exactly one of Complete or Abandon must follow each kRun, or the key's
// duplicates wait out `wait` and get 409. The backend is called with the
// gate's mutex held: a slow backend (a database) serializes idempotent
// requests, which are few next to plain ones.
class IdempotencyGate {
 public:
  IdempotencyGate(IdempotencyBackend* backend, IdempotencyOptions options = {},
                  const Clock* clock = SteadyClock::Get());

  IdempotencyBegin Begin(const IdempotencyKey& key, const std::array<uint8_t, 32>& fingerprint);
  // After kRun: keep `response` and wake the waiters, who replay it.
  void Complete(const IdempotencyKey& key, StoredResponse response);
  // After kRun when no response should be kept (the run failed inside
  // deja, the client went away): one waiter, or the next request, runs.
  void Abandon(const IdempotencyKey& key);

 private:
  struct InFlight {
    std::array<uint8_t, 32> fingerprint;
    bool done = false;
    bool abandoned = false;
    int waiters = 0;
  };
  IdempotencyBackend* backend_;
  IdempotencyOptions options_;
  const Clock* clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<IdempotencyKey, std::shared_ptr<InFlight>> in_flight_;
};

}  // namespace deja::server
