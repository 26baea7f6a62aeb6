// Signals and messages of durable instances: per-instance queues in SQLite
// (tables durable_signals and durable_messages, docs/DURABLE.md "Guest API").
// A signal or message sent before the guest waits is kept, in send order.
//
// Exactly-once on both ends. A message is stored under its sender's
// idempotency key (UNIQUE), so a resumed or replayed sender that sends again
// stores nothing new. A take is keyed too: the receiver's key is written
// into the row it takes, and taking again under the same key returns that
// row, so a receiver resumed from a snapshot taken before the take gets the
// same signal again instead of losing it or getting the next one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/types.h"
#include "deja/status.h"
#include "registry/database.h"

namespace deja::durable {

// An idempotency key: instance `id`'s request number `request` (how many
// guest API calls it made before this one, across its whole life). "i/7".
std::string RequestKey(std::string_view instance, u64 request);

struct Taken {
  std::string payload;
  i64 seq = 0;  // its place in the queue (monotonic over all instances)
};

class Mailbox {
 public:
  // Creates the tables if needed; `db` must outlive the mailbox.
  static Result<Mailbox> Open(registry::Database* db);

  // Queues signal `name` for `instance`. Not keyed: `deja signal` run twice
  // queues two (docs/DURABLE.md, crash matrix).
  Status Signal(std::string_view instance, std::string_view name, std::string_view payload);
  // The oldest untaken signal `name` of `instance`, marked taken under `key`
  // (or the one already taken under `key`). When its payload is longer than
  // `max_bytes` nothing is marked and *size says how long it is.
  // nullopt: none queued.
  Result<std::optional<Taken>> TakeSignal(std::string_view instance, std::string_view name,
                                          std::string_view key, u32 max_bytes, u32* size);
  // Signals queued (untaken) for `instance`, any name.
  Result<i64> PendingSignals(std::string_view instance, std::string_view name = {});

  // Stores a message from the request `key` to `target`; a second send
  // under the same key changes nothing. *stored: whether this call stored it.
  Status Send(std::string_view key, std::string_view sender, std::string_view target,
              std::string_view payload, bool* stored = nullptr);
  Result<std::optional<Taken>> TakeMessage(std::string_view instance, std::string_view key,
                                           u32 max_bytes, u32* size);
  Result<i64> PendingMessages(std::string_view instance);
  // Every message ever stored for `target` (taken or not): what a test counts.
  Result<i64> MessageRows(std::string_view target);

  // The request number an instance continues at when it resumes from
  // `snapshot` (api_host.h): saved by the worker before the snapshot becomes
  // the instance's; 0 when none was saved (a segment from the module).
  Status SaveCursor(std::string_view instance, std::string_view snapshot, u64 next_request);
  Result<u64> LoadCursor(std::string_view instance, std::string_view snapshot);

 private:
  explicit Mailbox(registry::Database* db) : db_(db) {}
  Result<std::optional<Taken>> Take(const char* table, std::string_view instance,
                                    std::optional<std::string_view> name, std::string_view key,
                                    u32 max_bytes, u32* size);
  registry::Database* db_;
};

}  // namespace deja::durable
