// Recording one WASI call: the handler runs for real on a GuestMemory whose
// AccessLog is the Capture below, so the record gets the bytes of every read
// as the handler saw them and the ranges of every write; the written bytes are
// copied out after the handler returns (what the guest will find there).
// The record and its buffers are reused, so a call allocates nothing once
// the vectors have grown.
#include "timemachine/recorder.h"

#include <cstring>

#include "timemachine/delegating_system.h"
#include "wasi/dispatch.h"
#include "wasi/guest_memory.h"

namespace deja::tm {

namespace {

// What the output-capturing System reports to the current call's record.
class HostWriteSink {
 public:
  virtual ~HostWriteSink() = default;
  // The host wrote `iov` out (to any descriptor): the bytes it took from
  // guest memory are reads of the call.
  virtual void OnHostWrite(std::span<const iovec> iov) = 0;
  // The first `n` bytes of `iov` were written to host descriptor `fd`
  // (the sink keeps those that are the guest's stdout or stderr).
  virtual void OnOutput(int fd, std::span<const iovec> iov, size_t n) = 0;
};

// Passes everything through and tells the sink what was written out.
class OutputCaptureSystem : public DelegatingSystem {
 public:
  OutputCaptureSystem(std::shared_ptr<wasi::System> inner, HostWriteSink* sink)
      : DelegatingSystem(std::move(inner)), sink_(sink) {}

  Errno Writev(int fd, std::span<const iovec> iov, size_t* out) override {
    sink_->OnHostWrite(iov);
    Errno e = inner().Writev(fd, iov, out);
    Note(fd, e, iov, *out);
    return e;
  }
  Errno Pwritev(int fd, std::span<const iovec> iov, u64 offset, size_t* out) override {
    sink_->OnHostWrite(iov);
    Errno e = inner().Pwritev(fd, iov, offset, out);
    Note(fd, e, iov, *out);
    return e;
  }
  Errno Send(int fd, std::span<const iovec> iov, int flags, size_t* out) override {
    sink_->OnHostWrite(iov);
    Errno e = inner().Send(fd, iov, flags, out);
    Note(fd, e, iov, *out);
    return e;
  }
  Errno SendTo(int fd, std::span<const iovec> iov, int flags, const sockaddr* to, socklen_t to_len,
               size_t* out) override {
    sink_->OnHostWrite(iov);
    Errno e = inner().SendTo(fd, iov, flags, to, to_len, out);
    Note(fd, e, iov, *out);
    return e;
  }

 private:
  void Note(int fd, Errno e, std::span<const iovec> iov, size_t n) {
    if (e != Errno::kSuccess || fd < 0) return;
    sink_->OnOutput(fd, iov, n);
  }
  HostWriteSink* sink_;
};

// Whether a WASI call may have changed something outside the guest that
// making it again would change twice (see Recorder::set_flush_effects).
// Writes to stdout and stderr are left out: their bytes are in the record.
bool ChangesWorld(const char* name, const std::vector<u64>& args) {
  static constexpr const char* kEffects[] = {
      "fd_pwrite",           "path_open",           "path_create_directory",
      "path_unlink_file",    "path_remove_directory", "path_rename",
      "path_symlink",        "path_link",           "path_filestat_set_times",
      "fd_filestat_set_size", "fd_filestat_set_times", "fd_allocate",
      "sock_send",           "sock_recv",
      "sock_accept",         "sock_shutdown",       "sock_connect"};
  if (std::strcmp(name, "fd_write") == 0) return args.empty() || args[0] > 2;
  for (const char* e : kEffects) {
    if (std::strcmp(name, e) == 0) return true;
  }
  return false;
}

}  // namespace

class Recorder::Capture : public wasi::AccessLog, public HostWriteSink {
 public:
  // Between Begin and End, accesses and outputs go to `rec`. `stdio` are
  // the host descriptors of the calling guest's fds 0-2 (WasiCtx): whatever
  // kind of stream they are, what reaches 1 and 2 is its output.
  void Begin(CallRecord* rec, std::span<const u8> memory, const int (&stdio)[3]) {
    rec_ = rec;
    memory_ = memory;
    stdout_fd_ = stdio[1];
    stderr_fd_ = stdio[2];
    written_whole_ = false;
  }
  void End() { rec_ = nullptr; }

