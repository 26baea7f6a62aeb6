#include "durable/signals.h"

#include <string>

namespace deja::durable {
namespace {

using registry::Statement;
using registry::Transaction;

// taken_key NULL: queued. One table per kind keeps each queue's index small.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS durable_signals (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  instance TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  taken_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS durable_signals_queue ON durable_signals (instance, name, seq);
CREATE TABLE IF NOT EXISTS durable_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  send_key TEXT NOT NULL UNIQUE,
  sender TEXT NOT NULL,
  instance TEXT NOT NULL,
  payload TEXT NOT NULL,
  taken_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS durable_messages_queue ON durable_messages (instance, seq);
CREATE TABLE IF NOT EXISTS durable_request_cursors (
  instance TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  next_request INTEGER NOT NULL,
  PRIMARY KEY (instance, snapshot)
);
)";

}  // namespace

std::string RequestKey(std::string_view instance, u64 request) {
  return std::string(instance) + "/" + std::to_string(request);
}

Result<Mailbox> Mailbox::Open(registry::Database* db) {
  DEJA_TRY(db->Exec(kSchema));
  return Mailbox(db);
}

Status Mailbox::Signal(std::string_view instance, std::string_view name,
                       std::string_view payload) {
  DEJA_ASSIGN_OR_RETURN(Statement st,
                        db_->Prepare("INSERT INTO durable_signals (instance, name, payload) "
                                     "VALUES (?1, ?2, ?3)"));
  return st.Bind(1, instance).Bind(2, name).Bind(3, payload).Run();
}

Result<std::optional<Taken>> Mailbox::Take(const char* table, std::string_view instance,
                                           std::optional<std::string_view> name,
                                           std::string_view key, u32 max_bytes, u32* size) {
  std::string t(table);
  // One transaction: two receivers (there should be one, but a worker may
  // be stale) never take the same row, and a crash takes nothing.
  DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  DEJA_ASSIGN_OR_RETURN(Statement again,
                        db_->Prepare("SELECT seq, payload FROM " + t + " WHERE taken_key = ?1"));
  again.Bind(1, key);
  DEJA_ASSIGN_OR_RETURN(bool done, again.Step());
  if (done) {
    Taken taken{again.Text(1), again.Int(0)};
    *size = static_cast<u32>(taken.payload.size());
    return std::optional<Taken>(std::move(taken));
  }
  std::string sql = "SELECT seq, payload FROM " + t + " WHERE instance = ?1 AND taken_key IS NULL";
  if (name) sql += " AND name = ?2";
  sql += " ORDER BY seq LIMIT 1";
  DEJA_ASSIGN_OR_RETURN(Statement next, db_->Prepare(sql));
  next.Bind(1, instance);
  if (name) next.Bind(2, *name);
  DEJA_ASSIGN_OR_RETURN(bool found, next.Step());
  if (!found) return std::optional<Taken>();
  Taken taken{next.Text(1), next.Int(0)};
  *size = static_cast<u32>(taken.payload.size());
  if (taken.payload.size() > max_bytes) return std::optional<Taken>(std::move(taken));
  DEJA_ASSIGN_OR_RETURN(Statement mark,
                        db_->Prepare("UPDATE " + t + " SET taken_key = ?1 WHERE seq = ?2"));
  DEJA_TRY(mark.Bind(1, key).Bind(2, taken.seq).Run());
  DEJA_TRY(tx.Commit());
  return std::optional<Taken>(std::move(taken));
}

Result<std::optional<Taken>> Mailbox::TakeSignal(std::string_view instance, std::string_view name,
                                                 std::string_view key, u32 max_bytes, u32* size) {
  return Take("durable_signals", instance, name, key, max_bytes, size);
}

Result<std::optional<Taken>> Mailbox::TakeMessage(std::string_view instance, std::string_view key,
                                                  u32 max_bytes, u32* size) {
  return Take("durable_messages", instance, std::nullopt, key, max_bytes, size);
}

Result<i64> Mailbox::PendingSignals(std::string_view instance, std::string_view name) {
  std::string sql =
      "SELECT count(*) FROM durable_signals WHERE instance = ?1 AND taken_key IS NULL";
  if (!name.empty()) sql += " AND name = ?2";
  DEJA_ASSIGN_OR_RETURN(Statement st, db_->Prepare(sql));
  st.Bind(1, instance);
  if (!name.empty()) st.Bind(2, name);
  DEJA_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Status Mailbox::Send(std::string_view key, std::string_view sender, std::string_view target,
                     std::string_view payload, bool* stored) {
  DEJA_ASSIGN_OR_RETURN(Statement st,
                        db_->Prepare("INSERT INTO durable_messages (send_key, sender, instance, "
                                     "payload) VALUES (?1, ?2, ?3, ?4) "
                                     "ON CONFLICT (send_key) DO NOTHING"));
  DEJA_TRY(st.Bind(1, key).Bind(2, sender).Bind(3, target).Bind(4, payload).Run());
  if (stored != nullptr) *stored = db_->Changes() == 1;
  return {};
}

Result<i64> Mailbox::PendingMessages(std::string_view instance) {
  DEJA_ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT count(*) FROM durable_messages WHERE "
                                                   "instance = ?1 AND taken_key IS NULL"));
  st.Bind(1, instance);
  DEJA_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Result<i64> Mailbox::MessageRows(std::string_view target) {
  DEJA_ASSIGN_OR_RETURN(Statement st,
                        db_->Prepare("SELECT count(*) FROM durable_messages WHERE instance = ?1"));
  st.Bind(1, target);
  DEJA_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Status Mailbox::SaveCursor(std::string_view instance, std::string_view snapshot,
                           u64 next_request) {
  DEJA_ASSIGN_OR_RETURN(Statement st, db_->Prepare("INSERT OR REPLACE INTO durable_request_cursors "
                                                   "(instance, snapshot, next_request) VALUES "
                                                   "(?1, ?2, ?3)"));
  return st.Bind(1, instance).Bind(2, snapshot).Bind(3, static_cast<i64>(next_request)).Run();
}

Result<u64> Mailbox::LoadCursor(std::string_view instance, std::string_view snapshot) {
  if (snapshot.empty()) return u64{0};
  DEJA_ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT next_request FROM "
                                                   "durable_request_cursors WHERE instance = ?1 "
                                                   "AND snapshot = ?2"));
  st.Bind(1, instance).Bind(2, snapshot);
  DEJA_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<u64>(st.Int(0)) : u64{0};
}

}  // namespace deja::durable
