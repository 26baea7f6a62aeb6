// The Beast half of `deja serve` (the only file with Asio/Beast besides the
// client: each such translation unit costs ~700 MB of compiler memory).
#include "server/server.h"

#include <array>
#include <atomic>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server/auth.h"
#include "server/json_error.h"
#include "server/quota_scheduler.h"

namespace deja::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Shared {
  Api& api;
  const ServerOptions& options;
  FairScheduler& engines;
  std::atomic<int> in_flight{0};
  std::atomic<uint32_t> connections{0};
  std::atomic<bool> stopping{false};
};

// Who a request waits in line as (FairScheduler): a function's tenant (the
// first path segment), or for the API the token's id, so that one client's
// flood of API calls does not hold up another's either.
std::string QueueKey(const HttpRequest& request) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  if (path.starts_with("/v1/") || path == "/v1" || path.starts_with("/metrics") ||
      path.starts_with("/healthz")) {
    std::string_view auth = request.Header("Authorization");
    // "Bearer deja_ID_SECRET": the id only (the secret never becomes a key).
    size_t start = auth.find("deja_");
    size_t end = start == std::string_view::npos ? start : auth.find('_', start + 5);
    if (end == std::string_view::npos) return "api";
    return "api:" + std::string(auth.substr(start + 5, std::min<size_t>(end - start - 5, 20)));
  }
  path.remove_prefix(std::min<size_t>(path.size(), 1));
  return "fn:" + std::string(path.substr(0, std::min<size_t>(path.find('/'), 64)));
}

// Runs `work` on an engine thread, in its key's turn (FairScheduler), and
// resumes the caller on its own executor; a full queue is answered with 429
// at once. (`work` by reference: g++ 12 can destroy a temporary in a
// co_await expression twice, so callers pass a named variable and nothing in
// the co_await expression itself has a destructor.)
template <typename Token>
auto OnEngine(FairScheduler& scheduler, const std::string& key, std::function<HttpResponse()>&& work,
              Token&& token) {
  return asio::async_initiate<Token, void(HttpResponse)>(
      [&scheduler, &key](auto handler, std::function<HttpResponse()> work) {
        auto guard = asio::make_work_guard(asio::get_associated_executor(handler));
        using Handler = decltype(handler);
        using Guard = decltype(guard);
        // The scheduler's jobs are copyable std::functions; the handler is not.
        struct Pending {
          Handler handler;
          Guard guard;
          std::function<HttpResponse()> work;
          void Complete(HttpResponse response) {
            auto executor = guard.get_executor();
            asio::post(executor, [handler = std::move(handler), response = std::move(response)]() mutable {
              std::move(handler)(std::move(response));
            });
          }
        };
        auto pending = std::make_shared<Pending>(Pending{std::move(handler), std::move(guard), std::move(work)});
        bool queued = scheduler.Submit(key, [pending] {
          HttpResponse response;
          try {
            response = pending->work();
          } catch (const std::exception& e) {
            response = JsonError(500, std::string("internal error: ") + e.what());
          }
          pending->Complete(std::move(response));
        });
        if (!queued) {
          HttpResponse busy = JsonError(429, "too many requests are queued for " + key.substr(key.find(':') + 1) +
                                                 " (the server is stopping, or the queue is full)", "queue");
          busy.Set("Retry-After", "1");
          pending->Complete(std::move(busy));
        }
      },
      token, std::move(work));
}

// Headers the server owns (framing) or that could split a response.
bool Writable(const std::string& name, const std::string& value) {
  if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
      beast::iequals(name, "Connection")) {
    return false;
  }
  for (char c : value) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

