// The SQLite instance store: $DEJA_HOME/durable.db (WAL), its own file so a
// busy worker never holds the registry's index. Schema in docs/DURABLE.md;
// meta.schema_version says which. Every change is one BEGIN IMMEDIATE
// transaction, leases are taken and released inside it (lease.h).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <random>

#include "durable/instance_store.h"
#include "durable/lease.h"
#include "registry/database.h"

namespace deja::durable {
namespace {

using registry::Database;
using registry::Statement;
using registry::Transaction;

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS instances(
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  name TEXT NOT NULL,
  module TEXT NOT NULL,
  spec TEXT NOT NULL,
  parent TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT UNIQUE,
  wait TEXT NOT NULL DEFAULT '',
  wake_ns INTEGER,
  snapshot TEXT NOT NULL DEFAULT '',
  created_ns INTEGER NOT NULL,
  updated_ns INTEGER NOT NULL,
  exit_status INTEGER,
  error TEXT NOT NULL DEFAULT '',
  fuel INTEGER NOT NULL DEFAULT 0,
  host_calls INTEGER NOT NULL DEFAULT 0,
  monotonic_floor_ns INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  worker TEXT NOT NULL DEFAULT '',
  parking_wait TEXT NOT NULL DEFAULT '',
  parking_snapshot TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS instances_by_state ON instances(state, wake_ns);
CREATE TABLE IF NOT EXISTS segments(
  instance TEXT NOT NULL,
  idx INTEGER NOT NULL,
  run_id TEXT NOT NULL DEFAULT '',
  snapshot TEXT NOT NULL DEFAULT '',
  end_kind TEXT NOT NULL DEFAULT '',
  fuel INTEGER NOT NULL DEFAULT 0,
  host_calls INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(instance, idx)
);
)sql";

constexpr const char* kColumns =
    "id, state, name, module, spec, parent, wait, snapshot, created_ns, updated_ns, exit_status, "
    "error, fuel, host_calls, monotonic_floor_ns, cancel_requested, worker, parking_wait, "
    "parking_snapshot, (SELECT count(*) FROM segments WHERE segments.instance = instances.id)";

int64_t WallNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewId() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  uint64_t v = dist(rd);
  char buf[32];
  std::snprintf(buf, sizeof buf, "i-%012llx",
                static_cast<unsigned long long>(v & 0xffffffffffffULL));
  return buf;
}

// The row plus what only the store needs (a park under way).
struct Row {
  Instance inst;
  std::string parking_wait;
  std::string parking_snapshot;
};

Result<Row> ReadRow(const Statement& st) {
  Row row;
  Instance& i = row.inst;
  i.id = st.Text(0);
  std::optional<State> state = ParseState(st.Text(1));
  if (!state) return Status::IoError("instance " + i.id + ": unknown state " + st.Text(1));
  i.state = *state;
  i.name = st.Text(2);
  i.module = st.Text(3);
  i.spec_json = st.Text(4);
  i.parent = st.Text(5);
  DEJA_ASSIGN_OR_RETURN(i.wait, DecodeWait(st.Text(6)));
  i.snapshot = st.Text(7);
  i.created_ns = st.Int(8);
  i.updated_ns = st.Int(9);
  if (!st.IsNull(10)) i.exit_status = static_cast<int>(st.Int(10));
  i.error = st.Text(11);
  i.fuel = static_cast<uint64_t>(st.Int(12));
  i.host_calls = static_cast<uint64_t>(st.Int(13));
  i.monotonic_floor_ns = static_cast<uint64_t>(st.Int(14));
  i.cancel_requested = st.Int(15) != 0;
  i.worker = st.Text(16);
  row.parking_wait = st.Text(17);
  row.parking_snapshot = st.Text(18);
  i.segment_count = static_cast<uint32_t>(st.Int(19));
  return row;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

class SqliteStore : public InstanceStore {
 public:
  SqliteStore(std::unique_ptr<Database> db, std::string lease_dir)
      : db_(std::move(db)), lease_dir_(std::move(lease_dir)) {}

  Status Init() {
    DEJA_TRY(db_->Exec("PRAGMA journal_mode=WAL"));
    DEJA_TRY(db_->Exec("PRAGMA synchronous=NORMAL"));
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_TRY(db_->Exec(kSchema));
    DEJA_ASSIGN_OR_RETURN(Statement get,
                          db_->Prepare("SELECT value FROM meta WHERE key='schema_version'"));
    DEJA_ASSIGN_OR_RETURN(bool has, get.Step());
    if (has) {
      std::string v = get.Text(0);
      if (v != std::to_string(kSchemaVersion)) {
        return Status::IoError("database " + db_->path() + ": schema version " + v +
                               ", this deja reads version " + std::to_string(kSchemaVersion));
      }
    } else {
      DEJA_ASSIGN_OR_RETURN(Statement put,
                            db_->Prepare("INSERT INTO meta(key, value) VALUES('schema_version', ?1)"));
      put.Bind(1, std::to_string(kSchemaVersion));
      DEJA_TRY(put.Run());
    }
    return tx.Commit();
  }

  Result<std::string> Create(const NewInstance& n) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    if (!n.idempotency_key.empty()) {
      DEJA_ASSIGN_OR_RETURN(Statement q,
                            db_->Prepare("SELECT id FROM instances WHERE idempotency_key=?1"));
      q.Bind(1, n.idempotency_key);
      DEJA_ASSIGN_OR_RETURN(bool found, q.Step());
      if (found) return q.Text(0);
    }
    std::string id = NewId();
    int64_t now = WallNow();
    DEJA_ASSIGN_OR_RETURN(
        Statement ins,
        db_->Prepare("INSERT INTO instances(id, state, name, module, spec, parent, "
                     "idempotency_key, created_ns, updated_ns) "
                     "VALUES(?1, 'pending', ?2, ?3, ?4, ?5, ?6, ?7, ?7)"));
    ins.Bind(1, id).Bind(2, n.name).Bind(3, n.module).Bind(4, n.spec_json).Bind(5, n.parent);
    if (n.idempotency_key.empty()) {
      ins.BindNull(6);
    } else {
      ins.Bind(6, n.idempotency_key);
    }
    ins.Bind(7, now);
    DEJA_TRY(ins.Run());
    DEJA_TRY(tx.Commit());
    return id;
  }

  Result<Instance> Get(const std::string& id_or_prefix) override {
    if (id_or_prefix.empty()) return Status::InvalidArgument("no instance id given");
    DEJA_ASSIGN_OR_RETURN(
        Statement q, db_->Prepare(std::string("SELECT ") + kColumns +
                                  " FROM instances WHERE id=?1 OR substr(id,1,length(?1))=?1 "
                                  "OR substr(id,3,length(?1))=?1 LIMIT 2"));
    q.Bind(1, id_or_prefix);
    DEJA_ASSIGN_OR_RETURN(bool found, q.Step());
    if (!found) return Status::NotFound("no durable instance " + id_or_prefix);
    DEJA_ASSIGN_OR_RETURN(Row row, ReadRow(q));
    DEJA_ASSIGN_OR_RETURN(bool more, q.Step());
    if (more && row.inst.id != id_or_prefix) {
      return Status::InvalidArgument("instance id prefix " + id_or_prefix +
                                     " is ambiguous: give more digits");
    }
    DEJA_ASSIGN_OR_RETURN(
        Statement s, db_->Prepare("SELECT idx, run_id, snapshot, end_kind, fuel, host_calls "
                                  "FROM segments WHERE instance=?1 ORDER BY idx"));
    s.Bind(1, row.inst.id);
    for (;;) {
      DEJA_ASSIGN_OR_RETURN(bool has, s.Step());
      if (!has) break;
      Segment seg;
      seg.index = static_cast<uint32_t>(s.Int(0));
      seg.run_id = s.Text(1);
      seg.snapshot = s.Text(2);
      seg.end = s.Text(3);
      seg.fuel = static_cast<uint64_t>(s.Int(4));
      seg.host_calls = static_cast<uint64_t>(s.Int(5));
      row.inst.segments.push_back(std::move(seg));
    }
    return std::move(row.inst);
  }

  Result<std::vector<Instance>> List() override {
    DEJA_ASSIGN_OR_RETURN(
        Statement q, db_->Prepare(std::string("SELECT ") + kColumns +
                                  " FROM instances ORDER BY created_ns, id"));
    std::vector<Instance> out;
    for (;;) {
      DEJA_ASSIGN_OR_RETURN(bool has, q.Step());
      if (!has) break;
      DEJA_ASSIGN_OR_RETURN(Row row, ReadRow(q));
      out.push_back(std::move(row.inst));
    }
    return out;
  }

  Result<std::optional<Claim>> ClaimNext(int64_t now_ns, const std::string& worker) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    // Runnable first, then rows that say running (recovered only when their
    // lease is dead, which costs a lock attempt each).
    DEJA_ASSIGN_OR_RETURN(
        Statement q,
        db_->Prepare(std::string("SELECT ") + kColumns +
                     " FROM instances WHERE state='pending' OR (state='sleeping' AND wake_ns<=?1) "
                     "OR state='running' ORDER BY state='running', wake_ns, created_ns LIMIT 256"));
    q.Bind(1, now_ns);
    std::vector<Row> rows;
    for (;;) {
      DEJA_ASSIGN_OR_RETURN(bool has, q.Step());
      if (!has) break;
      DEJA_ASSIGN_OR_RETURN(Row row, ReadRow(q));
      rows.push_back(std::move(row));
    }
    for (Row& row : rows) {
      DEJA_ASSIGN_OR_RETURN(std::unique_ptr<FileLease> lease,
                            FileLease::TryAcquire(lease_dir_, row.inst.id));
      if (!lease) continue;  // a live worker has it
      bool recovered = row.inst.state == State::kRunning;
      if (recovered && !row.parking_snapshot.empty() && FileExists(row.parking_snapshot)) {
        // Died after the park's snapshot was complete, before Park: the park
        // stands (docs/DURABLE.md, crash matrix).
        DEJA_ASSIGN_OR_RETURN(WaitCondition wait, DecodeWait(row.parking_wait));
        row.inst.snapshot = row.parking_snapshot;
        row.inst.wait = wait;
        DEJA_TRY(SetParked(row.inst.id, wait, row.parking_snapshot, now_ns));
        if (!wait.Empty() && (!wait.until_ns || *wait.until_ns > now_ns)) {
          lease->Release();
          continue;
        }
      }
      DEJA_ASSIGN_OR_RETURN(Statement up,
                            db_->Prepare("UPDATE instances SET state='running', worker=?2, "
                                         "updated_ns=?3, parking_wait='', parking_snapshot='' "
                                         "WHERE id=?1"));
      up.Bind(1, row.inst.id).Bind(2, worker).Bind(3, WallNow());
      DEJA_TRY(up.Run());
      DEJA_TRY(tx.Commit());
      Claim claim;
      row.inst.state = State::kRunning;
      row.inst.worker = worker;
      claim.instance = std::move(row.inst);
      claim.lease = std::move(lease);
      claim.recovered = recovered;
      DEJA_ASSIGN_OR_RETURN(claim.instance.segments, Segments(claim.instance.id));
      return std::optional<Claim>(std::move(claim));
    }
    DEJA_TRY(tx.Commit());
    return std::optional<Claim>();
  }

