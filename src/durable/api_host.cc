#include "durable/api_host.h"

#include <algorithm>

namespace deja::durable {

using wasi::Errno;
using wasi::WaitCondition;

std::string EncodeWait(const WaitCondition& wait) {
  switch (wait.kind) {
    case WaitCondition::Kind::kSignal: return "signal " + wait.signal;
    case WaitCondition::Kind::kMessage: return "message";
    case WaitCondition::Kind::kChildren: break;
  }
  std::string text = wait.all ? "children all " : "children any ";
  for (size_t i = 0; i < wait.children.size(); ++i) {
    if (i != 0) text += ",";
    text += std::to_string(wait.children[i]);
  }
  return text;
}

Result<WaitCondition> DecodeWait(std::string_view text) {
  auto bad = [&] { return Status::Corruption("wait condition \"" + std::string(text) + "\""); };
  WaitCondition w;
  if (text == "message") {
    w.kind = WaitCondition::Kind::kMessage;
    return w;
  }
  if (text.starts_with("signal ") && text.size() > 7) {
    w.kind = WaitCondition::Kind::kSignal;
    w.signal = std::string(text.substr(7));
    return w;
  }
  std::string_view rest;
  if (text.starts_with("children all ")) {
    w.all = true;
    rest = text.substr(13);
  } else if (text.starts_with("children any ")) {
    rest = text.substr(13);
  } else {
    return bad();
  }
  w.kind = WaitCondition::Kind::kChildren;
  if (rest.empty() || rest.back() == ',') return bad();
  while (true) {
    size_t comma = rest.find(',');
    std::string_view digits = rest.substr(0, comma);
    if (digits.empty() || digits.size() > 19 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad();
    }
    w.children.push_back(std::stoull(std::string(digits)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (w.children.empty() || w.children.size() > wasi::kMaxAwait) return bad();
  return w;
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
  ChildRequest req{ChildId(instance_, request), instance_, std::string(module),
                   {argv.begin(), argv.end()}, std::string(input)};
  // The row first: if the worker dies before the instance exists, the
  // resumed parent asks under the same key and CreateChild (idempotent by
  // id) makes it then.
  Result<std::string> id = children_->Record(req, request);
  if (!id.ok()) return Failed(id.status());
  Status s = launcher_->CreateChild(req);
  if (s.code() == Status::Code::kNotFound) return Errno::kNoent;
  if (!s.ok()) return Failed(s);
  *child = request;
  return Errno::kSuccess;
}

Result<std::optional<ChildEnd>> ApiHost::Ended(u64 child, Errno* missing) {
  DEJA_ASSIGN_OR_RETURN(std::optional<ChildRequest> req, children_->Find(instance_, child));
  if (!req) {
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
  const std::string& out = (*end)->output;
  if (offset < out.size()) *bytes = out.substr(offset, max_bytes);
  return Errno::kSuccess;
}

Errno ApiHost::Send(std::string_view target, std::string_view payload) {
  std::string key = RequestKey(instance_, request_++);
  Result<bool> exists = launcher_->Exists(target);
  if (!exists.ok()) return Failed(exists.status());
  if (!*exists) return Errno::kNoent;
  if (Status s = mailbox_->Send(key, instance_, target, payload); !s.ok()) return Failed(s);
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

Result<bool> ApiHost::Holds(const WaitCondition& wait) {
  switch (wait.kind) {
    case WaitCondition::Kind::kSignal: {
      DEJA_ASSIGN_OR_RETURN(i64 n, mailbox_->PendingSignals(instance_, wait.signal));
      return n > 0;
    }
    case WaitCondition::Kind::kMessage: {
      DEJA_ASSIGN_OR_RETURN(i64 n, mailbox_->PendingMessages(instance_));
      return n > 0;
    }
    case WaitCondition::Kind::kChildren: break;
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

Errno ApiHost::Park(const WaitCondition& wait) {
  Result<bool> holds = Holds(wait);
  if (!holds.ok()) return Failed(holds.status());
  if (*holds) return Errno::kAlready;
  parked_ = wait;
  return Errno::kSuccess;
}

}  // namespace deja::durable
