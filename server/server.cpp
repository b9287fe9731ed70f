#include "server/server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <random>
#include <sched.h>
#include <spdlog/spdlog.h>

#include "server/acl.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/metrics_http.h"
#include "storage/disk_tier.h"
#include "server/tls.h"

namespace crescent::server {

namespace asio = boost::asio;
using config::OptionId;

namespace {
constexpr auto kCronPeriod = std::chrono::milliseconds(100);
constexpr size_t kExpireBudgetPerCron = 20000;
constexpr auto kShutdownGrace = std::chrono::seconds(5);
constexpr int kMetricsPortOffset = 9121 - 6379;


// The cores this process may run on (its affinity mask: a container's cpuset or a
// taskset), which is what busy polling competes for.
size_t UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return static_cast<size_t>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// metrics-port -1: beside the RESP port, so that instances started with only a different
// --port do not collide (6379 -> 9121, the port Redis exporters use). 0 when it would
// not be a port.
uint16_t EffectiveMetricsPort(uint16_t resp_port) {
  int port = resp_port + kMetricsPortOffset;
  return port <= 65535 ? static_cast<uint16_t>(port) : 0;
}

std::string MakeRunId() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 40; ++i) id.push_back("0123456789abcdef"[rd() % 16]);
  return id;
}

std::string Endpoint(const asio::ip::tcp::endpoint& e) {
  if (e.address().is_v6()) return fmt::format("[{}]:{}", e.address().to_string(), e.port());
  return fmt::format("{}:{}", e.address().to_string(), e.port());
}
}  // namespace

void ServerStats::CountError(std::string_view code) {
  total_error_replies.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  auto it = errors_.find(code);
  if (it != errors_.end()) {
    ++it->second;
  } else if (errors_.size() < 128) {  // as Redis: a bounded table of error codes
    errors_.emplace(std::string(code), 1);
  }
}

std::map<std::string, uint64_t> ServerStats::ErrorCounts() const {
  std::lock_guard lock(mu_);
  return {errors_.begin(), errors_.end()};
}

void ServerStats::ResetErrors() {
  std::lock_guard lock(mu_);
  errors_.clear();
  total_error_replies = 0;
}

Server::Server(config::Config* config, std::unique_ptr<storage::Store> store, const Clock* clock)
    : config_(config), store_(std::move(store)), clock_(clock), run_id_(MakeRunId()),
      start_time_ms_(clock->NowMs()), barrier_(std::make_unique<IoBarrier>(
                                            std::vector<asio::io_context*>{})),
      last_save_s_(clock->NowMs() / 1000) {}

void Server::Pause(int64_t until_ms, bool writes_only) {
  // As Redis: a pause never shortens one in force, and ALL wins over WRITE.
  int64_t current = pause_until_ms_.load();
  bool extend = until_ms > current;
  if (current == 0 || current < clock_->NowMs()) {
    pause_writes_only_.store(writes_only);
  } else if (!writes_only) {
    pause_writes_only_.store(false);
  }
  if (extend) pause_until_ms_.store(until_ms);
}

void Server::Unpause() {
  pause_until_ms_.store(0);
  pause_writes_only_.store(false);
}

int64_t Server::PausedUntil(bool is_write) {
  int64_t until = pause_until_ms_.load(std::memory_order_relaxed);
  if (until == 0) return 0;
  if (until <= clock_->NowMs()) {
    // Over: back to the request path's fast test (unless a new pause came meanwhile).
    pause_until_ms_.compare_exchange_strong(until, 0);
    return 0;
  }
  if (pause_writes_only_.load(std::memory_order_relaxed) && !is_write) return 0;
  return until;
}

Status Server::Save() {
  storage::DiskTier* disk = store_->disk();
  if (disk == nullptr) {
    return Status(StatusCode::kInvalidArgument, "persistence is off: there is no SSD tier");
  }
  Status status = disk->Flush();
  if (status.ok()) last_save_s_.store(clock_->NowMs() / 1000);
  return status;
}

