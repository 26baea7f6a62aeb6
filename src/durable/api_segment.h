// What the worker needs to serve module "deja" to one segment of an
// instance: the ApiHost over this home's mailbox and children tables, and a
// ChildLauncher over the instance store. The worker calls, in order:
// Open (before session::Run; host() goes into RunSpec::durable),
// Suspended (the segment ended suspended, before InstanceStore::Park),
// AfterPark (after Park), and WakeParent when an instance ends.
#pragma once

#include <memory>
#include <string>

#include "durable/api_host.h"
#include "durable/instance_store.h"
#include "registry/database.h"

namespace deja::durable {

// Child instances in the InstanceStore. A module is named by its content
// hash ("sha256:<hex>", a module in the registry: any module that was ever
// run or started) or by name (the name `deja ps` shows of an instance
// started from it: the newest such instance's module).
class StoreLauncher : public ChildLauncher {
 public:
  StoreLauncher(std::string home, InstanceStore* store) : home_(std::move(home)), store_(store) {}
  Result<std::string> CreateChild(const ChildRequest& req) override;
  Result<std::optional<ChildEnd>> ChildEnded(std::string_view id) override;
  Result<std::string> ChildStdout(std::string_view id, u64 max_bytes) override;
  Result<bool> Exists(std::string_view id) override;
  Status Wake(std::string_view id) override;

 private:
  Result<std::string> ModuleFile(const std::string& ref);
  std::string home_;
  InstanceStore* store_;
};

class ApiSegment {
 public:
  // `park` is the segment's park request (park.h); `snapshot` the one the
  // segment resumes from (empty: the module); `snapshot_to` where its own
  // snapshot will go.
  static Result<std::unique_ptr<ApiSegment>> Open(const std::string& home, InstanceStore* store,
                                                  const Instance& instance,
                                                  std::string snapshot_to, ParkRequest* park);
  wasi::DurableHost* host() { return host_.get(); }
  ApiHost& api() { return *host_; }

  // How many request numbers the calls recorded in run `run_id` used
  // (signal_take, spawn, send, recv: one each), for a segment continuing it.
  static Result<u64> RequestsIn(const std::string& home, const std::string& run_id);
  // The segment ended suspended into snapshot_to: the request cursor is
  // saved under it (before it becomes the instance's snapshot).
  Status Suspended();
  // After the instance was parked: a signal, message or child end that came
  // while it was still running woke nothing; if its condition holds now it
  // is made runnable.
  Status AfterPark();
  // `instance` ended: its parent (if any) may be waiting for it.
  static Status WakeParent(InstanceStore* store, const Instance& instance);

 private:
  ApiSegment() = default;
  std::string instance_;
  std::string snapshot_to_;
  InstanceStore* store_ = nullptr;
  std::unique_ptr<registry::Database> db_;
  std::optional<Mailbox> mailbox_;
  std::optional<Children> children_;
  std::unique_ptr<StoreLauncher> launcher_;
  std::unique_ptr<ApiHost> host_;
};

}  // namespace deja::durable
