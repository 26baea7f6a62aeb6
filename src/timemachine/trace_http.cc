// `deja trace http`: HTTP/1.x exchanges rebuilt from a recording. Sockets
// are followed from the calls that create them (sock_accept: the guest is
// the server; sock_open/sock_connect: the guest is the client); what the
// guest read from one is its inbound stream, what it wrote its outbound
// stream. stdin and stdout form one more connection (CGI style), whose
// request may instead come from CGI variables in the environment.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "timemachine/http_parse.h"
#include "timemachine/trace.h"
#include "timemachine/trace_internal.h"

namespace deja::tm {
namespace internal {
namespace {

using Json = nlohmann::ordered_json;

constexpr u32 kEinprogress = 26, kEagain = 6;

enum class Role : u8 { kServer, kClient, kStdio };

const char* RoleName(Role r) {
  switch (r) {
    case Role::kServer:
      return "server";
    case Role::kClient:
      return "client";
    case Role::kStdio:
      return "stdio";
  }
  return "?";
}

// One connection: the guest's two streams on one descriptor (or stdio).
struct Conn {
  Conn(u32 fd, Role role) : fd(fd), role(role), in(true), out(false, role == Role::kStdio) {
    SetRole(role);
  }
  // Which stream carries requests follows from who is the client.
  void SetRole(Role r) {
    role = r;
    in = HttpStreamParser(r != Role::kClient, false);
    out = HttpStreamParser(r == Role::kClient, r == Role::kStdio);
    HttpStreamParser& responses = r == Role::kClient ? in : out;
    responses.set_head_query([this](size_t i) {
      const std::vector<HttpMessage>& reqs = requests().messages();
      return i < reqs.size() && reqs[i].method == "HEAD";
    });
  }
  HttpStreamParser& requests() { return role == Role::kClient ? out : in; }
  HttpStreamParser& responses() { return role == Role::kClient ? in : out; }

  u32 fd;
  Role role;
  HttpStreamParser in;
  HttpStreamParser out;
};

struct Exchange {
  const Conn* conn = nullptr;
  const HttpMessage* request = nullptr;
  const HttpMessage* response = nullptr;
  u64 start_ns = 0, end_ns = 0;
  size_t seq = 0;  // order found
};

// "HTTP_USER_AGENT" -> "User-Agent".
std::string HeaderFromCgi(std::string_view var) {
  std::string out;
  bool upper = true;
  for (char c : var) {
    if (c == '_') {
      out += '-';
      upper = true;
    } else {
      out += upper ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      upper = false;
    }
  }
  return out;
}

}  // namespace

struct HttpTracer::State {
  State(const RunInfo& info, std::ostream& out, bool json) : info(info), out(out), json(json) {
    for (const std::string& e : info.env) {
      size_t eq = e.find('=');
      if (eq != std::string::npos) cgi_env.emplace(e.substr(0, eq), e.substr(eq + 1));
    }
    cgi = cgi_env.count("REQUEST_METHOD") != 0;
  }

  Conn& Open(u32 fd, Role role) {
    CloseFd(fd);
    auto [it, inserted] = open.emplace(fd, std::make_unique<Conn>(fd, role));
    return *it->second;
  }
  void CloseFd(u32 fd) {
    auto it = open.find(fd);
    if (it == open.end()) return;
    it->second->in.Close();
    it->second->out.Close();
    done.push_back(std::move(it->second));
    open.erase(it);
  }
  Conn& Stdio() {
    if (!stdio) stdio = std::make_unique<Conn>(0, Role::kStdio);
    return *stdio;
  }

  void Record(const CallRecord& rec);
  void Transfer(const CallRecord& rec, const TransferArgs& t, u64 n);
  HttpMessage CgiRequest() const;
  void Finish();
  void Print(const Exchange& x);