Server::BackgroundSave Server::StartBackgroundSave(bool schedule) {
  if (store_->disk() == nullptr) return BackgroundSave::kPersistenceOff;
  std::lock_guard lock(bgsave_mu_);
  if (bgsave_running_.load()) {
    if (!schedule) return BackgroundSave::kAlreadyRunning;
    bgsave_scheduled_ = true;
    return BackgroundSave::kScheduled;
  }
  if (bgsave_.joinable()) bgsave_.join();
  bgsave_running_.store(true);
  bgsave_ = std::thread([this] {
    for (;;) {
      Status status = Save();
      if (!status.ok()) spdlog::warn("background save failed: {}", status.message());
      bgsave_ok_.store(status.ok());
      std::lock_guard lock(bgsave_mu_);
      if (!bgsave_scheduled_) {
        bgsave_running_.store(false);
        return;
      }
      bgsave_scheduled_ = false;
    }
  });
  return BackgroundSave::kStarted;
}

void Server::ShutdownFromCommand(bool discard_disk_queue) {
  if (discard_disk_queue && store_->disk() != nullptr) store_->disk()->DiscardQueueOnClose();
  spdlog::info("SHUTDOWN{} received", discard_disk_queue ? " NOSAVE" : "");
  Shutdown();
}

int64_t Server::io_busy_poll_us() const {
  return busy_poll_allowed_ ? config_->Int(OptionId::kIoBusyPollUs) : 0;
}

IoLoopCounts Server::io_loop_counts() const {
  IoLoopCounts sum;
  for (const auto& stats : loop_stats_) {
    sum.polled_wakeups += stats->polled_wakeups.load(std::memory_order_relaxed);
    sum.sleeps += stats->sleeps.load(std::memory_order_relaxed);
  }
  return sum;
}

void Server::ResetIoLoopStats() {
  for (const auto& stats : loop_stats_) {
    stats->polled_wakeups.store(0, std::memory_order_relaxed);
    stats->sleeps.store(0, std::memory_order_relaxed);
  }
}

Server::~Server() {
  std::thread bgsave;
  {
    std::lock_guard lock(bgsave_mu_);
    bgsave_scheduled_ = false;
    bgsave = std::move(bgsave_);
  }
  if (bgsave.joinable()) bgsave.join();  // not under bgsave_mu_, which the thread takes
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

Status Server::Start() {
  // Before any listener exists: a SIGTERM that arrives while the server starts is then
  // queued for Run() instead of killing the process with nothing flushed.
  signals_ = std::make_unique<asio::signal_set>(main_context_, SIGINT, SIGTERM);

  size_t threads = static_cast<size_t>(config_->Int(OptionId::kIoThreads));
  // Half the cores: the I/O threads then busy-poll (io_loop.h), which on 2 cores served
  // 50 clients at pipeline 1 at 1.00-1.28x Redis where a thread per core, sleeping,
  // gave 0.95-1.01x; the other half is left to clients and the disk tier.
  if (threads == 0) threads = std::max<size_t>(1, UsableCores() / 2);
  for (size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
    loop_stats_.push_back(std::make_unique<IoLoopStats>());
  }
  {
    std::vector<asio::io_context*> contexts;
    for (auto& context : contexts_) contexts.push_back(context.get());
    barrier_ = std::make_unique<IoBarrier>(std::move(contexts));
  }
  // Before the metrics listener's thread exists, which reads it.
  const size_t cores = UsableCores();
  busy_poll_allowed_ = 2 * threads <= cores;

  boost::system::error_code error;
  auto address = asio::ip::make_address(config_->String(OptionId::kBind), error);
  if (error) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("bind: '{}' is not an IP address", config_->String(OptionId::kBind)));
  }
  auto port = static_cast<uint16_t>(config_->Int(OptionId::kPort));
  auto tls_port = static_cast<uint16_t>(config_->Int(OptionId::kTlsPort));
  if (tls_port != 0) {
    auto context = MakeTlsContext(*config_);
    if (!context.ok()) return context.status();
    tls_context_ = std::move(context).value();
    Status status = Listen(address, tls_port, &tls_acceptor_);
    if (!status.ok()) return status;
    tls_port_ = tls_acceptor_->local_endpoint().port();
  }
  // port 0: an ephemeral port, unless TLS is on; then it means no plain-text listener.
  if (port != 0 || tls_port == 0) {
    Status status = Listen(address, port, &acceptor_);
    if (!status.ok()) return status;
    port_ = acceptor_->local_endpoint().port();
  }
  int64_t metrics_port = config_->Int(OptionId::kMetricsPort);
  if (metrics_port < 0) metrics_port = EffectiveMetricsPort(port_ != 0 ? port_ : tls_port_);
  if (metrics_port != 0) {
    metrics_ = std::make_unique<MetricsHttpServer>(this);
    Status status = metrics_->Start(config_->String(OptionId::kMetricsBind),
                                    static_cast<uint16_t>(metrics_port));
    if (!status.ok()) return status;
  }
  if (acceptor_) Accept(acceptor_.get(), nullptr);
  if (tls_acceptor_) Accept(tls_acceptor_.get(), tls_context_.get());
  cron_timer_ = std::make_unique<asio::steady_timer>(*contexts_[0]);
  ScheduleCron();
  if (!busy_poll_allowed_ && config_->Int(OptionId::kIoBusyPollUs) > 0) {
    spdlog::info("I/O threads sleep without busy polling: {} I/O threads on {} usable cores "
                 "(io-busy-poll-us needs twice as many cores as I/O threads)",
                 threads, cores);
  }
  for (size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, ctx = contexts_[i].get(), stats = loop_stats_[i].get()] {
      RunIoLoop(*ctx, [this] { return io_busy_poll_us(); }, stats);
    });
  }
  if (acceptor_) {
    spdlog::info("crescentd ready to accept connections on {}:{} ({} I/O threads)",
                 config_->String(OptionId::kBind), port_, threads);
  }
  if (tls_acceptor_) {
    spdlog::info("crescentd ready to accept TLS connections on {}:{}{}",
                 config_->String(OptionId::kBind), tls_port_,
                 config_->String(OptionId::kTlsCaCertFile).empty()
                     ? "" : " (client certificates required)");
  }
  return Status::Ok();
}

