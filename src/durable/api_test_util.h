// A throwaway SQLite database for the durable layer's store tests, and an
// in-memory ChildLauncher that counts what it was asked to create.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "durable/children.h"
#include "registry/database.h"

namespace deja::durable::testing {

class TempDb {
 public:
  TempDb() {
    char tmpl[] = "/tmp/deja_durable_XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto db = registry::Database::Open(dir_ + "/deja.db");
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (db.ok()) db_ = std::move(*db);
  }
  ~TempDb() {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  registry::Database* get() { return db_.get(); }
  const std::string& path() const { return dir_; }
  // A second connection to the same file, as another process would have.
  std::unique_ptr<registry::Database> Reopen() {
    auto db = registry::Database::Open(dir_ + "/deja.db");
    EXPECT_TRUE(db.ok());
    return db.ok() ? std::move(*db) : nullptr;
  }

 private:
  std::string dir_;
  std::unique_ptr<registry::Database> db_;
};

// Instances in maps, created once per idempotency key as the instance store
// does; a child "ends" when a test calls End. create_failures makes the next
// CreateChild calls fail, as a worker killed after the row and before the
// instance would leave it.
class MapLauncher : public ChildLauncher {
 public:
  Result<std::string> CreateChild(const ChildRequest& req) override {
    ++create_calls;
    if (create_failures > 0) {
      --create_failures;
      return Status::IoError("launcher: killed before the instance was created");
    }
    if (req.module == "missing") return Status::NotFound("module missing");
    auto it = by_key.find(req.key);
    if (it != by_key.end()) return it->second;
    std::string id = "child" + std::to_string(created.size());
    by_key[req.key] = id;
    created[id] = req;
    return id;
  }
  Result<std::optional<ChildEnd>> ChildEnded(std::string_view id) override {
    auto it = ended.find(std::string(id));
    if (it == ended.end()) return std::optional<ChildEnd>();
    return std::optional<ChildEnd>(ChildEnd{it->second.status, ""});
  }
  Result<std::string> ChildStdout(std::string_view id, u64 max_bytes) override {
    std::string out = ended[std::string(id)].output;
    return out.substr(0, max_bytes);
  }
  Result<bool> Exists(std::string_view id) override {
    return created.count(std::string(id)) > 0 || others.count(std::string(id)) > 0;
  }
  Status Wake(std::string_view id) override {
    ++woken[std::string(id)];
    return {};
  }
  void End(const std::string& id, i32 status, std::string out) {
    ended[id] = ChildEnd{status, std::move(out)};
  }

  std::map<std::string, ChildRequest> created;  // by child id
  std::map<std::string, std::string> by_key;     // idempotency key -> child id
  std::map<std::string, int> woken;
  std::map<std::string, ChildEnd> ended;
  std::map<std::string, bool> others;  // instances that are no children
  int create_calls = 0;
  int create_failures = 0;
};

}  // namespace deja::durable::testing
