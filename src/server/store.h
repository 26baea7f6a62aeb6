// The function platform's state: tenants, tokens, functions, versions and
// invocations. An interface with no database types in it, so that the
// SQLite implementation (sqlite_store.cc, in $DEJA_HOME) can be joined by a
// PostgreSQL one without touching the routes. Every method that reads or
// changes a tenant's things takes the tenant id: isolation is in the query,
// not left to the caller's care.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deja/status.h"

namespace deja::server {

struct Tenant {
  int64_t id = 0;
  std::string name;
  int64_t created_at = 0;  // Unix seconds
};

// A token as stored: the SHA-256 of its secret, never the secret.
struct TokenRow {
  int64_t id = 0;
  std::optional<int64_t> tenant_id;  // none: a platform (admin) token
  std::string secret_hash;           // 32 raw bytes
  std::vector<std::string> scopes;   // "admin", "deploy", "invoke", "read"
  int64_t created_at = 0;
  std::optional<int64_t> expires_at;
  std::optional<int64_t> revoked_at;
  std::string label;
};

// What a version runs with; immutable once stored.
struct VersionConfig {
  std::vector<std::string> env;            // "NAME=VALUE"
  std::optional<uint64_t> fuel;
  std::optional<uint64_t> max_memory;      // bytes
  uint64_t timeout_ms = 10'000;
  std::vector<std::string> allow_hosts;    // outbound "HOST:PORT" patterns
  bool record = true;
  bool is_public = true;                   // false: invoking needs an invoke token
  bool allow_unknown_imports = false;      // imports beyond WASI preview 1 (trap when called)
};

struct Version {
  int64_t number = 0;  // 1, 2, ... per function
  std::string module_hash;  // "sha256:<hex>"
  uint64_t module_size = 0;
  VersionConfig config;
  int64_t created_at = 0;
};

struct Function {
  int64_t id = 0;
  int64_t tenant_id = 0;
  std::string name;
  std::optional<int64_t> live_version;
  int64_t created_at = 0;
};

// One request served by a function (figures as returned in X-Deja-*).
struct Invocation {
  int64_t id = 0;
  int64_t tenant_id = 0;
  std::string function;
  int64_t version = 0;
  std::string run_id;  // the registry's recording; empty when not recorded
  int64_t started_at_ms = 0;
  std::string method;
  std::string path;
  int status = 0;  // HTTP status answered
  std::string outcome;  // session::RunOutcomeName
  uint64_t wall_us = 0;
  uint64_t fuel = 0;
  uint64_t peak_memory = 0;
  uint64_t host_calls = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string error;   // why the status is not the guest's own (timeout, trap, bad CGI output)
  std::string logs;    // the guest's stderr, capped
};

class Store {
 public:
  virtual ~Store() = default;

  // Tenants. CreateTenant fails with kInvalidArgument when the name exists.
  virtual Result<Tenant> CreateTenant(const std::string& name) = 0;
  virtual Result<std::optional<Tenant>> FindTenant(const std::string& name) = 0;
  virtual Result<std::optional<Tenant>> GetTenant(int64_t id) = 0;
  virtual Result<std::vector<Tenant>> ListTenants() = 0;

  // Tokens.
  virtual Result<int64_t> CountTokens() = 0;
  virtual Result<TokenRow> AddToken(TokenRow row) = 0;  // id and created_at filled in
  virtual Result<std::optional<TokenRow>> GetToken(int64_t id) = 0;
  virtual Result<std::vector<TokenRow>> ListTokens(std::optional<int64_t> tenant_id) = 0;
  // False when no such token of that tenant (none: a platform token).
  virtual Result<bool> RevokeToken(std::optional<int64_t> tenant_id, int64_t id, int64_t now) = 0;

  // Functions and versions. AddVersion creates the function on its first
  // version and numbers versions 1, 2, ... in one transaction; with
  // make_live the new version is live when it returns.
  virtual Result<Version> AddVersion(int64_t tenant_id, const std::string& function,
                                     Version version, bool make_live) = 0;
  virtual Result<std::optional<Function>> GetFunction(int64_t tenant_id, const std::string& name) = 0;
  virtual Result<std::vector<Function>> ListFunctions(int64_t tenant_id) = 0;
  virtual Result<std::vector<Version>> ListVersions(int64_t tenant_id, const std::string& function) = 0;
  virtual Result<std::optional<Version>> GetVersion(int64_t tenant_id, const std::string& function,
                                                    int64_t number) = 0;
  // kNotFound naming the function or the version.
  virtual Status SetLive(int64_t tenant_id, const std::string& function, int64_t number) = 0;

  // Invocations.
  virtual Result<int64_t> AddInvocation(const Invocation& invocation) = 0;
  virtual Result<std::optional<Invocation>> GetInvocation(int64_t tenant_id, int64_t id) = 0;
  // Newest first; function empty: all of the tenant's. version 0: any.
  virtual Result<std::vector<Invocation>> ListInvocations(int64_t tenant_id, const std::string& function,
                                                          int64_t version, int limit) = 0;
};

// The SQLite store at <home>/server.db (created, or migrated to the current
// schema version, on open).
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& home);

}  // namespace deja::server
