// MonitorFeed: the clients in MONITOR mode and the line each command becomes for them,
// as Redis writes it: +<unix seconds>.<microseconds> [<db> <client addr>] "arg" "arg"...
// with every argument quoted and escaped (sdscatrepr's rules), so the line holds no CR
// or LF. Administrative commands and AUTH / HELLO are not shown (they may carry
// passwords), as in Redis.
//
// The request path pays one relaxed atomic load when nobody monitors. Lines go to each
// monitor through its own I/O thread (Connection::Feed). Any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crescent::server {

class Connection;

class MonitorFeed {
 public:
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }
  void Add(const std::shared_ptr<Connection>& connection);
  // Sends the command to every monitor but `from` (its own client id).
  void Feed(uint64_t from, std::string_view client_addr, int64_t now_us,
            std::span<const std::string_view> args);
  void Remove(uint64_t client_id);

  // The line for one command (without the leading '+' and CRLF).
  static std::string Format(int64_t now_us, std::string_view client_addr,
                            std::span<const std::string_view> args);

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<Connection>> monitors_;  // GUARDED_BY(mu_)
  std::atomic<size_t> count_{0};
};

}  // namespace crescent::server