http::response<http::string_body> ToBeast(HttpResponse&& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "deja");
  for (auto& [name, value] : r.headers) {
    if (Writable(name, value)) res.insert(name, value);
  }
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Answers a request that never reached the routes (too big, too slow,
// malformed) and closes.
struct Refusal {
  int status = 0;
  std::string message;
  std::string field;
};

awaitable<void> Refuse(beast::tcp_stream& stream, const ServerOptions& options, const Refusal& refusal) {
  http::response<http::string_body> res =
      ToBeast(JsonError(refusal.status, refusal.message, refusal.field), 11, false);
  stream.expires_after(options.write_timeout);
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  if (ec) co_return;
  // Closing with unread request bytes makes the kernel send a reset, which
  // can destroy the answer before the client reads it: stop sending, then
  // read and drop what is still coming (briefly, and at most 1 MiB).
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::milliseconds(500));
  std::array<char, 16384> sink;
  for (size_t total = 0; total < (size_t{1} << 20);) {
    auto [rec, got] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (rec) break;
    total += got;
  }
}

awaitable<void> Connection(tcp::socket socket, Shared& shared) {
  struct Count {
    Shared& s;
    ~Count() { s.connections.fetch_sub(1); }
  } count{shared};
  const ServerOptions& options = shared.options;
  beast::tcp_stream stream(std::move(socket));
  beast::error_code ignored;
  tcp::endpoint remote = stream.socket().remote_endpoint(ignored);
  tcp::endpoint local = stream.socket().local_endpoint(ignored);
  beast::flat_buffer buffer;
  std::optional<Refusal> refusal;
  while (!shared.stopping) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(options.max_header_bytes);
    // The body's cap depends on the route: checked once the head is in.
    parser.body_limit(boost::none);
    stream.expires_after(options.read_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      break;  // a timeout has closed the socket already (slowloris, or an idle keep-alive)
    }
    if (ec == http::error::header_limit) {
      refusal = Refusal{431, "the request head is over " +
                      std::to_string(options.max_header_bytes) + " bytes", "headers"};
      break;
    }
    if (ec) {
      refusal = Refusal{400, "malformed request: " + ec.message(), ""};
      break;
    }
    std::string_view target(parser.get().target().data(), parser.get().target().size());
    uint64_t limit = BodyLimitFor(options.api, target);
    if (parser.content_length() && *parser.content_length() > limit) {
      refusal = Refusal{413, "the request body (" + std::to_string(*parser.content_length()) +
                      " bytes) is over the cap of " + std::to_string(limit) + " bytes for " +
                      std::string(target.substr(0, target.find('?'))).substr(0, 200), "body"};
      break;
    }
    parser.body_limit(limit);
    if (!parser.is_done()) {
      stream.expires_after(options.read_timeout);
      auto [ec2, n2] = co_await http::async_read(stream, buffer, parser, kTuple);
      if (ec2 == http::error::body_limit) {
        refusal = Refusal{413, "the request body is over the cap of " + std::to_string(limit) +
                        " bytes", "body"};
        break;
      }
      if (ec2) {
        if (ec2 != asio::error::eof && ec2 != http::error::end_of_stream && ec2 != beast::error::timeout) {
          refusal = Refusal{400, "malformed request body: " + ec2.message(), "body"};
        }
        break;
      }
    }
    stream.expires_never();
    http::request<http::string_body> req = parser.release();
    auto request = std::make_shared<HttpRequest>();
    request->method = std::string(req.method_string());
    request->target = std::string(req.target());
    for (const auto& field : req) {
      request->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request->body = std::move(req.body());
    request->remote_addr = remote.address().to_string();
    request->remote_port = remote.port();
    request->server_name = local.address().to_string();
    request->server_port = local.port();
    shared.in_flight.fetch_add(1);
    std::string queue_key = QueueKey(*request);
    std::function<HttpResponse()> work = [&api = shared.api, request = std::move(request)] {
      return api.Handle(*request);
    };
    HttpResponse response = co_await OnEngine(shared.engines, queue_key, std::move(work), asio::use_awaitable);
    bool keep_alive = req.keep_alive() && !shared.stopping;
    http::response<http::string_body> res = ToBeast(std::move(response), req.version(), keep_alive);
    stream.expires_after(options.write_timeout);
    auto [wec, written] = co_await http::async_write(stream, res, kTuple);
    shared.in_flight.fetch_sub(1);
    if (wec || !keep_alive) break;
  }
  if (refusal) co_await Refuse(stream, options, *refusal);
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> Accept(tcp::acceptor& acceptor, Shared& shared) {
  while (true) {
    // Each connection's socket lives on its own strand: with several I/O
    // threads, its reads, writes and timeout never run at once.
    auto strand = asio::make_strand(acceptor.get_executor());
    auto [ec, socket] = co_await acceptor.async_accept(strand, kTuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // EMFILE and the like: the next accept may succeed
    if (shared.connections.load() >= shared.options.max_connections) continue;  // closed by the socket's destructor
    shared.connections.fetch_add(1);
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(strand, Connection(std::move(socket), shared), asio::detached);
  }
}

// After a stop signal: waits for in-flight requests (at most drain_timeout), then stops.
awaitable<void> Drain(Shared& shared, asio::io_context& ioc) {
  asio::steady_timer timer(ioc);
  auto deadline = std::chrono::steady_clock::now() + shared.options.drain_timeout;
  while (shared.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(kTuple);
  }
  ioc.stop();
}

Result<tcp::endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--listen is HOST:PORT: \"" + listen + "\"");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_text = listen.substr(colon + 1);
  unsigned long port = 0;
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
      (port = std::stoul(port_text)) > 65535) {
    return Status::InvalidArgument("--listen " + listen + ": the port is not a number from 0 to 65535");
  }
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("--listen " + listen + ": \"" + host + "\" is not an IP address");
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

}  // namespace