  const RunInfo& info;
  std::ostream& out;
  bool json;
  std::map<std::string, std::string> cgi_env;
  bool cgi = false;  // the request is in CGI variables; stdin is its body
  u64 stdin_bytes = 0, stdin_first_ns = 0, stdin_last_ns = 0;
  std::map<u32, std::unique_ptr<Conn>> open;
  std::vector<std::unique_ptr<Conn>> done;
  std::unique_ptr<Conn> stdio;
};

void HttpTracer::State::Record(const CallRecord& rec) {
  std::string name_full = CallName(info, rec);
  std::string_view name = BaseName(name_full);
  u64 t0 = rec.time_ns, t1 = rec.time_ns + rec.duration_ns;
  for (const Output& o : rec.outputs) {
    if (o.stream == 1 && u64{o.offset} + o.len <= rec.data.size()) {
      Stdio().out.Feed(rec.Bytes(o), t0, t1);
    }
  }
  if (!rec.result) return;
  u32 result = *rec.result;
  const std::vector<u64>& a = rec.args;
  if (name == "sock_connect" && a.size() == 3 &&
      (result == 0 || result == kEinprogress || result == kEagain)) {
    auto fd = static_cast<u32>(a[0]);
    auto it = open.find(fd);
    if (it == open.end()) {
      Open(fd, Role::kClient);
    } else if (it->second->role != Role::kClient && it->second->in.bytes_seen() == 0 &&
               it->second->out.bytes_seen() == 0) {
      it->second->SetRole(Role::kClient);
    }
    return;
  }
  if (result != 0) return;
  if (name == "sock_accept" || name == "sock_open") {
    CallEffect e = DecodeEffect(name, rec);
    if (e.new_fd) Open(*e.new_fd, name == "sock_accept" ? Role::kServer : Role::kClient);
  } else if (name == "fd_close" && a.size() == 1) {
    CloseFd(static_cast<u32>(a[0]));
  } else if (name == "fd_renumber" && a.size() == 2) {
    auto from = static_cast<u32>(a[0]), to = static_cast<u32>(a[1]);
    auto it = open.find(from);
    CloseFd(to);
    if (it != open.end() && from != to) {
      it->second->fd = to;
      open.emplace(to, std::move(it->second));
      open.erase(from);
    }
  } else if (name == "sock_shutdown" && a.size() == 2 && (a[1] & 2) != 0) {
    if (auto it = open.find(static_cast<u32>(a[0])); it != open.end()) it->second->out.Close();
  } else if (std::optional<TransferArgs> t = TransferOf(name, a)) {
    if (t->peek) return;  // the same bytes come again with the real read
    if (std::optional<u32> n = LoadU32(WrittenMemory(rec), t->count_ptr)) Transfer(rec, *t, *n);
  }
}

void HttpTracer::State::Transfer(const CallRecord& rec, const TransferArgs& t, u64 n) {
  u64 t0 = rec.time_ns, t1 = rec.time_ns + rec.duration_ns;
  HttpStreamParser* stream = nullptr;
  if (t.fd == 0 && t.inbound && open.count(0) == 0) {
    if (cgi) {  // the request body; its head came in the environment
      if (stdin_bytes == 0) stdin_first_ns = t0;
      if (n != 0) stdin_last_ns = t1;
      stdin_bytes += n;
      return;
    }
    stream = &Stdio().in;
  } else if (auto it = open.find(t.fd); it != open.end()) {
    stream = t.inbound ? &it->second->in : &it->second->out;
  } else {
    return;  // a file, or stdout (taken from the run's outputs)
  }
  if (n == 0) {
    if (t.inbound) stream->Close();  // end of stream
    return;
  }
  MemoryLookup read = RecordMemory(rec);
  std::optional<std::vector<u8>> bytes =
      GatherIovecs(read, t.inbound ? WrittenMemory(rec) : read, t.iovs_ptr, t.iovs_count, n);
  if (!bytes) {
    stream->Fail();
    return;
  }
  stream->Feed(*bytes, t0, t1);
}

HttpMessage HttpTracer::State::CgiRequest() const {
  auto var = [this](const char* name) -> std::string {
    auto it = cgi_env.find(name);
    return it == cgi_env.end() ? std::string() : it->second;
  };
  HttpMessage m;
  m.method = var("REQUEST_METHOD");
  m.target = var("REQUEST_URI");
  if (m.target.empty()) {
    m.target = var("SCRIPT_NAME") + var("PATH_INFO");
    if (m.target.empty()) m.target = "/";
    if (!var("QUERY_STRING").empty()) m.target += "?" + var("QUERY_STRING");
  }
  m.version = var("SERVER_PROTOCOL");
  for (const auto& [k, v] : cgi_env) {
    if (k.rfind("HTTP_", 0) == 0) m.headers.emplace_back(HeaderFromCgi(k.substr(5)), v);
  }
  if (!var("CONTENT_TYPE").empty()) m.headers.emplace_back("Content-Type", var("CONTENT_TYPE"));
  if (!var("CONTENT_LENGTH").empty()) {
    m.headers.emplace_back("Content-Length", var("CONTENT_LENGTH"));
  }
  m.body_bytes = stdin_bytes;
  m.complete = true;
  m.start_ns = stdin_first_ns;
  m.end_ns = std::max(stdin_first_ns, stdin_last_ns);
  return m;
}

namespace {

void PrintMessageText(std::ostream& out, const HttpMessage& m, char mark) {
  for (const auto& [n, v] : m.headers) out << "  " << mark << ' ' << n << ": " << v << '\n';
  out << "  " << mark << " body " << m.body_bytes << " B";
  if (m.chunked) out << ", chunked";
  if (!m.complete) out << ", incomplete";
  out << '\n';
}

Json MessageJson(const HttpMessage& m) {
  Json j;
  if (m.request) {
    j["method"] = m.method;
    j["target"] = m.target;
  } else {
    j["status"] = m.status;
    j["reason"] = m.reason;
    j["cgi"] = m.cgi;
  }
  j["version"] = m.version;
  Json headers = Json::array();
  for (const auto& [n, v] : m.headers) headers.push_back({n, v});
  j["headers"] = std::move(headers);
  j["body_bytes"] = m.body_bytes;
  j["chunked"] = m.chunked;
  j["complete"] = m.complete;
  j["start_ns"] = m.start_ns;
  j["end_ns"] = m.end_ns;
  return j;
}

std::string StatusText(const HttpMessage& m) {
  std::string s = std::to_string(m.status);
  if (!m.reason.empty()) s += " " + m.reason;
  if (m.cgi) s += " (cgi)";
  return s;
}

}  // namespace

void HttpTracer::State::Print(const Exchange& x) {
  if (json) {
    Json j;
    j["fd"] = x.conn->fd;
    j["role"] = RoleName(x.conn->role);
    j["start_ns"] = x.start_ns;
    j["end_ns"] = x.end_ns;
    j["duration_ns"] = x.end_ns - x.start_ns;
    j["request"] = x.request != nullptr ? MessageJson(*x.request) : Json(nullptr);
    j["response"] = x.response != nullptr ? MessageJson(*x.response) : Json(nullptr);
    out << j.dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
    return;
  }
  out << Seconds(x.start_ns) << " .. " << Seconds(x.end_ns) << " ("
      << Seconds(x.end_ns - x.start_ns).substr(1) << ")  "
      << (x.conn->role == Role::kStdio
              ? std::string("stdio")
              : "fd " + std::to_string(x.conn->fd) + " " + RoleName(x.conn->role))
      << "  ";
  if (x.request != nullptr) {
    out << x.request->method << ' ' << x.request->target;
    if (!x.request->version.empty()) out << ' ' << x.request->version;
  } else {
    out << "(no request)";
  }
  out << " -> ";
  if (x.response != nullptr) {
    out << StatusText(*x.response);
    if (!x.response->complete) out << " (incomplete)";
  } else {
    out << "(no response)";
  }
  out << '\n';
  if (x.request != nullptr) PrintMessageText(out, *x.request, '>');
  if (x.response != nullptr) PrintMessageText(out, *x.response, '<');
}

void HttpTracer::State::Finish() {
  std::vector<u32> fds;
  for (const auto& [fd, conn] : open) fds.push_back(fd);
  for (u32 fd : fds) CloseFd(fd);
  HttpMessage cgi_request;
  if (stdio || (cgi && stdin_bytes != 0)) {
    Conn& s = Stdio();
    s.in.Close();
    s.out.Close();
    if (cgi) cgi_request = CgiRequest();
    done.push_back(std::move(stdio));
  }
  std::vector<Exchange> exchanges;
  size_t connections = 0, skipped = 0;
  for (const std::unique_ptr<Conn>& c : done) {
    std::vector<const HttpMessage*> reqs, resps;
    if (c->role == Role::kStdio && cgi) {
      reqs.push_back(&cgi_request);
    } else {
      for (const HttpMessage& m : c->requests().messages()) reqs.push_back(&m);
    }
    for (const HttpMessage& m : c->responses().messages()) {
      if (m.status >= 200 || m.status == 101) resps.push_back(&m);  // interim 1xx are not shown
    }
    // A program's stdout alone is not an exchange, even when its first lines
    // look like CGI headers: stdio needs a request.
    if (c->role == Role::kStdio && reqs.empty()) resps.clear();
    if (reqs.empty() && resps.empty()) {
      // Bytes moved but none of them parsed as HTTP. A program's stdout is
      // only a stream here when something came in on stdin.
      bool moved = c->role == Role::kStdio ? c->in.bytes_seen() != 0
                                           : c->in.bytes_seen() != 0 || c->out.bytes_seen() != 0;
      if (moved) ++skipped;
      continue;
    }
    ++connections;
    for (size_t i = 0; i < std::max(reqs.size(), resps.size()); ++i) {
      Exchange x;
      x.conn = c.get();
      x.seq = exchanges.size();
      x.request = i < reqs.size() ? reqs[i] : nullptr;
      x.response = i < resps.size() ? resps[i] : nullptr;
      x.start_ns = x.request != nullptr ? x.request->start_ns : x.response->start_ns;
      x.end_ns =
          std::max(x.start_ns, x.response != nullptr ? x.response->end_ns : x.request->end_ns);
      exchanges.push_back(x);
    }
  }
  // By start time, ties in the order found (std::stable_sort trips clang's
  // deprecation warning in libstdc++ 12).
  std::sort(exchanges.begin(), exchanges.end(), [](const Exchange& a, const Exchange& b) {
    return std::tie(a.start_ns, a.seq) < std::tie(b.start_ns, b.seq);
  });
  for (const Exchange& x : exchanges) Print(x);
  if (json) {
    Json j = {{"exchanges", exchanges.size()},
              {"connections", connections},
              {"skipped_streams", skipped}};
    out << Json{{"summary", std::move(j)}}.dump() << '\n';
    return;
  }
  out << exchanges.size() << (exchanges.size() == 1 ? " exchange" : " exchanges") << " on "
      << connections << (connections == 1 ? " connection" : " connections");
  if (skipped != 0)
    out << "; " << skipped << " non-HTTP " << (skipped == 1 ? "stream" : "streams") << " skipped";
  out << '\n';
}

HttpTracer::HttpTracer(const RunInfo& info, std::ostream& out, bool json)
    : state_(std::make_unique<State>(info, out, json)) {}
HttpTracer::~HttpTracer() = default;
void HttpTracer::Record(const CallRecord& rec) { state_->Record(rec); }
void HttpTracer::Finish() { state_->Finish(); }

}  // namespace internal

Status WriteHttpTrace(LogReader& log, std::ostream& out, const TraceOptions& options) {
  internal::HttpTracer tracer(log.info(), out, options.json);
  CallRecord rec;
  while (true) {
    DEJA_ASSIGN_OR_RETURN(bool more, log.Next(&rec));
    if (!more) break;
    tracer.Record(rec);
  }
  tracer.Finish();
  out.flush();
  if (!out) return Status::IoError("cannot write the trace");
  return Status();
}

}  // namespace deja::tm