  // Consecutive accesses to adjacent bytes (an iovec's pointer, then its
  // length) become one op: smaller records, and the same replay.
  void OnRead(u32 ptr, std::span<const u8> bytes) override {
    if (rec_ == nullptr) return;
    auto len = static_cast<u32>(bytes.size());
    MemOp* last = rec_->ops.empty() ? nullptr : &rec_->ops.back();
    if (last != nullptr && last->kind == MemOp::Kind::kRead && u64{last->ptr} + last->len == ptr &&
        last->offset + last->len == rec_->data.size() && last->len + u64{len} <= UINT32_MAX) {
      last->len += len;
    } else {
      rec_->ops.push_back({MemOp::Kind::kRead, ptr, static_cast<u32>(rec_->data.size()), len});
    }
    rec_->data.insert(rec_->data.end(), bytes.begin(), bytes.end());
  }
  // The bytes are filled in by Recorder::Intercept once the handler is done.
  void OnWrite(u32 ptr, u32 len) override {
    if (rec_ == nullptr) return;
    MemOp* last = rec_->ops.empty() ? nullptr : &rec_->ops.back();
    if (last != nullptr && last->kind == MemOp::Kind::kWrite && u64{last->ptr} + last->len == ptr &&
        last->len + u64{len} <= UINT32_MAX) {
      last->len += len;
    } else {
      rec_->ops.push_back({MemOp::Kind::kWrite, ptr, 0, len});
    }
  }

  // fd_write hands guest buffers to the host without reading them through
  // GuestMemory (it takes writable views for all of fd_read/fd_write), so the
  // bytes it writes out are logged here, as reads, unless the handler
  // already logged that range.
  void OnHostWrite(std::span<const iovec> iov) override {
    if (rec_ == nullptr) return;
    // Only the handler's own reads are searched, from where the last match
    // was: buffers are usually logged in iovec order, so this stays linear.
    size_t logged = rec_->ops.size();
    size_t hint = 0;
    written_at_ = rec_->data.size();
    written_whole_ = true;
    for (const iovec& v : iov) {
      if (v.iov_len == 0) continue;
      auto at = static_cast<const u8*>(v.iov_base);
      if (at < memory_.data() || at + v.iov_len > memory_.data() + memory_.size()) {
        written_whole_ = false;
        continue;
      }
      auto ptr = static_cast<u32>(at - memory_.data());
      auto len = static_cast<u32>(v.iov_len);
      if (AlreadyRead(ptr, len, logged, &hint)) {
        written_whole_ = false;
        continue;
      }
      OnRead(ptr, {at, len});
    }
  }

  void OnOutput(int fd, std::span<const iovec> iov, size_t n) override {
    if (rec_ == nullptr || n == 0) return;
    u8 stream = fd == stdout_fd_ ? 1 : fd == stderr_fd_ ? 2 : 0;
    if (stream == 0) {
      written_whole_ = false;
      return;
    }
    // The bytes written out are the first n of the buffers OnHostWrite just
    // logged, one after the other: point at them instead of copying (the
    // log stores them once; see OutputInOps in log_codec.cc).
    if (written_whole_ && rec_->data.size() - written_at_ >= n) {
      written_whole_ = false;
      rec_->outputs.push_back({stream, static_cast<u32>(written_at_), static_cast<u32>(n)});
      return;
    }
    written_whole_ = false;
    Output out{stream, static_cast<u32>(rec_->data.size()), 0};
    for (const iovec& v : iov) {
      if (n == 0) break;
      size_t take = std::min(n, v.iov_len);
      const u8* p = static_cast<const u8*>(v.iov_base);
      rec_->data.insert(rec_->data.end(), p, p + take);
      n -= take;
    }
    out.len = static_cast<u32>(rec_->data.size() - out.offset);
    rec_->outputs.push_back(out);
  }

