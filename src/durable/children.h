// Children of durable instances: each spawn request is a row of
// durable_children under its idempotency key (PRIMARY KEY), and the child
// instance is created under the same key (InstanceStore::Create returns the
// existing id for a key it has seen), so asking again (a resumed or replayed
// parent, a worker that died between the row and the instance) finds the
// same child and creates none.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "deja/status.h"
#include "registry/database.h"

namespace deja::durable {

struct ChildRequest {
  std::string key;     // the idempotency key: RequestKey(parent, request)
  std::string parent;
  std::string module;  // a content hash or a registered name
  std::vector<std::string> argv;
  std::string input;   // its stdin
  std::string id;      // the child instance's id, once created
};

struct ChildEnd {
  i32 status = 0;      // its exit status
  std::string output;  // its stdout (ChildStdout)
};

// What creates and runs child instances: the instance store and worker
// (docs/DURABLE.md).
class ChildLauncher {
 public:
  virtual ~ChildLauncher() = default;
  // Creates the child instance of req.key unless one was created under that
  // key; returns its id either way. kNotFound: no such module.
  virtual Result<std::string> CreateChild(const ChildRequest& req) = 0;
  // nullopt while it has not ended; `output` is left empty (ChildStdout).
  virtual Result<std::optional<ChildEnd>> ChildEnded(std::string_view id) = 0;
  // An ended child's stdout over its whole life, at most `max_bytes`.
  virtual Result<std::string> ChildStdout(std::string_view id, u64 max_bytes) = 0;
  // Whether instance `id` exists (a message's target).
  virtual Result<bool> Exists(std::string_view id) = 0;
  // A signal or message was queued for instance `id`: if it is parked, it
  // becomes runnable (InstanceStore::MarkRunnable).
  virtual Status Wake(std::string_view id) = 0;
};

class Children {
 public:
  static Result<Children> Open(registry::Database* db);

  // Stores the request (argv NUL-joined) unless its key is there already;
  // *created: whether this call stored it.
  Status Record(const ChildRequest& req, u64 request, bool* created = nullptr);
  // The child's instance id, once the launcher created it.
  Status SetChild(std::string_view key, std::string_view child_id);
  // The request stored for child `handle` (the request number spawn gave)
  // of `parent` (id empty while not created); nullopt: none.
  Result<std::optional<ChildRequest>> Find(std::string_view parent, u64 handle);
  // Rows for `parent`: what a test counts.
  Result<i64> Rows(std::string_view parent);

 private:
  explicit Children(registry::Database* db) : db_(db) {}
  registry::Database* db_;
};

}  // namespace deja::durable
