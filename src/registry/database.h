// A thin RAII layer over SQLite for the registry's index: one connection,
// prepared statements, and transactions. Every error names the database file
// ("database <path>: ..."), as a damaged or locked database is something a
// user has to go and look at.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/types.h"
#include "deja/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace deja::registry {

class Statement;

class Database {
 public:
  // Waits this long for another process's write lock before failing.
  static constexpr int kBusyTimeoutMs = 10000;

  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }
  // Runs statements that return no rows.
  Status Exec(const char* sql);
  Result<Statement> Prepare(std::string_view sql);
  // The rows the last INSERT/UPDATE/DELETE changed.
  int Changes() const;
  // "database <path>: <what>: <sqlite's message>"
  Status Error(std::string_view what) const;

 private:
  Database(sqlite3* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  sqlite3* handle_;
  std::string path_;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQL's ?1.
  Statement& Bind(int index, i64 value);
  Statement& Bind(int index, std::string_view value);
  Statement& BindNull(int index);
  // True when a row is ready; false when the statement is done.
  Result<bool> Step();
  // Steps a statement that returns no rows.
  Status Run();

  bool IsNull(int column) const;
  i64 Int(int column) const;
  std::string Text(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Database* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE (takes the write lock up front, so two writers wait on
// busy_timeout instead of one failing with SQLITE_BUSY on upgrade); rolls
// back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Database* db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace deja::registry
