// `deja serve`: the HTTP/1.1 server (Boost.Beast). I/O threads read and
// write connections; every request is handled on a pool of engine threads
// (api.h), so a guest never runs on an I/O thread and a slow guest never
// stalls other connections. Ends on SIGTERM or SIGINT: stops accepting,
// lets in-flight requests finish (up to drain_timeout), returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "deja/status.h"
#include "server/api.h"
#include "server/store.h"

namespace deja::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  int io_threads = 0;      // 0: one per core
  int engine_threads = 0;  // 0: two per core, at least 4
  // Requests waiting for an engine thread, per tenant (and per API token):
  // served round-robin across them (FairScheduler); past this, 429.
  size_t max_queue_per_tenant = 1024;
  // A request's head, and then its body, must arrive within this (slowloris);
  // an idle keep-alive connection is closed after it too.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{60'000};
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_connections = 4096;
  std::chrono::milliseconds drain_timeout{30'000};
  ApiOptions api;
};

// Called once the socket listens, with the address and the bound port.
using OnListening = std::function<void(const std::string& host, uint16_t port)>;

// Serves until SIGTERM/SIGINT. kIoError naming the address when it cannot listen.
Status Serve(Store& store, const ServerOptions& options, const OnListening& on_listening);

// On a store with no token yet, issues the first admin token and returns it
// (printed once by `deja serve`); otherwise none.
Result<std::optional<std::string>> FirstAdminToken(Store& store);

}  // namespace deja::server
