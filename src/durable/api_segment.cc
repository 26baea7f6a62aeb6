#include "durable/api_segment.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable/spec_codec.h"
#include "registry/registry.h"
#include "timemachine/log.h"

namespace deja::durable {
namespace {

// Writes `bytes` to `path` unless a file is there (a temporary file renamed
// into place, so a reader never sees half a module).
Status WriteOnce(const std::string& path, std::span<const u8> bytes) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return {};
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IoError("cannot write " + tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IoError("cannot write " + path);
  }
  return {};
}

}  // namespace

Result<std::string> StoreLauncher::ModuleFile(const std::string& ref) {
  if (ref.rfind("sha256:", 0) == 0) {
    DEJA_ASSIGN_OR_RETURN(std::unique_ptr<registry::Registry> reg, registry::Registry::Open(home_));
    Result<std::vector<u8>> bytes = reg->GetModule(ref);
    if (!bytes.ok() && bytes.status().code() == Status::Code::kInvalidArgument) {
      return Status::NotFound(std::string(bytes.status().message()));
    }
    if (!bytes.ok()) return bytes.status();
    std::string dir = home_ + "/durable/modules";
    ::mkdir((home_ + "/durable").c_str(), 0700);
    ::mkdir(dir.c_str(), 0700);
    std::string path = dir + "/" + ref.substr(7) + ".wasm";
    DEJA_TRY(WriteOnce(path, *bytes));
    return path;
  }
  // By name: the module of the newest instance started under that name.
  DEJA_ASSIGN_OR_RETURN(std::vector<Instance> all, store_->List());
  const Instance* newest = nullptr;
  for (const Instance& i : all) {
    if (i.name == ref && (newest == nullptr || i.created_ns >= newest->created_ns)) newest = &i;
  }
  if (newest == nullptr) {
    return Status::NotFound("no module \"" + ref +
                            "\": neither a registry hash (sha256:...) nor the name of a "
                            "started instance");
  }
  return newest->module;
}

Result<std::string> StoreLauncher::CreateChild(const ChildRequest& req) {
  NewInstance n;
  n.parent = req.parent;
  n.idempotency_key = req.key;
  DEJA_ASSIGN_OR_RETURN(n.module, ModuleFile(req.module));
  n.name = req.module.rfind("sha256:", 0) == 0 ? req.module.substr(0, 19) : req.module;
  session::RunSpec spec;
  spec.args = req.argv;
  if (!req.input.empty()) {
    spec.stdin_stream.kind = StdioKind::kBuffer;
    spec.stdin_stream.input = req.input;
  }
  n.spec_json = EncodeSpec(spec);
  return store_->Create(n);
}

Result<std::optional<ChildEnd>> StoreLauncher::ChildEnded(std::string_view id) {
  DEJA_ASSIGN_OR_RETURN(Instance inst, store_->Get(std::string(id)));
  if (!IsFinal(inst.state)) return std::optional<ChildEnd>();
  return std::optional<ChildEnd>(ChildEnd{inst.exit_status.value_or(-1), ""});
}

Result<std::string> StoreLauncher::ChildStdout(std::string_view id, u64 max_bytes) {
  DEJA_ASSIGN_OR_RETURN(Instance inst, store_->Get(std::string(id)));
  DEJA_ASSIGN_OR_RETURN(std::unique_ptr<registry::Registry> reg, registry::Registry::Open(home_));
  std::string out;
  for (const Segment& seg : inst.segments) {
    // As `deja logs`: a killed segment's output is made again by the next
    // one (its log continued), so it is not counted twice.
    if (seg.run_id.empty() || seg.end == "killed") continue;
    DEJA_ASSIGN_OR_RETURN(std::unique_ptr<tm::LogReader> log,
                          tm::LogReader::Open(reg->LogPath(seg.run_id)));
    tm::CallRecord rec;
    while (true) {
      DEJA_ASSIGN_OR_RETURN(bool more, log->Next(&rec));
      if (!more) break;
      for (const tm::Output& o : rec.outputs) {
        if (o.stream != 1) continue;
        std::span<const u8> b = rec.Bytes(o);
        size_t room = max_bytes - out.size();
        out.append(reinterpret_cast<const char*>(b.data()), std::min<size_t>(b.size(), room));
        if (out.size() >= max_bytes) return out;
      }
    }
  }
  return out;
}

