#include "durable/api_host.h"

#include <signal.h>

#include <algorithm>

namespace deja::durable {

using wasi::Errno;

void ApiHost::MaybeDie(const char* point) const {
  if (!kill_at_.empty() && kill_at_ == point) ::raise(SIGKILL);
}

Errno ApiHost::Failed(Status s) {
  last_error_ = std::move(s);
  return Errno::kIo;
}

Errno ApiHost::TakeSignal(std::string_view name, u32 max_bytes, std::string* payload, u32* size) {
  std::string key = RequestKey(instance_, request_++);
  Result<std::optional<Taken>> t = mailbox_->TakeSignal(instance_, name, key, max_bytes, size);
  if (!t.ok()) return Failed(t.status());
  if (!*t) return Errno::kAgain;
  if ((*t)->payload.size() > max_bytes) {
    // Not taken: the guest asks again with more room, under a new key.
    return Errno::kNobufs;
  }
  *payload = std::move((*t)->payload);
  return Errno::kSuccess;
}

Errno ApiHost::Spawn(std::string_view module, std::span<const std::string> argv,
                     std::string_view input, u64* child) {
  u64 request = request_++;
  ChildRequest req{RequestKey(instance_, request), instance_, std::string(module),
                   {argv.begin(), argv.end()}, std::string(input), ""};
  // The row first: if the worker dies before the instance exists, the
  // resumed parent asks under the same key, and the store's Create (keyed
  // the same) makes it then, or returns the one it made.
  if (Status s = children_->Record(req, request); !s.ok()) return Failed(s);
  MaybeDie("spawn-recorded");
  Result<std::string> id = launcher_->CreateChild(req);
  if (!id.ok() && id.status().code() == Status::Code::kNotFound) return Errno::kNoent;
  if (!id.ok()) return Failed(id.status());
  if (Status s = children_->SetChild(req.key, *id); !s.ok()) return Failed(s);
  MaybeDie("spawn-created");
  *child = request;
  return Errno::kSuccess;
}

Result<std::optional<ChildEnd>> ApiHost::Ended(u64 child, Errno* missing) {
  DEJA_ASSIGN_OR_RETURN(std::optional<ChildRequest> req, children_->Find(instance_, child));
  if (!req || req->id.empty()) {
    *missing = Errno::kBadf;
    return std::optional<ChildEnd>();
  }
  return launcher_->ChildEnded(req->id);
}

Errno ApiHost::ChildStatus(u64 child, i32* status) {
  Errno missing = Errno::kSuccess;
  Result<std::optional<ChildEnd>> end = Ended(child, &missing);
  if (!end.ok()) return Failed(end.status());
  if (missing != Errno::kSuccess) return missing;
  if (!*end) return Errno::kAgain;
  *status = (*end)->status;
  return Errno::kSuccess;
}

Errno ApiHost::ChildOutput(u64 child, u64 offset, u32 max_bytes, std::string* bytes) {
  Errno missing = Errno::kSuccess;
  Result<std::optional<ChildEnd>> end = Ended(child, &missing);
  if (!end.ok()) return Failed(end.status());
  if (missing != Errno::kSuccess) return missing;
  if (!*end) return Errno::kAgain;
  if (offset >= wasi::kMaxChildOutput) return Errno::kSuccess;  // past what is kept
  Result<std::optional<ChildRequest>> req = children_->Find(instance_, child);
  if (!req.ok()) return Failed(req.status());
  Result<std::string> out = launcher_->ChildStdout((*req)->id, wasi::kMaxChildOutput);
  if (!out.ok()) return Failed(out.status());
  if (offset < out->size()) *bytes = out->substr(offset, max_bytes);
  return Errno::kSuccess;
}

Errno ApiHost::Send(std::string_view target, std::string_view payload) {
  std::string key = RequestKey(instance_, request_++);
  Result<bool> exists = launcher_->Exists(target);
  if (!exists.ok()) return Failed(exists.status());
  if (!*exists) return Errno::kNoent;
  if (Status s = mailbox_->Send(key, instance_, target, payload); !s.ok()) return Failed(s);
  if (Status s = launcher_->Wake(target); !s.ok()) return Failed(s);
  return Errno::kSuccess;
}

Errno ApiHost::Recv(u32 max_bytes, std::string* payload, u32* size) {
  std::string key = RequestKey(instance_, request_++);
  Result<std::optional<Taken>> t = mailbox_->TakeMessage(instance_, key, max_bytes, size);
  if (!t.ok()) return Failed(t.status());
  if (!*t) return Errno::kAgain;
  if ((*t)->payload.size() > max_bytes) return Errno::kNobufs;
  *payload = std::move((*t)->payload);
  return Errno::kSuccess;
}

Result<bool> ApiHost::Holds(const wasi::WaitCondition& wait) {
  switch (wait.kind) {
    case wasi::WaitCondition::Kind::kSignal: {
      DEJA_ASSIGN_OR_RETURN(i64 n, mailbox_->PendingSignals(instance_, wait.signal));
      return n > 0;
    }
    case wasi::WaitCondition::Kind::kMessage: {
      DEJA_ASSIGN_OR_RETURN(i64 n, mailbox_->PendingMessages(instance_));
      return n > 0;
    }
    case wasi::WaitCondition::Kind::kChildren: break;
  }
  size_t ended = 0;
  for (u64 child : wait.children) {
    Errno missing = Errno::kSuccess;
    DEJA_ASSIGN_OR_RETURN(std::optional<ChildEnd> end, Ended(child, &missing));
    // A handle that names no child would never end: it holds, so the
    // guest's next child_status gets EBADF instead of sleeping forever.
    if (missing != Errno::kSuccess || end) ++ended;
    if (ended > 0 && !wait.all) return true;
  }
  return ended == wait.children.size();
}

Result<WaitCondition> ApiHost::ToStoreWait(const wasi::WaitCondition& wait) {
  WaitCondition w;
  switch (wait.kind) {
    case wasi::WaitCondition::Kind::kSignal: w.signal = wait.signal; break;
    case wasi::WaitCondition::Kind::kMessage: w.signal = kMessageWait; break;
    case wasi::WaitCondition::Kind::kChildren:
      w.all_children = wait.all;
      for (u64 child : wait.children) {
        DEJA_ASSIGN_OR_RETURN(std::optional<ChildRequest> req, children_->Find(instance_, child));
        if (req && !req->id.empty()) w.children.push_back(req->id);
      }
      break;
  }
  return w;
}

Errno ApiHost::Park(const wasi::WaitCondition& wait) {
  if (park_ == nullptr) return Errno::kNosys;
  Result<bool> holds = Holds(wait);
  if (!holds.ok()) return Failed(holds.status());
  if (*holds) return Errno::kAlready;
  Result<WaitCondition> w = ToStoreWait(wait);
  if (!w.ok()) return Failed(w.status());
  park_->Request(std::move(*w));
  last_wait_ = wait;
  return Errno::kSuccess;
}

}  // namespace deja::durable