 private:
  // Whether one of ops[0, n) is a read covering [ptr, ptr+len); the search
  // starts at *hint and leaves it at the match.
  bool AlreadyRead(u32 ptr, u32 len, size_t n, size_t* hint) const {
    for (size_t k = 0; k < n; ++k) {
      size_t i = (*hint + k) % n;
      const MemOp& op = rec_->ops[i];
      if (op.kind == MemOp::Kind::kRead && op.ptr <= ptr &&
          u64{ptr} + len <= u64{op.ptr} + op.len) {
        *hint = i;
        return true;
      }
    }
    return false;
  }

  CallRecord* rec_ = nullptr;
  std::span<const u8> memory_;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  // Where the last host write's buffers start in rec_->data, and whether
  // all of them were logged there, in order, by OnHostWrite.
  size_t written_at_ = 0;
  bool written_whole_ = false;
};

Recorder::Recorder(LogWriter& writer)
    : writer_(writer),
      capture_(std::make_unique<Capture>()),
      start_(std::chrono::steady_clock::now()) {}

Recorder::~Recorder() = default;

std::shared_ptr<wasi::System> Recorder::WrapSystem(std::shared_ptr<wasi::System> inner) {
  return std::make_shared<OutputCaptureSystem>(std::move(inner), capture_.get());
}

HostAction Recorder::Intercept(HostCall& call, const wasi::HostBinding& binding,
                               std::span<u64> slots) {
  u64 t0 = clock_.Now();
  rec_.Clear();
  rec_.call = binding.index;
  rec_.time_ns = t0;
  auto args = slots.first(std::min<size_t>(binding.param_count, slots.size()));
  rec_.args.assign(args.begin(), args.end());

  std::span<u8> live = call.memory();
  wasi::GuestMemory mem(live);
  mem.set_access_log(capture_.get());
  capture_->Begin(&rec_, live, binding.ctx->stdio_host_fd);
  HostAction action = wasi::RunHandler(call, binding, mem, slots);
  capture_->End();

  // What each write left in the guest. Memory is fetched again: a handler
  // cannot grow it, but the check costs nothing and a log must never hold
  // bytes from outside it.
  std::span<const u8> memory = call.memory();
  for (MemOp& op : rec_.ops) {
    if (op.kind != MemOp::Kind::kWrite) continue;
    op.offset = static_cast<u32>(rec_.data.size());
    if (u64{op.ptr} + op.len > memory.size()) {
      op.len = op.ptr < memory.size() ? static_cast<u32>(memory.size() - op.ptr) : 0;
    }
    if (op.len != 0) {
      const u8* p = memory.data() + op.ptr;
      rec_.data.insert(rec_.data.end(), p, p + op.len);
    }
  }
  // A call that suspends the guest (durable sleep) has completed too: its
  // errno is what the resumed guest sees.
  if ((action == HostAction::kContinue || action == HostAction::kSuspend) && binding.has_result) {
    rec_.result = static_cast<u32>(slots[0]);
  } else if (action == HostAction::kExit) {
    rec_.exit_code = call.exit_code();
  }
  rec_.duration_ns = clock_.Now() - t0;
  writer_.Append(rec_);
  ++calls_;
  // A suspending call goes out too, with all before it: the snapshot written
  // next may stand alone after a crash, and the log must hold its output.
  if (flush_effects_ && (action == HostAction::kSuspend ||
                         (binding.def != nullptr && ChangesWorld(binding.def->name, rec_.args)))) {
    (void)writer_.Flush();  // an error stays in the writer; Finish reports it
  }
  return action;
}

void Recorder::Copy(const CallRecord& rec) {
  writer_.Append(rec);
  ++calls_;
  // A copied effect goes out at once too: if this run is killed in turn,
  // the next continuation must find it, or it would make it live again
  // (found by scripts/durable-chaos: a chain of kills repeated an append).
  if (flush_effects_) {
    static const std::vector<std::string> names = WasiCallNames();
    if (rec.call < names.size() && ChangesWorld(names[rec.call].c_str(), rec.args)) {
      (void)writer_.Flush();
    }
  }
}

}  // namespace deja::tm
