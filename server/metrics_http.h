// MetricsHttpServer: the HTTP listener of the operations endpoint (metrics-bind,
// metrics-port; port 0 means no listener at all).
//
//   GET /metrics   Prometheus text format 0.0.4 (server/metrics.h)
//   GET /health    200 {"status":"ok","uptime_seconds":N,"keys":N}; 503 while shutting down
//   other paths    404; a method other than GET: 405
//
// It runs on an io_context and a thread of its own, not on an I/O thread of the RESP
// server: rendering /metrics walks the store's statistics (shard locks, briefly), and a
// scrape must not add that to the latency of the clients that share a thread with it.
//
// Defences, since anyone who can reach the port can connect: a request's headers are
// bounded (kMaxHeaderBytes, 431 beyond), a request must arrive and a reply be taken
// within kIoTimeout (so a slow client cannot hold a connection open), and at most
// kMaxConnections are open at once (more are closed on accept). Keep-alive is honoured
// within those limits.
//
// Threads: Start() and Stop() from the thread that owns the Server; everything else
// runs on the listener's own thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/status.h"

namespace crescent::server {

class Server;

class MetricsHttpServer {
 public:
  static constexpr size_t kMaxHeaderBytes = 8 * 1024;
  static constexpr size_t kMaxBodyBytes = 8 * 1024;
  static constexpr size_t kMaxConnections = 64;
  static constexpr std::chrono::seconds kIoTimeout{10};

  explicit MetricsHttpServer(Server* server);
  ~MetricsHttpServer();  // Stop()

  // Binds and listens on bind:port, then starts serving on its own thread. The error
  // names the address and says how to turn the endpoint off.
  Status Start(const std::string& bind, uint16_t port);
  // Closes the listener and every connection and joins the thread. Idempotent.
  void Stop();
  uint16_t port() const { return port_; }

 private:
  class Session;
  friend class Session;

  void Accept();
  void Forget(Session* session);  // a session closed; on the listener's thread

  Server* server_;
  boost::asio::io_context context_{1};
  boost::asio::ip::tcp::acceptor acceptor_{context_};
  std::thread thread_;
  uint16_t port_ = 0;
  // Open sessions, so that Stop() can close them. Touched only on the listener's thread.
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

}  // namespace crescent::server
