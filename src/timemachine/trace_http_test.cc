#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "timemachine/http_parse.h"
#include "timemachine/trace.h"
#include "timemachine/trace_internal.h"
#include "timemachine/trace_test_util.h"

namespace deja::tm {
namespace {

using internal::HttpMessage;
using internal::HttpStreamParser;
using nlohmann::json;
using testing::AcceptCall;
using testing::AddOutput;
using testing::Call;
using testing::ReadCall;
using testing::WriteCall;

enum Id : u32 { kAccept, kRead, kWrite, kRecv, kSend, kClose, kOpen, kConnect, kShutdown };

RunInfo Info() {
  RunInfo info;
  info.call_names = {"sock_accept", "fd_read",      "fd_write",     "sock_recv",    "sock_send",
                     "fd_close",    "sock_open_v2", "sock_connect", "sock_shutdown"};
  return info;
}

struct Traced {
  std::vector<json> exchanges;
  json summary;
  std::string text;
};

// Runs the records through the tracer twice: JSON (parsed) and text.
Traced Trace(const RunInfo& info, const std::vector<CallRecord>& records) {
  Traced t;
  std::ostringstream js, text;
  internal::HttpTracer j(info, js, true), x(info, text, false);
  for (const CallRecord& r : records) {
    j.Record(r);
    x.Record(r);
  }
  j.Finish();
  x.Finish();
  std::istringstream in(js.str());
  for (std::string line; std::getline(in, line);) {
    json v = json::parse(line);
    if (v.contains("summary")) {
      t.summary = v["summary"];
    } else {
      t.exchanges.push_back(v);
    }
  }
  t.text = text.str();
  return t;
}

TEST(HttpTraceTest, ServerKeepAlivePipelinedWithChunkedResponse) {
  std::vector<CallRecord> recs;
  recs.push_back(AcceptCall(kAccept, 1000, 3, 5));
  recs.push_back(ReadCall(kRead, 2000, 5,
                          "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n"
                          "GET /b?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"));
  recs.push_back(WriteCall(kWrite, 3000, 5, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
  recs.push_back(WriteCall(
      kWrite, 4000, 5, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"));
  recs.push_back(WriteCall(kWrite, 5000, 5, "2;x=y\r\nde\r\n0\r\nTrailer: 1\r\n\r\n"));
  recs.push_back(Call(kClose, 6000, {5}));
  Traced t = Trace(Info(), recs);
  ASSERT_EQ(t.exchanges.size(), 2u) << t.text;
  const json& a = t.exchanges[0];
  EXPECT_EQ(a["fd"], 5);
  EXPECT_EQ(a["role"], "server");
  EXPECT_EQ(a["request"]["method"], "GET");
  EXPECT_EQ(a["request"]["target"], "/a");
  EXPECT_EQ(a["request"]["version"], "HTTP/1.1");
  EXPECT_EQ(a["request"]["headers"][0][0], "Host");
  EXPECT_EQ(a["request"]["headers"][0][1], "example.com");
  EXPECT_EQ(a["response"]["status"], 200);
  EXPECT_EQ(a["response"]["reason"], "OK");
  EXPECT_EQ(a["response"]["body_bytes"], 5);
  EXPECT_EQ(a["start_ns"], 2000);
  EXPECT_EQ(a["end_ns"], 4000);
  EXPECT_EQ(a["duration_ns"], 2000);
  const json& b = t.exchanges[1];
  EXPECT_EQ(b["request"]["target"], "/b?q=1");
  EXPECT_EQ(b["response"]["status"], 404);
  EXPECT_EQ(b["response"]["chunked"], true);
  EXPECT_EQ(b["response"]["body_bytes"], 5);
  EXPECT_EQ(b["response"]["complete"], true);
  EXPECT_EQ(b["end_ns"], 6000);
  EXPECT_EQ(t.summary["exchanges"], 2);
  EXPECT_EQ(t.summary["connections"], 1);
  EXPECT_EQ(t.summary["skipped_streams"], 0);
  EXPECT_NE(t.text.find("+0.000002s .. +0.000004s (0.000002s)  fd 5 server  GET /a HTTP/1.1 -> "
                        "200 OK\n  > Host: example.com\n  > body 0 B\n  < Content-Length: 5\n"
                        "  < body 5 B\n"),
            std::string::npos)
      << t.text;
  EXPECT_NE(t.text.find("< body 5 B, chunked\n"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("2 exchanges on 1 connection\n"), std::string::npos) << t.text;
}

TEST(HttpTraceTest, ClientConnectionWithBodyUntilClose) {
  std::vector<CallRecord> recs;
  CallRecord open = Call(kOpen, 100, {1, 2, testing::kNewFd});
  testing::AddWrite(open, testing::kNewFd, testing::Le32({4}));
  recs.push_back(open);
  recs.push_back(Call(kConnect, 200, {4, 0x300, 80}, 26));  // EINPROGRESS
  recs.push_back(
      WriteCall(kSend, 300, 4, "POST /api HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz", true));
  recs.push_back(ReadCall(kRecv, 400, 4, "HTTP/1.0 201 Created\r\nServer: t\r\n\r\nfirst ", true));
  recs.push_back(ReadCall(kRecv, 500, 4, "second", true));
  recs.push_back(ReadCall(kRecv, 600, 4, "", true));  // end of stream
  Traced t = Trace(Info(), recs);
  ASSERT_EQ(t.exchanges.size(), 1u) << t.text;
  const json& x = t.exchanges[0];
  EXPECT_EQ(x["role"], "client");
  EXPECT_EQ(x["request"]["method"], "POST");
  EXPECT_EQ(x["request"]["body_bytes"], 3);
  EXPECT_EQ(x["response"]["status"], 201);
  EXPECT_EQ(x["response"]["version"], "HTTP/1.0");
  EXPECT_EQ(x["response"]["body_bytes"], 12);
  EXPECT_EQ(x["response"]["complete"], true);
  EXPECT_EQ(x["start_ns"], 300);
  EXPECT_EQ(x["end_ns"], 1500);
}

TEST(HttpTraceTest, RequestSplitAcrossManyReads) {
  std::string req = "PUT /up HTTP/1.1\r\nContent-Length: 4\r\nX-A: b\r\n\r\nDATA";
  std::vector<CallRecord> recs;
  recs.push_back(AcceptCall(kAccept, 10, 3, 6));
  for (size_t i = 0; i < req.size(); ++i) {
    recs.push_back(ReadCall(kRecv, 100 + i * 10, 6, req.substr(i, 1), true));
  }
  recs.push_back(WriteCall(kSend, 5000, 6, "HTTP/1.1 204 No Content\r\n\r\n", true));
  recs.push_back(ReadCall(kRecv, 6000, 6, "", true));
  Traced t = Trace(Info(), recs);
  ASSERT_EQ(t.exchanges.size(), 1u) << t.text;
  EXPECT_EQ(t.exchanges[0]["request"]["method"], "PUT");
  EXPECT_EQ(t.exchanges[0]["request"]["body_bytes"], 4);
  EXPECT_EQ(t.exchanges[0]["request"]["start_ns"], 100);
  EXPECT_EQ(t.exchanges[0]["request"]["end_ns"], 100 + (req.size() - 1) * 10 + 1000);
  EXPECT_EQ(t.exchanges[0]["response"]["status"], 204);
  EXPECT_EQ(t.exchanges[0]["response"]["body_bytes"], 0);
}

TEST(HttpTraceTest, GarbageStreamsAreSkipped) {
  std::vector<CallRecord> recs;
  recs.push_back(AcceptCall(kAccept, 10, 3, 7));
  recs.push_back(ReadCall(kRead, 20, 7, std::string_view("\x16\x03\x01\x02\x00\x01", 6)));
  recs.push_back(WriteCall(kWrite, 30, 7, "not http at all\r\n\r\n"));
  recs.push_back(Call(kClose, 40, {7}));
  recs.push_back(ReadCall(kRead, 50, 9, "GET / HTTP/1.1\r\n\r\n"));  // never accepted: a file
  Traced t = Trace(Info(), recs);
  EXPECT_TRUE(t.exchanges.empty());
  EXPECT_EQ(t.summary["skipped_streams"], 1);
  EXPECT_EQ(t.text, "0 exchanges on 0 connections; 1 non-HTTP stream skipped\n");
}

TEST(HttpTraceTest, FdReuseStartsANewConnection) {
  std::vector<CallRecord> recs;
  recs.push_back(AcceptCall(kAccept, 10, 3, 5));
  recs.push_back(ReadCall(kRead, 20, 5, "GET /one HTTP/1.1\r\n\r\n"));
  recs.push_back(Call(kClose, 30, {5}));  // no response: the client gave up
  recs.push_back(AcceptCall(kAccept, 40, 3, 5));
  recs.push_back(ReadCall(kRead, 50, 5, "GET /two HTTP/1.1\r\n\r\n"));
  recs.push_back(WriteCall(kWrite, 60, 5, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  Traced t = Trace(Info(), recs);
  ASSERT_EQ(t.exchanges.size(), 2u) << t.text;
  EXPECT_EQ(t.exchanges[0]["request"]["target"], "/one");
  EXPECT_TRUE(t.exchanges[0]["response"].is_null());
  EXPECT_EQ(t.exchanges[1]["request"]["target"], "/two");
  EXPECT_EQ(t.exchanges[1]["response"]["status"], 200);
  EXPECT_EQ(t.summary["connections"], 2);
  EXPECT_NE(t.text.find("GET /one HTTP/1.1 -> (no response)"), std::string::npos) << t.text;
}

TEST(HttpTraceTest, CgiRequestOnStdinResponseOnStdout) {
  std::vector<CallRecord> recs;
  recs.push_back(ReadCall(kRead, 10, 0, "POST /f HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"));
  CallRecord w = WriteCall(kWrite, 20, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  AddOutput(w, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  recs.push_back(w);
  Traced t = Trace(Info(), recs);
  ASSERT_EQ(t.exchanges.size(), 1u) << t.text;
  EXPECT_EQ(t.exchanges[0]["role"], "stdio");
  EXPECT_EQ(t.exchanges[0]["request"]["target"], "/f");
  EXPECT_EQ(t.exchanges[0]["request"]["body_bytes"], 2);
  EXPECT_EQ(t.exchanges[0]["response"]["status"], 200);
  EXPECT_EQ(t.exchanges[0]["response"]["body_bytes"], 2);
  EXPECT_NE(t.text.find("stdio  POST /f HTTP/1.1 -> 200 OK"), std::string::npos) << t.text;
}

TEST(HttpTraceTest, CgiVariablesAndCgiHeaders) {
  RunInfo info = Info();
  info.env = {"REQUEST_METHOD=POST",      "PATH_INFO=/items",       "QUERY_STRING=x=1",
              "SERVER_PROTOCOL=HTTP/1.1", "HTTP_USER_AGENT=curl/8", "CONTENT_LENGTH=4"};
  std::vector<CallRecord> recs;
  recs.push_back(ReadCall(kRead, 10, 0, "body"));
  recs.push_back(ReadCall(kRead, 20, 0, ""));
  CallRecord w = testing::Call(kWrite, 30, {1, 0, 0, 0});
  AddOutput(w, 1, "Status: 201 Created\r\nContent-Type: text/plain\r\n\r\n");
  recs.push_back(w);
  CallRecord w2 = testing::Call(kWrite, 40, {1, 0, 0, 0});
  AddOutput(w2, 1, "done");
  recs.push_back(w2);
  Traced t = Trace(info, recs);
  ASSERT_EQ(t.exchanges.size(), 1u) << t.text;
  const json& x = t.exchanges[0];
  EXPECT_EQ(x["request"]["method"], "POST");
  EXPECT_EQ(x["request"]["target"], "/items?x=1");
  EXPECT_EQ(x["request"]["body_bytes"], 4);
  EXPECT_EQ(x["request"]["headers"][0][0], "User-Agent");
  EXPECT_EQ(x["request"]["headers"][0][1], "curl/8");
  EXPECT_EQ(x["response"]["status"], 201);
  EXPECT_EQ(x["response"]["reason"], "Created");
  EXPECT_EQ(x["response"]["cgi"], true);
  EXPECT_EQ(x["response"]["body_bytes"], 4);
  EXPECT_EQ(x["response"]["complete"], true);
  EXPECT_NE(t.text.find("POST /items?x=1 HTTP/1.1 -> 201 Created (cgi)"), std::string::npos)
      << t.text;
}

TEST(HttpTraceTest, StdoutAloneIsNoExchange) {
  CallRecord w = testing::Call(kWrite, 30, {1, 0, 0, 0});
  AddOutput(w, 1, "Result: 5\n\nall done\n");
  Traced t = Trace(Info(), {w});
  EXPECT_TRUE(t.exchanges.empty());
  EXPECT_EQ(t.summary["skipped_streams"], 0);
  EXPECT_EQ(t.text, "0 exchanges on 0 connections\n");
}

TEST(HttpTraceTest, MissingBytesStopTheStream) {
  std::vector<CallRecord> recs;
  recs.push_back(AcceptCall(kAccept, 10, 3, 5));
  CallRecord r = ReadCall(kRead, 20, 5, "GET / HTTP/1.1\r\n\r\n");
  r.ops.erase(r.ops.begin() + 1);  // the buffer's write op is lost
  recs.push_back(r);
  Traced t = Trace(Info(), recs);
  EXPECT_TRUE(t.exchanges.empty());
}

TEST(HttpTraceTest, PeeksAreNotCountedTwiceAndHeadHasNoBody) {
  std::vector<CallRecord> recs;
  recs.push_back(AcceptCall(kAccept, 10, 3, 5));
  std::string_view head = "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n";
  CallRecord peek = ReadCall(kRecv, 20, 5, head, true);
  peek.args[3] = 1;  // RECV_PEEK
  recs.push_back(peek);
  recs.push_back(ReadCall(kRecv, 30, 5, head, true));
  recs.push_back(WriteCall(kSend, 40, 5,
                           "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
                           true));
  Traced t = Trace(Info(), recs);
  ASSERT_EQ(t.exchanges.size(), 2u) << t.text;
  EXPECT_EQ(t.exchanges[0]["request"]["method"], "HEAD");
  EXPECT_EQ(t.exchanges[0]["response"]["body_bytes"], 0);
  EXPECT_EQ(t.exchanges[1]["request"]["method"], "GET");
  EXPECT_EQ(t.exchanges[1]["response"]["body_bytes"], 1);
}

std::vector<HttpMessage> Parse(bool requests, std::vector<std::string_view> pieces) {
  HttpStreamParser p(requests);
  u64 t = 0;
  for (std::string_view s : pieces) {
    p.Feed({reinterpret_cast<const u8*>(s.data()), s.size()}, t, t + 1);
    t += 10;
  }
  p.Close();
  return p.messages();
}

TEST(HttpParseTest, InterimAndHeadResponses) {
  HttpStreamParser p(false);
  p.set_head_query([](size_t i) { return i == 0; });
  std::string_view s =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"  // answers HEAD: no body
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  p.Feed({reinterpret_cast<const u8*>(s.data()), s.size()}, 0, 1);
  ASSERT_EQ(p.messages().size(), 3u);
  EXPECT_EQ(p.messages()[0].status, 100);
  EXPECT_EQ(p.messages()[1].body_bytes, 0u);
  EXPECT_EQ(p.messages()[2].body_bytes, 2u);
  EXPECT_FALSE(p.failed());
}

TEST(HttpParseTest, BareLineFeedsFoldingAndIncompleteBodies) {
  auto m = Parse(true,
                 {"GET / HTTP/1.0\nA: 1\n  2\n\nPOST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nab"});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].Header("a"), "1 2");
  EXPECT_TRUE(m[0].complete);
  EXPECT_EQ(m[1].body_bytes, 2u);
  EXPECT_FALSE(m[1].complete);
}

TEST(HttpParseTest, RejectsWhatIsNotHttp) {
  EXPECT_TRUE(Parse(true, {"HELLO\r\n"}).empty());
  EXPECT_TRUE(Parse(true, {"GET / HTTP/2.0\r\n\r\n"}).empty());
  EXPECT_TRUE(Parse(false, {"HTTP/1.1 2000 OK\r\n\r\n"}).empty());
  EXPECT_TRUE(Parse(true, {"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"}).empty());
  EXPECT_TRUE(Parse(true, {"GET / HTTP/1.1\r\nno colon\r\n\r\n"}).empty());
  EXPECT_TRUE(Parse(true, {std::string(20000, 'A')}).empty());
  auto m = Parse(false, {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"});
  EXPECT_TRUE(m.empty());
}

}  // namespace
}  // namespace deja::tm
