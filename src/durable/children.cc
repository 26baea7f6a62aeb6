#include "durable/children.h"

namespace deja::durable {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS durable_children (
  request_key TEXT PRIMARY KEY,
  parent TEXT NOT NULL,
  request INTEGER NOT NULL,
  child TEXT NOT NULL UNIQUE,
  module TEXT NOT NULL,
  argv TEXT NOT NULL,
  input TEXT NOT NULL
);
)";

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += a + '\0';
  return out;
}

std::vector<std::string> SplitArgv(const std::string& joined) {
  std::vector<std::string> argv;
  size_t start = 0;
  for (size_t i = 0; i < joined.size(); ++i) {
    if (joined[i] != '\0') continue;
    argv.push_back(joined.substr(start, i - start));
    start = i + 1;
  }
  return argv;
}

}  // namespace

std::string ChildId(std::string_view parent, u64 request) {
  return std::string(parent) + ".c" + std::to_string(request);
}

Result<Children> Children::Open(registry::Database* db) {
  DEJA_TRY(db->Exec(kSchema));
  return Children(db);
}

Result<std::string> Children::Record(const ChildRequest& req, u64 request, bool* created) {
  DEJA_ASSIGN_OR_RETURN(
      registry::Statement st,
      db_->Prepare("INSERT INTO durable_children (request_key, parent, request, child, module, "
                   "argv, input) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                   "ON CONFLICT (request_key) DO NOTHING"));
  std::string key = req.parent + "/" + std::to_string(request);
  std::string id = ChildId(req.parent, request);
  DEJA_TRY(st.Bind(1, key)
               .Bind(2, req.parent)
               .Bind(3, static_cast<i64>(request))
               .Bind(4, id)
               .Bind(5, req.module)
               .Bind(6, JoinArgv(req.argv))
               .Bind(7, req.input)
               .Run());
  if (created != nullptr) *created = db_->Changes() == 1;
  return id;
}

Result<std::optional<ChildRequest>> Children::Find(std::string_view parent, u64 handle) {
  DEJA_ASSIGN_OR_RETURN(registry::Statement st,
                        db_->Prepare("SELECT child, module, argv, input FROM durable_children "
                                     "WHERE parent = ?1 AND request = ?2"));
  st.Bind(1, parent).Bind(2, static_cast<i64>(handle));
  DEJA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ChildRequest>();
  ChildRequest req{st.Text(0), std::string(parent), st.Text(1), SplitArgv(st.Text(2)), st.Text(3)};
  return std::optional<ChildRequest>(std::move(req));
}

Result<i64> Children::Rows(std::string_view parent) {
  DEJA_ASSIGN_OR_RETURN(registry::Statement st,
                        db_->Prepare("SELECT count(*) FROM durable_children WHERE parent = ?1"));
  st.Bind(1, parent);
  DEJA_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

}  // namespace deja::durable
