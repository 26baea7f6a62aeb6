// An instance's lease: an exclusive flock(2) on
// $DEJA_HOME/durable/leases/<id>.lock, held by the worker running it. The
// kernel drops it when the holder dies, however it dies, so "someone runs
// this instance" never depends on a pid. Taken and released only inside a
// store transaction (which serializes them), so unlinking the file on
// release cannot race another process opening it.
#pragma once

#include <memory>
#include <string>

#include "deja/status.h"
#include "durable/instance_store.h"

namespace deja::durable {

class FileLease : public Lease {
 public:
  // nullptr when another open file holds it (a live worker).
  static Result<std::unique_ptr<FileLease>> TryAcquire(const std::string& dir,
                                                       const std::string& id);
  ~FileLease() override;
  const std::string& instance_id() const override { return id_; }
  // Unlinks the file and drops the lock.
  void Release();

 private:
  FileLease(int fd, std::string path, std::string id)
      : fd_(fd), path_(std::move(path)), id_(std::move(id)) {}
  int fd_;
  std::string path_;
  std::string id_;
};

}  // namespace deja::durable
