#include "durable/children.h"

namespace deja::durable {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS durable_children (
  request_key TEXT PRIMARY KEY,
  parent TEXT NOT NULL,
  request INTEGER NOT NULL,
  child TEXT UNIQUE,
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

Result<Children> Children::Open(registry::Database* db) {
  DEJA_TRY(db->Exec(kSchema));
  return Children(db);
}

Status Children::Record(const ChildRequest& req, u64 request, bool* created) {
  DEJA_ASSIGN_OR_RETURN(
      registry::Statement st,
      db_->Prepare("INSERT INTO durable_children (request_key, parent, request, module, argv, "
                   "input) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (request_key) DO NOTHING"));
  DEJA_TRY(st.Bind(1, req.key)
               .Bind(2, req.parent)
               .Bind(3, static_cast<i64>(request))
               .Bind(4, req.module)
               .Bind(5, JoinArgv(req.argv))
               .Bind(6, req.input)
               .Run());
  if (created != nullptr) *created = db_->Changes() == 1;
  return {};
}

Status Children::SetChild(std::string_view key, std::string_view child_id) {
  DEJA_ASSIGN_OR_RETURN(
      registry::Statement st,
      db_->Prepare("UPDATE durable_children SET child = ?2 WHERE request_key = ?1"));
  return st.Bind(1, key).Bind(2, child_id).Run();
}

Result<std::optional<ChildRequest>> Children::Find(std::string_view parent, u64 handle) {
  DEJA_ASSIGN_OR_RETURN(registry::Statement st,
                        db_->Prepare("SELECT request_key, module, argv, input, child FROM "
                                     "durable_children WHERE parent = ?1 AND request = ?2"));
  st.Bind(1, parent).Bind(2, static_cast<i64>(handle));
  DEJA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<ChildRequest>();
  ChildRequest req{st.Text(0), std::string(parent), st.Text(1), SplitArgv(st.Text(2)), st.Text(3),
                   st.IsNull(4) ? std::string() : st.Text(4)};
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