Status Server::Listen(const asio::ip::address& address, uint16_t port,
                      std::unique_ptr<asio::ip::tcp::acceptor>* out) {
  boost::system::error_code error;
  asio::ip::tcp::endpoint endpoint(address, port);
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(*contexts_[0]);
  acceptor->open(endpoint.protocol(), error);
  if (!error) acceptor->set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor->bind(endpoint, error);
  if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return Status(StatusCode::kIoError,
                  fmt::format("cannot listen on {}: {}", Endpoint(endpoint), error.message()));
  }
  *out = std::move(acceptor);
  return Status::Ok();
}

void Server::Accept(asio::ip::tcp::acceptor* acceptor, asio::ssl::context* tls) {
  asio::io_context& target = *contexts_[next_context_];
  next_context_ = (next_context_ + 1) % contexts_.size();
  acceptor->async_accept(target, [this, &target, acceptor, tls](
                                     const boost::system::error_code& error,
                                     asio::ip::tcp::socket socket) {
    if (shutting_down_) return;
    if (!error) {
      stats_.connections_received.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code e1, e2;
      auto remote = socket.remote_endpoint(e1);
      auto local = socket.local_endpoint(e2);
      static const std::string kReply = fmt::format("-{}\r\n", errors::kMaxClients);
      static const std::string kProtectedModeReply =
          fmt::format("-{}\r\n", errors::kProtectedModeDenied);
      if (client_count() >= static_cast<size_t>(config_->Int(OptionId::kMaxClients))) {
        stats_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
        // A TLS client could not read a plain-text reply: it is just closed (as Redis).
        if (!tls) asio::write(socket, asio::buffer(kReply), e1);
        socket.close(e1);
      } else if (!e1 && ProtectedModeRefuses(remote.address())) {
        stats_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
        if (!tls) asio::write(socket, asio::buffer(kProtectedModeReply), e1);
        socket.close(e1);
      } else if (!e1 && !e2) {
        auto client = std::make_unique<Client>(NextClientId(), Endpoint(remote), Endpoint(local),
                                               clock_->NowMs());
        auto connection = std::make_shared<Connection>(this, &target, std::move(socket),
                                                       std::move(client), tls);
        Register(connection);
        asio::post(target, [connection] { connection->Start(); });
      }
    } else if (error == asio::error::operation_aborted) {
      return;
    } else {
      spdlog::warn("accept failed: {}", error.message());
    }
    Accept(acceptor, tls);
  });
}

