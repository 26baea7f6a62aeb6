// The SQLite store (store.h) at $DEJA_HOME/server.db. One connection behind a
// mutex: every statement is short (no module bytes pass through it; modules
// are files named by hash), so serialising them costs less than a pool of
// connections fighting over SQLite's single writer.
#include <chrono>
#include <mutex>

#include <nlohmann/json.hpp>

#include "registry/database.h"
#include "server/store.h"

namespace deja::server {
namespace {

using registry::Database;
using registry::Statement;
using registry::Transaction;

// Schema versions: 1 is the first. A database from a newer deja is refused
// rather than written with an older idea of its tables.
constexpr int kSchemaVersion = 1;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE tenants (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY, tenant_id INTEGER REFERENCES tenants(id), secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER,
  label TEXT NOT NULL DEFAULT '');
CREATE TABLE functions (
  id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
  live_version INTEGER, created_at INTEGER NOT NULL, UNIQUE (tenant_id, name));
CREATE TABLE versions (
  function_id INTEGER NOT NULL REFERENCES functions(id), number INTEGER NOT NULL,
  module_hash TEXT NOT NULL, module_size INTEGER NOT NULL, config TEXT NOT NULL,
  created_at INTEGER NOT NULL, PRIMARY KEY (function_id, number));
CREATE TABLE invocations (
  id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, function TEXT NOT NULL,
  version INTEGER NOT NULL, run_id TEXT NOT NULL, started_at_ms INTEGER NOT NULL,
  method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL,
  wall_us INTEGER NOT NULL, fuel INTEGER NOT NULL, peak_memory INTEGER NOT NULL,
  host_calls INTEGER NOT NULL, bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL,
  error TEXT NOT NULL, logs TEXT NOT NULL);
CREATE INDEX invocations_by_function ON invocations (tenant_id, function, version, id);
)sql";

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& s : scopes) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> SplitScopes(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string ConfigToJson(const VersionConfig& c) {
  nlohmann::json j = {{"env", c.env},          {"timeout_ms", c.timeout_ms},
                      {"allow_hosts", c.allow_hosts}, {"record", c.record},
                      {"public", c.is_public}, {"allow_unknown_imports", c.allow_unknown_imports}};
  if (c.fuel) j["fuel"] = *c.fuel;
  if (c.max_memory) j["max_memory"] = *c.max_memory;
  return j.dump();
}

// The config column is written only by ConfigToJson; a row that does not
// parse is damage, reported as such rather than run with defaults.
Result<VersionConfig> ConfigFromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption("server.db: a version's config is not JSON");
  VersionConfig c;
  c.env = j.value("env", std::vector<std::string>{});
  c.timeout_ms = j.value("timeout_ms", uint64_t{10'000});
  c.allow_hosts = j.value("allow_hosts", std::vector<std::string>{});
  c.record = j.value("record", true);
  c.is_public = j.value("public", true);
  c.allow_unknown_imports = j.value("allow_unknown_imports", false);
  if (j.contains("fuel")) c.fuel = j["fuel"].get<uint64_t>();
  if (j.contains("max_memory")) c.max_memory = j["max_memory"].get<uint64_t>();
  return c;
}

std::optional<int64_t> OptInt(const Statement& s, int column) {
  if (s.IsNull(column)) return std::nullopt;
  return s.Int(column);
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  Status Migrate() {
    DEJA_TRY(db_->Exec("PRAGMA journal_mode=WAL"));
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_TRY(db_->Exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT value FROM meta WHERE key='schema_version'"));
    DEJA_ASSIGN_OR_RETURN(bool has, q.Step());
    int version = has ? static_cast<int>(std::stoll("0" + q.Text(0))) : 0;
    if (version > kSchemaVersion) {
      return Status::Unsupported("database " + db_->path() + ": schema version " +
                                 std::to_string(version) + " is newer than this deja's (" +
                                 std::to_string(kSchemaVersion) + ")");
    }
    if (version < 1) DEJA_TRY(db_->Exec(kSchemaV1));
    DEJA_ASSIGN_OR_RETURN(Statement set,
                          db_->Prepare("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?1)"));
    DEJA_TRY(set.Bind(1, std::to_string(kSchemaVersion)).Run());
    return tx.Commit();
  }

  Result<Tenant> CreateTenant(const std::string& name) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT id FROM tenants WHERE name=?1"));
    DEJA_ASSIGN_OR_RETURN(bool exists, q.Bind(1, name).Step());
    if (exists) return Status::InvalidArgument("tenant \"" + name + "\" exists");
    Tenant t{0, name, Now()};
    DEJA_ASSIGN_OR_RETURN(Statement ins,
                          db_->Prepare("INSERT INTO tenants (name, created_at) VALUES (?1, ?2) RETURNING id"));
    DEJA_ASSIGN_OR_RETURN(bool row, ins.Bind(1, name).Bind(2, t.created_at).Step());
    if (!row) return db_->Error("adding tenant " + name);
    t.id = ins.Int(0);
    return t;
  }

  Result<std::optional<Tenant>> FindTenant(const std::string& name) override {
    std::lock_guard lock(mu_);
    return QueryTenant("SELECT id, name, created_at FROM tenants WHERE name=?1", name);
  }

  Result<std::optional<Tenant>> GetTenant(int64_t id) override {
    std::lock_guard lock(mu_);
    return QueryTenant("SELECT id, name, created_at FROM tenants WHERE id=?1", std::to_string(id));
  }

  Result<std::vector<Tenant>> ListTenants() override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT id, name, created_at FROM tenants ORDER BY id"));
    std::vector<Tenant> out;
    while (true) {
      DEJA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Int(0), q.Text(1), q.Int(2)});
    }
    return out;
  }

  Result<int64_t> CountTokens() override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT count(*) FROM tokens"));
    DEJA_ASSIGN_OR_RETURN(bool row, q.Step());
    return row ? q.Int(0) : 0;
  }

  Result<TokenRow> AddToken(TokenRow row) override {
    std::lock_guard lock(mu_);
    row.created_at = Now();
    DEJA_ASSIGN_OR_RETURN(
        Statement ins,
        db_->Prepare("INSERT INTO tokens (tenant_id, secret_hash, scopes, created_at, expires_at, label) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id"));
    if (row.tenant_id) ins.Bind(1, *row.tenant_id); else ins.BindNull(1);
    ins.Bind(2, row.secret_hash).Bind(3, JoinScopes(row.scopes)).Bind(4, row.created_at);
    if (row.expires_at) ins.Bind(5, *row.expires_at); else ins.BindNull(5);
    ins.Bind(6, row.label);
    DEJA_ASSIGN_OR_RETURN(bool ok, ins.Step());
    if (!ok) return db_->Error("adding a token");
    row.id = ins.Int(0);
    return row;
  }

  Result<std::optional<TokenRow>> GetToken(int64_t id) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare(std::string(kTokenColumns) + " WHERE id=?1"));
    DEJA_ASSIGN_OR_RETURN(bool row, q.Bind(1, id).Step());
    if (!row) return std::optional<TokenRow>();
    return std::optional<TokenRow>(ReadToken(q));
  }

  Result<std::vector<TokenRow>> ListTokens(std::optional<int64_t> tenant_id) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(
        Statement q, db_->Prepare(std::string(kTokenColumns) +
                                  (tenant_id ? " WHERE tenant_id=?1 ORDER BY id" : " WHERE tenant_id IS NULL ORDER BY id")));
    if (tenant_id) q.Bind(1, *tenant_id);
    std::vector<TokenRow> out;
    while (true) {
      DEJA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadToken(q));
    }
    return out;
  }

  Result<bool> RevokeToken(std::optional<int64_t> tenant_id, int64_t id, int64_t now) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(
        Statement q,
        db_->Prepare(tenant_id ? "UPDATE tokens SET revoked_at=coalesce(revoked_at, ?3) WHERE id=?1 AND tenant_id=?2"
                               : "UPDATE tokens SET revoked_at=coalesce(revoked_at, ?3) WHERE id=?1 AND tenant_id IS NULL AND ?2=?2"));
    q.Bind(1, id).Bind(2, tenant_id.value_or(0)).Bind(3, now);
    DEJA_TRY(q.Run());
    return db_->Changes() > 0;
  }

  Result<Version> AddVersion(int64_t tenant_id, const std::string& function, Version version,
                             bool make_live) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_ASSIGN_OR_RETURN(
        Statement up, db_->Prepare("INSERT INTO functions (tenant_id, name, created_at) VALUES (?1, ?2, ?3) "
                                   "ON CONFLICT (tenant_id, name) DO NOTHING"));
    DEJA_TRY(up.Bind(1, tenant_id).Bind(2, function).Bind(3, Now()).Run());
    DEJA_ASSIGN_OR_RETURN(int64_t fid, FunctionId(tenant_id, function));
    DEJA_ASSIGN_OR_RETURN(Statement next,
                          db_->Prepare("SELECT coalesce(max(number), 0) + 1 FROM versions WHERE function_id=?1"));
    DEJA_ASSIGN_OR_RETURN(bool row, next.Bind(1, fid).Step());
    if (!row) return db_->Error("numbering a version");
    version.number = next.Int(0);
    version.created_at = Now();
    DEJA_ASSIGN_OR_RETURN(Statement ins,
                          db_->Prepare("INSERT INTO versions VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    DEJA_TRY(ins.Bind(1, fid).Bind(2, version.number).Bind(3, version.module_hash)
                 .Bind(4, static_cast<int64_t>(version.module_size)).Bind(5, ConfigToJson(version.config))
                 .Bind(6, version.created_at).Run());
    if (make_live) {
      DEJA_ASSIGN_OR_RETURN(Statement live, db_->Prepare("UPDATE functions SET live_version=?2 WHERE id=?1"));
      DEJA_TRY(live.Bind(1, fid).Bind(2, version.number).Run());
    }
    DEJA_TRY(tx.Commit());
    return version;
  }

  Result<std::optional<Function>> GetFunction(int64_t tenant_id, const std::string& name) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare(std::string(kFunctionColumns) +
                                                    " WHERE tenant_id=?1 AND name=?2"));
    DEJA_ASSIGN_OR_RETURN(bool row, q.Bind(1, tenant_id).Bind(2, name).Step());
    if (!row) return std::optional<Function>();
    return std::optional<Function>(ReadFunction(q));
  }

  Result<std::vector<Function>> ListFunctions(int64_t tenant_id) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare(std::string(kFunctionColumns) +
                                                    " WHERE tenant_id=?1 ORDER BY name"));
    q.Bind(1, tenant_id);
    std::vector<Function> out;
    while (true) {
      DEJA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadFunction(q));
    }
    return out;
  }

  Result<std::vector<Version>> ListVersions(int64_t tenant_id, const std::string& function) override {
    std::lock_guard lock(mu_);
    return QueryVersions(tenant_id, function, 0);
  }

  Result<std::optional<Version>> GetVersion(int64_t tenant_id, const std::string& function,
                                            int64_t number) override {
    std::lock_guard lock(mu_);
    if (number <= 0) return std::optional<Version>();
    DEJA_ASSIGN_OR_RETURN(std::vector<Version> v, QueryVersions(tenant_id, function, number));
    if (v.empty()) return std::optional<Version>();
    return std::optional<Version>(std::move(v[0]));
  }

  Status SetLive(int64_t tenant_id, const std::string& function, int64_t number) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_ASSIGN_OR_RETURN(int64_t fid, FunctionId(tenant_id, function));
    if (fid == 0) return Status::NotFound("no function \"" + function + "\"");
    DEJA_ASSIGN_OR_RETURN(Statement q,
                          db_->Prepare("SELECT 1 FROM versions WHERE function_id=?1 AND number=?2"));
    DEJA_ASSIGN_OR_RETURN(bool exists, q.Bind(1, fid).Bind(2, number).Step());
    if (!exists) {
      return Status::NotFound("function \"" + function + "\" has no version " + std::to_string(number));
    }
    DEJA_ASSIGN_OR_RETURN(Statement live, db_->Prepare("UPDATE functions SET live_version=?2 WHERE id=?1"));
    DEJA_TRY(live.Bind(1, fid).Bind(2, number).Run());
    return tx.Commit();
  }

  Result<int64_t> AddInvocation(const Invocation& v) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(
        Statement ins,
        db_->Prepare("INSERT INTO invocations (tenant_id, function, version, run_id, started_at_ms, method, "
                     "path, status, outcome, wall_us, fuel, peak_memory, host_calls, bytes_in, bytes_out, "
                     "error, logs) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17) "
                     "RETURNING id"));
    ins.Bind(1, v.tenant_id).Bind(2, v.function).Bind(3, v.version).Bind(4, v.run_id)
        .Bind(5, v.started_at_ms).Bind(6, v.method).Bind(7, v.path).Bind(8, int64_t{v.status})
        .Bind(9, v.outcome).Bind(10, static_cast<int64_t>(v.wall_us)).Bind(11, static_cast<int64_t>(v.fuel))
        .Bind(12, static_cast<int64_t>(v.peak_memory)).Bind(13, static_cast<int64_t>(v.host_calls))
        .Bind(14, static_cast<int64_t>(v.bytes_in)).Bind(15, static_cast<int64_t>(v.bytes_out))
        .Bind(16, v.error).Bind(17, v.logs);
    DEJA_ASSIGN_OR_RETURN(bool row, ins.Step());
    if (!row) return db_->Error("adding an invocation");
    return ins.Int(0);
  }

  Result<std::optional<Invocation>> GetInvocation(int64_t tenant_id, int64_t id) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare(std::string(kInvocationColumns) +
                                                    " WHERE tenant_id=?1 AND id=?2"));
    DEJA_ASSIGN_OR_RETURN(bool row, q.Bind(1, tenant_id).Bind(2, id).Step());
    if (!row) return std::optional<Invocation>();
    return std::optional<Invocation>(ReadInvocation(q));
  }

  Result<std::vector<Invocation>> ListInvocations(int64_t tenant_id, const std::string& function,
                                                  int64_t version, int limit) override {
    std::lock_guard lock(mu_);
    DEJA_ASSIGN_OR_RETURN(
        Statement q, db_->Prepare(std::string(kInvocationColumns) +
                                  " WHERE tenant_id=?1 AND (?2='' OR function=?2) AND (?3=0 OR version=?3)"
                                  " ORDER BY id DESC LIMIT ?4"));
    q.Bind(1, tenant_id).Bind(2, function).Bind(3, version).Bind(4, int64_t{limit});
    std::vector<Invocation> out;
    while (true) {
      DEJA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back(ReadInvocation(q));
    }
    return out;
  }

 private:
  static constexpr const char* kTokenColumns =
      "SELECT id, tenant_id, secret_hash, scopes, created_at, expires_at, revoked_at, label FROM tokens";
  static constexpr const char* kFunctionColumns =
      "SELECT id, tenant_id, name, live_version, created_at FROM functions";
  static constexpr const char* kInvocationColumns =
      "SELECT id, tenant_id, function, version, run_id, started_at_ms, method, path, status, outcome, "
      "wall_us, fuel, peak_memory, host_calls, bytes_in, bytes_out, error, logs FROM invocations";

  Result<std::optional<Tenant>> QueryTenant(const char* sql, const std::string& key) {
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare(sql));
    DEJA_ASSIGN_OR_RETURN(bool row, q.Bind(1, key).Step());
    if (!row) return std::optional<Tenant>();
    return std::optional<Tenant>(Tenant{q.Int(0), q.Text(1), q.Int(2)});
  }

  // 0 when the tenant has no such function.
  Result<int64_t> FunctionId(int64_t tenant_id, const std::string& name) {
    DEJA_ASSIGN_OR_RETURN(Statement q, db_->Prepare("SELECT id FROM functions WHERE tenant_id=?1 AND name=?2"));
    DEJA_ASSIGN_OR_RETURN(bool row, q.Bind(1, tenant_id).Bind(2, name).Step());
    return row ? q.Int(0) : 0;
  }

  Result<std::vector<Version>> QueryVersions(int64_t tenant_id, const std::string& function, int64_t number) {
    DEJA_ASSIGN_OR_RETURN(
        Statement q,
        db_->Prepare("SELECT v.number, v.module_hash, v.module_size, v.config, v.created_at FROM versions v "
                     "JOIN functions f ON f.id = v.function_id WHERE f.tenant_id=?1 AND f.name=?2 "
                     "AND (?3=0 OR v.number=?3) ORDER BY v.number"));
    q.Bind(1, tenant_id).Bind(2, function).Bind(3, number);
    std::vector<Version> out;
    while (true) {
      DEJA_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      Version v;
      v.number = q.Int(0);
      v.module_hash = q.Text(1);
      v.module_size = static_cast<uint64_t>(q.Int(2));
      DEJA_ASSIGN_OR_RETURN(v.config, ConfigFromJson(q.Text(3)));
      v.created_at = q.Int(4);
      out.push_back(std::move(v));
    }
    return out;
  }

  static TokenRow ReadToken(const Statement& q) {
    TokenRow t;
    t.id = q.Int(0);
    t.tenant_id = OptInt(q, 1);
    t.secret_hash = q.Text(2);
    t.scopes = SplitScopes(q.Text(3));
    t.created_at = q.Int(4);
    t.expires_at = OptInt(q, 5);
    t.revoked_at = OptInt(q, 6);
    t.label = q.Text(7);
    return t;
  }

  static Function ReadFunction(const Statement& q) {
    return Function{q.Int(0), q.Int(1), q.Text(2), OptInt(q, 3), q.Int(4)};
  }

  static Invocation ReadInvocation(const Statement& q) {
    Invocation v;
    v.id = q.Int(0);
    v.tenant_id = q.Int(1);
    v.function = q.Text(2);
    v.version = q.Int(3);
    v.run_id = q.Text(4);
    v.started_at_ms = q.Int(5);
    v.method = q.Text(6);
    v.path = q.Text(7);
    v.status = static_cast<int>(q.Int(8));
    v.outcome = q.Text(9);
    v.wall_us = static_cast<uint64_t>(q.Int(10));
    v.fuel = static_cast<uint64_t>(q.Int(11));
    v.peak_memory = static_cast<uint64_t>(q.Int(12));
    v.host_calls = static_cast<uint64_t>(q.Int(13));
    v.bytes_in = static_cast<uint64_t>(q.Int(14));
    v.bytes_out = static_cast<uint64_t>(q.Int(15));
    v.error = q.Text(16);
    v.logs = q.Text(17);
    return v;
  }

  std::mutex mu_;
  std::unique_ptr<Database> db_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& home) {
  DEJA_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(home + "/server.db"));
  auto store = std::make_unique<SqliteStore>(std::move(db));
  DEJA_TRY(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace deja::server