Result<bool> StoreLauncher::Exists(std::string_view id) {
  Result<Instance> inst = store_->Get(std::string(id));
  if (inst.ok()) return true;
  if (inst.status().code() == Status::Code::kNotFound) return false;
  return inst.status();
}

Status StoreLauncher::Wake(std::string_view id) {
  Result<bool> woken = store_->MarkRunnable(std::string(id));
  return woken.ok() ? Status() : woken.status();
}

Result<std::unique_ptr<ApiSegment>> ApiSegment::Open(const std::string& home,
                                                     InstanceStore* store,
                                                     const Instance& instance,
                                                     std::string snapshot_to,
                                                     ParkRequest* park) {
  std::unique_ptr<ApiSegment> seg(new ApiSegment());
  seg->instance_ = instance.id;
  seg->snapshot_to_ = std::move(snapshot_to);
  seg->store_ = store;
  DEJA_ASSIGN_OR_RETURN(seg->db_, registry::Database::Open(home + "/durable.db"));
  DEJA_ASSIGN_OR_RETURN(Mailbox mailbox, Mailbox::Open(seg->db_.get()));
  seg->mailbox_.emplace(mailbox);
  DEJA_ASSIGN_OR_RETURN(Children children, Children::Open(seg->db_.get()));
  seg->children_.emplace(children);
  seg->launcher_ = std::make_unique<StoreLauncher>(home, store);
  DEJA_ASSIGN_OR_RETURN(u64 first, seg->mailbox_->LoadCursor(instance.id, instance.snapshot));
  seg->host_ = std::make_unique<ApiHost>(instance.id, first, &*seg->mailbox_, &*seg->children_,
                                         seg->launcher_.get(), park);
  // Crash tests (tests/durable, api_worker_test.cc): see ApiHost::set_kill_point.
  if (const char* at = ::getenv("DEJA_TEST_KILL_AT"); at != nullptr) seg->host_->set_kill_point(at);
  return seg;
}

Result<u64> ApiSegment::RequestsIn(const std::string& home, const std::string& run_id) {
  DEJA_ASSIGN_OR_RETURN(std::unique_ptr<registry::Registry> reg, registry::Registry::Open(home));
  DEJA_ASSIGN_OR_RETURN(std::unique_ptr<tm::LogReader> log,
                        tm::LogReader::Open(reg->LogPath(run_id)));
  const std::vector<std::string>& names = log->info().call_names;
  u64 n = 0;
  tm::CallRecord rec;
  for (;;) {
    Result<bool> more = log->Next(&rec);
    if (!more.ok() || !*more) break;  // a killed run's log ends at its last complete frame
    if (rec.call >= names.size()) continue;
    const std::string& name = names[rec.call];
    n += name == "signal_take" || name == "spawn" || name == "send" || name == "recv";
  }
  return n;
}

Status ApiSegment::Suspended() {
  return mailbox_->SaveCursor(instance_, snapshot_to_, host_->next_request());
}

Status ApiSegment::AfterPark() {
  std::optional<wasi::WaitCondition> wait = host_->last_wait();
  if (!wait) return {};
  DEJA_ASSIGN_OR_RETURN(bool holds, host_->Holds(*wait));
  if (holds) return launcher_->Wake(instance_);
  return {};
}

Status ApiSegment::WakeParent(InstanceStore* store, const Instance& instance) {
  if (instance.parent.empty()) return {};
  Result<bool> woken = store->MarkRunnable(instance.parent);
  return woken.ok() ? Status() : woken.status();
}

}  // namespace deja::durable