  Result<std::optional<int64_t>> NextWake() override {
    DEJA_ASSIGN_OR_RETURN(Statement q,
                          db_->Prepare("SELECT min(wake_ns) FROM instances WHERE state='sleeping'"));
    DEJA_ASSIGN_OR_RETURN(bool has, q.Step());
    if (!has || q.IsNull(0)) return std::optional<int64_t>();
    return std::optional<int64_t>(q.Int(0));
  }

  Status PreparePark(const Claim& claim, const WaitCondition& wait,
                     const std::string& snapshot) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_ASSIGN_OR_RETURN(Statement up,
                          db_->Prepare("UPDATE instances SET parking_wait=?2, parking_snapshot=?3, "
                                       "updated_ns=?4 WHERE id=?1"));
    up.Bind(1, claim.instance.id).Bind(2, EncodeWait(wait)).Bind(3, snapshot).Bind(4, WallNow());
    DEJA_TRY(up.Run());
    return tx.Commit();
  }

  Status Park(Claim& claim, const SegmentEnd& end, const WaitCondition& wait) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_TRY(PutSegment(claim.instance.id, end.segment));
    DEJA_TRY(AddFigures(claim.instance.id, end));
    DEJA_TRY(SetParked(claim.instance.id, wait, end.next_snapshot, WallNow()));
    Release(claim);
    return tx.Commit();
  }

  Status Finish(Claim& claim, const SegmentEnd& end, State state, int exit_status,
                const std::string& error) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_TRY(PutSegment(claim.instance.id, end.segment));
    DEJA_TRY(AddFigures(claim.instance.id, end));
    DEJA_ASSIGN_OR_RETURN(
        Statement up,
        db_->Prepare("UPDATE instances SET state=?2, exit_status=?3, error=?4, wait='', "
                     "wake_ns=NULL, parking_wait='', parking_snapshot='', worker='', "
                     "updated_ns=?5 WHERE id=?1"));
    up.Bind(1, claim.instance.id).Bind(2, StateName(state)).Bind(3, exit_status).Bind(4, error);
    up.Bind(5, WallNow());
    DEJA_TRY(up.Run());
    Release(claim);
    return tx.Commit();
  }

  Status NoteSegmentStart(const Claim& claim, const Segment& segment) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_TRY(PutSegment(claim.instance.id, segment));
    return tx.Commit();
  }

  Result<bool> MarkRunnable(const std::string& id) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_ASSIGN_OR_RETURN(
        Statement up, db_->Prepare("UPDATE instances SET state='pending', wake_ns=NULL, "
                                   "updated_ns=?2 WHERE id=?1 AND state IN ('sleeping','waiting')"));
    up.Bind(1, id).Bind(2, WallNow());
    DEJA_TRY(up.Run());
    bool changed = db_->Changes() > 0;
    DEJA_TRY(tx.Commit());
    return changed;
  }

  Result<bool> Cancel(const std::string& id) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_ASSIGN_OR_RETURN(Statement now,
                          db_->Prepare("UPDATE instances SET state='cancelled', exit_status=?2, "
                                       "error='cancelled', wake_ns=NULL, cancel_requested=1, "
                                       "updated_ns=?3 WHERE id=?1 AND state IN "
                                       "('pending','sleeping','waiting')"));
    now.Bind(1, id).Bind(2, kCancelledStatus).Bind(3, WallNow());
    DEJA_TRY(now.Run());
    bool changed = db_->Changes() > 0;
    if (!changed) {
      DEJA_ASSIGN_OR_RETURN(Statement mark,
                            db_->Prepare("UPDATE instances SET cancel_requested=1, updated_ns=?2 "
                                         "WHERE id=?1 AND state='running'"));
      mark.Bind(1, id).Bind(2, WallNow());
      DEJA_TRY(mark.Run());
      changed = db_->Changes() > 0;
    }
    DEJA_TRY(tx.Commit());
    return changed;
  }

  Result<bool> CancelRequested(const std::string& id) override {
    DEJA_ASSIGN_OR_RETURN(Statement q,
                          db_->Prepare("SELECT cancel_requested FROM instances WHERE id=?1"));
    q.Bind(1, id);
    DEJA_ASSIGN_OR_RETURN(bool has, q.Step());
    return has && q.Int(0) != 0;
  }

  Result<int64_t> ClockOffset() override {
    DEJA_ASSIGN_OR_RETURN(Statement q,
                          db_->Prepare("SELECT value FROM meta WHERE key='clock_offset_ns'"));
    DEJA_ASSIGN_OR_RETURN(bool has, q.Step());
    if (!has) return int64_t{0};
    return static_cast<int64_t>(std::stoll(q.Text(0)));
  }

  Status SetClockOffset(int64_t offset_ns) override {
    DEJA_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_.get()));
    DEJA_ASSIGN_OR_RETURN(
        Statement up,
        db_->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('clock_offset_ns', ?1)"));
    up.Bind(1, std::to_string(offset_ns));
    DEJA_TRY(up.Run());
    return tx.Commit();
  }

 private:
  Result<std::vector<Segment>> Segments(const std::string& id) {
    std::vector<Segment> out;
    DEJA_ASSIGN_OR_RETURN(
        Statement s, db_->Prepare("SELECT idx, run_id, snapshot, end_kind, fuel, host_calls "
                                  "FROM segments WHERE instance=?1 ORDER BY idx"));
    s.Bind(1, id);
    for (;;) {
      DEJA_ASSIGN_OR_RETURN(bool has, s.Step());
      if (!has) break;
      Segment seg;
      seg.index = static_cast<uint32_t>(s.Int(0));
      seg.run_id = s.Text(1);
      seg.snapshot = s.Text(2);
      seg.end = s.Text(3);
      seg.fuel = static_cast<uint64_t>(s.Int(4));
      seg.host_calls = static_cast<uint64_t>(s.Int(5));
      out.push_back(std::move(seg));
    }
    return out;
  }

  Status PutSegment(const std::string& id, const Segment& seg) {
    DEJA_ASSIGN_OR_RETURN(
        Statement up,
        db_->Prepare("INSERT OR REPLACE INTO segments(instance, idx, run_id, snapshot, end_kind, "
                     "fuel, host_calls) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    up.Bind(1, id).Bind(2, static_cast<i64>(seg.index)).Bind(3, seg.run_id).Bind(4, seg.snapshot);
    up.Bind(5, seg.end).Bind(6, static_cast<i64>(seg.fuel)).Bind(7, static_cast<i64>(seg.host_calls));
    return up.Run();
  }

  Status AddFigures(const std::string& id, const SegmentEnd& end) {
    DEJA_ASSIGN_OR_RETURN(
        Statement up,
        db_->Prepare("UPDATE instances SET fuel=?2, host_calls=host_calls+?3, "
                     "monotonic_floor_ns=max(monotonic_floor_ns, ?4) WHERE id=?1"));
    // A resumed run's fuel counts the snapshot's share: the latest is the total.
    up.Bind(1, id).Bind(2, static_cast<i64>(end.segment.fuel));
    up.Bind(3, static_cast<i64>(end.segment.host_calls));
    up.Bind(4, static_cast<i64>(end.monotonic_floor_ns));
    return up.Run();
  }

  Status SetParked(const std::string& id, const WaitCondition& wait, const std::string& snapshot,
                   int64_t now_ns) {
    const char* state = wait.Empty()                                     ? "pending"
                        : (wait.signal.empty() && wait.children.empty()) ? "sleeping"
                                                                         : "waiting";
    DEJA_ASSIGN_OR_RETURN(
        Statement up,
        db_->Prepare("UPDATE instances SET state=?2, wait=?3, wake_ns=?4, snapshot=?5, "
                     "parking_wait='', parking_snapshot='', worker='', updated_ns=?6 WHERE id=?1"));
    up.Bind(1, id).Bind(2, state).Bind(3, EncodeWait(wait));
    if (wait.until_ns) {
      up.Bind(4, *wait.until_ns);
    } else {
      up.BindNull(4);
    }
    up.Bind(5, snapshot).Bind(6, now_ns);
    return up.Run();
  }

  void Release(Claim& claim) {
    if (auto* lease = dynamic_cast<FileLease*>(claim.lease.get())) lease->Release();
    claim.lease.reset();
  }

  std::unique_ptr<Database> db_;
  std::string lease_dir_;
};

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return Status();
  return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<InstanceStore>> OpenSqliteStore(const std::string& home) {
  DEJA_TRY(MakeDir(home));
  DEJA_TRY(MakeDir(home + "/durable"));
  DEJA_TRY(MakeDir(home + "/durable/leases"));
  DEJA_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(home + "/durable.db"));
  auto store = std::make_unique<SqliteStore>(std::move(db), home + "/durable/leases");
  DEJA_TRY(store->Init());
  return std::unique_ptr<InstanceStore>(std::move(store));
}

}  // namespace deja::durable