Result<std::optional<std::string>> FirstAdminToken(Store& store) {
  DEJA_ASSIGN_OR_RETURN(int64_t count, store.CountTokens());
  if (count > 0) return std::optional<std::string>();
  DEJA_ASSIGN_OR_RETURN(std::string token, IssueToken(store, std::nullopt, {kScopeAdmin}, std::nullopt,
                                                      "first admin token"));
  return std::optional<std::string>(token);
}

Status Serve(Store& store, const ServerOptions& options, const OnListening& on_listening) {
  DEJA_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseListen(options.listen));
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  int io_threads = options.io_threads > 0 ? options.io_threads : static_cast<int>(cores);
  int engine_threads = options.engine_threads > 0 ? options.engine_threads : std::max(4, static_cast<int>(2 * cores));

  // Declared before the io_context: destroying it destroys the suspended
  // connections, whose frames still refer to `shared`.
  Api api(store, options.api);
  FairScheduler engines(options.max_queue_per_tenant);
  std::vector<std::thread> engine_pool;
  for (int i = 0; i < engine_threads; ++i) {
    engine_pool.emplace_back([&engines] {
      while (std::optional<FairScheduler::Job> job = engines.Next()) (*job)();
    });
  }
  auto stop_engines = [&] {
    engines.Close();  // drains: queued requests still get their answer
    for (std::thread& t : engine_pool) t.join();
  };
  Shared shared{api, options, engines};
  asio::io_context ioc(io_threads);
  tcp::acceptor acceptor(ioc);
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    stop_engines();
    return Status::IoError("cannot listen on " + options.listen + ": " + ec.message());
  }
  tcp::endpoint bound = acceptor.local_endpoint(ec);

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& error, int) {
    if (error) return;
    shared.stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    asio::co_spawn(ioc, Drain(shared, ioc), asio::detached);
  });
  asio::co_spawn(ioc, Accept(acceptor, shared), asio::detached);
  if (on_listening) on_listening(bound.address().to_string(), bound.port());

  std::vector<std::thread> threads;
  for (int i = 1; i < io_threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (std::thread& t : threads) t.join();
  stop_engines();  // guests still running past the drain finish within their own timeouts
  return {};
}

}  // namespace deja::server