// As Redis: with protected mode on and no password, only loopback clients get in.
bool Server::ProtectedModeRefuses(const asio::ip::address& address) const {
  if (!config_->Bool(OptionId::kProtectedMode) || acl::AuthRequired(*config_)) return false;
  if (address.is_loopback()) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return !asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return true;
}

void Server::ScheduleCron() {
  cron_timer_->expires_after(kCronPeriod);
  cron_timer_->async_wait([this](const boost::system::error_code& error) {
    if (error || shutting_down_) return;
    Cron();
    ScheduleCron();
  });
}

void Server::Cron() {
  store_->ExpireCycle(kExpireBudgetPerCron);
  int64_t now = clock_->NowMs();
  int64_t timeout_s = config_->Int(OptionId::kTimeout);
  int64_t request_timeout_ms = config_->Int(OptionId::kRequestTimeout);
  if ((timeout_s > 0 || request_timeout_ms > 0) && now - last_idle_check_ms_ >= 1000) {
    last_idle_check_ms_ = now;
    for (auto& connection : Clients()) {
      int64_t partial = connection->partial_since_ms();
      if (timeout_s > 0 && now - connection->client().last_interaction_ms() > timeout_s * 1000) {
        connection->Abort();
      } else if (request_timeout_ms > 0 && partial != 0 && now - partial > request_timeout_ms) {
        // A request trickling in (slowloris) or abandoned half-sent holds a client slot
        // and its buffer: it goes.
        spdlog::warn("client id={} addr={} closed: request incomplete for {} ms",
                     connection->client().id(), connection->client().addr(), now - partial);
        connection->Abort();
      }
    }
  }
}

size_t Server::client_count() const {
  std::lock_guard lock(clients_mu_);
  return clients_.size();
}

std::vector<std::shared_ptr<Connection>> Server::Clients() const {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard lock(clients_mu_);
  out.reserve(clients_.size());
  for (const auto& [id, weak] : clients_) {
    auto c = weak.lock();
    if (c && !c->killed()) out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->client().id() < b->client().id(); });
  return out;
}

std::shared_ptr<Connection> Server::FindClient(uint64_t id) const {
  std::lock_guard lock(clients_mu_);
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.lock();
}

void Server::Register(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(clients_mu_);
  clients_.emplace(connection->client().id(), connection);
}

void Server::Unregister(uint64_t id) {
  std::lock_guard lock(clients_mu_);
  clients_.erase(id);
}

void Server::Shutdown() {
  asio::post(main_context_, [this] { BeginShutdown(); });
}

void Server::BeginShutdown() {
  if (shutting_down_.exchange(true)) return;
  spdlog::info("shutting down: no new connections; finishing replies in flight");
  asio::post(*contexts_[0], [this] {
    boost::system::error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
    if (tls_acceptor_) tls_acceptor_->close(ignored);
    cron_timer_->cancel();
  });
  for (auto& connection : Clients()) connection->Drain();
  for (auto& guard : guards_) guard.reset();
  shutdown_deadline_ = std::make_unique<asio::steady_timer>(main_context_, kShutdownGrace);
  shutdown_deadline_->async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    spdlog::warn("shutdown grace period over: closing the remaining connections");
    barrier_->Abandon();  // a stopped thread runs no posted Park
    for (auto& context : contexts_) context->stop();
  });
}

void Server::Run() {
  asio::signal_set& signals = *signals_;
  signals.async_wait([this](const boost::system::error_code& error, int signal) {
    if (error) return;
    spdlog::info("received {}", signal == SIGINT ? "SIGINT" : "SIGTERM");
    BeginShutdown();
  });
  // The I/O threads end once every connection has closed; the main context waits for
  // that (or for the grace period) while still answering signals.
  std::thread joiner([this] {
    for (auto& t : threads_) t.join();
    main_context_.stop();
  });
  main_context_.run();
  joiner.join();
  threads_.clear();
  // Stopped last rather than in BeginShutdown, so that /health answers 503 while the
  // connections drain instead of refusing the connection.
  if (metrics_) metrics_->Stop();
  spdlog::info("crescentd stopped");
}

}  // namespace crescent::server
