// Children of durable instances: each spawn request is a row of
// durable_children under its idempotency key (PRIMARY KEY), and the child's
// instance id is derived from the same key, so asking again (a resumed or
// replayed parent, a worker that died between the row and the instance)
// names the same child and the launcher's create-if-absent makes it once.
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
  std::string id;      // the child instance's id: ChildId(parent, request)
  std::string parent;
  std::string module;  // a content hash or a registered name
  std::vector<std::string> argv;
  std::string input;   // its stdin
};

struct ChildEnd {
  i32 status = 0;      // its exit status
  std::string output;  // its stdout
};

// What creates and runs child instances: the instance store and worker
// (docs/DURABLE.md). Both calls are idempotent by the child's id.
class ChildLauncher {
 public:
  virtual ~ChildLauncher() = default;
  // Creates instance req.id unless it exists. kNotFound: no such module.
  virtual Status CreateChild(const ChildRequest& req) = 0;
  // nullopt while it has not ended.
  virtual Result<std::optional<ChildEnd>> ChildEnded(std::string_view id) = 0;
  // Whether instance `id` exists (a message's target).
  virtual Result<bool> Exists(std::string_view id) = 0;
};

// "<parent>.c<request>": stable for a request, so any retry names it.
std::string ChildId(std::string_view parent, u64 request);

class Children {
 public:
  static Result<Children> Open(registry::Database* db);

  // Stores the request (argv NUL-joined) unless its key is there already;
  // *created: whether this call stored it. Returns the child's id.
  Result<std::string> Record(const ChildRequest& req, u64 request, bool* created = nullptr);
  // The request stored for child `handle` (the request number spawn gave)
  // of `parent`; nullopt: none.
  Result<std::optional<ChildRequest>> Find(std::string_view parent, u64 handle);
  // Rows for `parent`: what a test counts.
  Result<i64> Rows(std::string_view parent);

 private:
  explicit Children(registry::Database* db) : db_(db) {}
  registry::Database* db_;
};

}  // namespace deja::durable
