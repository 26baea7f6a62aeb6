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

// Instances in a map; a child "ends" when a test calls End. create_failures
// makes the next CreateChild calls fail, as a worker killed after the row
// and before the instance would leave it.
class MapLauncher : public ChildLauncher {
 public:
  Status CreateChild(const ChildRequest& req) override {
    ++create_calls;
    if (create_failures > 0) {
      --create_failures;
      return Status::IoError("launcher: killed before the instance was created");
    }
    if (req.module == "missing") return Status::NotFound("module missing");
    if (!created.count(req.id)) created[req.id] = req;
    return {};
  }
  Result<std::optional<ChildEnd>> ChildEnded(std::string_view id) override {
    auto it = ended.find(std::string(id));
    if (it == ended.end()) return std::optional<ChildEnd>();
    return std::optional<ChildEnd>(it->second);
  }
  Result<bool> Exists(std::string_view id) override {
    return created.count(std::string(id)) > 0 || others.count(std::string(id)) > 0;
  }
  void End(const std::string& id, i32 status, std::string out) {
    ended[id] = ChildEnd{status, std::move(out)};
  }

  std::map<std::string, ChildRequest> created;
  std::map<std::string, ChildEnd> ended;
  std::map<std::string, bool> others;  // instances that are no children
  int create_calls = 0;
  int create_failures = 0;
};

}  // namespace deja::durable::testing
