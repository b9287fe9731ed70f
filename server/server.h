// Server: owns every part of a running node and hands them down; there are no
// process-wide mutable globals. Start() binds the listener and starts the I/O threads,
// With tls-port set, a second listener speaks TLS (tls.h); when port is 0 as well, there
// is no plain-text listener at all. Run() blocks until SIGTERM / SIGINT (or Shutdown()), then stops accepting, lets each
// connection finish the replies in flight, and returns.
//
// Threads: io-threads threads, each running its own io_context (io_loop.h: how an idle
// one polls before it sleeps); a connection lives on one of them for its whole life.
// The accept loop and the cron (active expiry, idle clients) run on thread 0. The HTTP
// metrics listener (metrics_http.h) has a thread of its own, so that a scrape never
// delays a RESP client.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/options.h"
#include "server/command_table.h"
#include "server/io_barrier.h"
#include "server/io_loop.h"
#include "server/latency_monitor.h"
#include "server/monitor.h"
#include "server/slowlog.h"
#include "storage/store.h"

namespace crescent::server {

class Connection;
class MetricsHttpServer;

struct ServerStats {
  std::atomic<uint64_t> connections_received{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> commands_processed{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> total_error_replies{0};
  std::atomic<uint64_t> unexpected_error_replies{0};

  void CountError(std::string_view code);
  std::map<std::string, uint64_t> ErrorCounts() const;
  void ResetErrors();

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> errors_;  // GUARDED_BY(mu_)
};

class Server {
 public:
  Server(config::Config* config, std::unique_ptr<storage::Store> store, const Clock* clock);
  ~Server();

  Status Start();
  void Run();
  void Shutdown();  // any thread

  config::Config& config() { return *config_; }
  storage::Store& store() { return *store_; }
  const Clock& clock() const { return *clock_; }
  const CommandTable& commands() const { return commands_; }
  ServerStats& stats() { return stats_; }
  SlowLog& slowlog() { return slowlog_; }
  uint16_t port() const { return port_; }          // 0: no plain-text listener
  uint16_t tls_port() const { return tls_port_; }  // 0: no TLS listener
  const std::string& run_id() const { return run_id_; }
  int64_t start_time_ms() const { return start_time_ms_; }
  size_t io_threads() const { return contexts_.size(); }
  // Parks the other I/O threads while one runs a transaction (before Start(), when there
  // are no I/O threads, it parks nothing).
  IoBarrier& barrier() { return *barrier_; }
  // io-busy-poll-us as the I/O threads apply it: 0 when they are more than half the
  // usable cores (io_loop.h). Any thread.
  int64_t io_busy_poll_us() const;
  IoLoopCounts io_loop_counts() const;  // summed over the I/O threads
  void ResetIoLoopStats();  // CONFIG RESETSTAT
  bool shutting_down() const { return shutting_down_.load(); }

  MonitorFeed& monitors() { return monitors_; }
  LatencyMonitor& latency() { return latency_; }

  // CLIENT PAUSE: clients run no command (or, with writes_only, no write) until
  // `until_ms` (unix ms); a later pause only extends it. Any thread.
  void Pause(int64_t until_ms, bool writes_only);
  void Unpause();
  // Whether a command with these flags must wait now; 0 when not, else the pause's end.
  int64_t PausedUntil(bool is_write);
  // Cheap test for the request path: false when no pause may be in force.
  bool paused() const { return pause_until_ms_.load(std::memory_order_relaxed) != 0; }

  // SAVE: waits until every write queued for the SSD tier has been attempted.
  // kInvalidArgument when persistence is off. Any thread (it blocks).
  Status Save();
  // BGSAVE: the same on a thread of its own; with `schedule`, one already running is
  // followed by another.
  enum class BackgroundSave { kStarted, kScheduled, kAlreadyRunning, kPersistenceOff };
  BackgroundSave StartBackgroundSave(bool schedule);
  bool background_save_running() const { return bgsave_running_.load(); }
  int64_t last_save_s() const { return last_save_s_.load(); }
  bool last_background_save_ok() const { return bgsave_ok_.load(); }
  // SHUTDOWN: stops as SIGTERM does; `discard_disk_queue` (NOSAVE) drops the async
  // writes not yet attempted instead of waiting for them.
  void ShutdownFromCommand(bool discard_disk_queue);

  // Connected clients. Any thread.
  size_t client_count() const;
  std::vector<std::shared_ptr<Connection>> Clients() const;
  std::shared_ptr<Connection> FindClient(uint64_t id) const;
  void Register(const std::shared_ptr<Connection>& connection);
  void Unregister(uint64_t id);
  uint64_t NextClientId() { return next_client_id_.fetch_add(1); }

 private:
  // The accept loop of one listener; `tls` null for the plain-text one.
  void Accept(boost::asio::ip::tcp::acceptor* acceptor, boost::asio::ssl::context* tls);
  Status Listen(const boost::asio::ip::address& address, uint16_t port,
                std::unique_ptr<boost::asio::ip::tcp::acceptor>* acceptor);
  bool ProtectedModeRefuses(const boost::asio::ip::address& address) const;
  void ScheduleCron();
  void Cron();
  void BeginShutdown();

  config::Config* config_;
  std::unique_ptr<storage::Store> store_;
  const Clock* clock_;
  CommandTable commands_;
  ServerStats stats_;
  SlowLog slowlog_;
  std::string run_id_;
  int64_t start_time_ms_;
  uint16_t port_ = 0;
  uint16_t tls_port_ = 0;

  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::thread> threads_;
  std::unique_ptr<IoBarrier> barrier_;
  std::vector<std::unique_ptr<IoLoopStats>> loop_stats_;  // one per I/O thread, from Start()
  bool busy_poll_allowed_ = false;                        // set in Start(), then read-only
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;      // null: no plain text
  std::unique_ptr<boost::asio::ssl::context> tls_context_;        // null: no TLS
  std::unique_ptr<boost::asio::ip::tcp::acceptor> tls_acceptor_;
  std::unique_ptr<boost::asio::steady_timer> cron_timer_;
  boost::asio::io_context main_context_;  // signals and the shutdown deadline
  std::unique_ptr<boost::asio::steady_timer> shutdown_deadline_;
  std::unique_ptr<boost::asio::signal_set> signals_;  // on main_context_, from Start()
  size_t next_context_ = 0;
  std::atomic<bool> shutting_down_{false};
  int64_t last_idle_check_ms_ = 0;

  MonitorFeed monitors_;
  LatencyMonitor latency_;
  std::atomic<int64_t> pause_until_ms_{0};
  std::atomic<bool> pause_writes_only_{false};
  std::atomic<int64_t> last_save_s_{0};
  std::atomic<bool> bgsave_running_{false};
  std::atomic<bool> bgsave_ok_{true};
  std::mutex bgsave_mu_;
  bool bgsave_scheduled_ = false;  // GUARDED_BY(bgsave_mu_)
  std::thread bgsave_;  // GUARDED_BY(bgsave_mu_); joined by the next BGSAVE or ~Server

  mutable std::mutex clients_mu_;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> clients_;  // GUARDED_BY(clients_mu_)
  std::atomic<uint64_t> next_client_id_{1};
  // The HTTP /metrics and /health listener (null when metrics-port is 0). Last, so that
  // it is destroyed (its thread joined) before anything it reads.
  std::unique_ptr<MetricsHttpServer> metrics_;
};

}  // namespace crescent::server
