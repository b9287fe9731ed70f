// SlowLog: the last commands that took longer than slowlog-log-slower-than, as Redis
// keeps them (SLOWLOG GET/LEN/RESET). Any thread; one mutex, taken only for slow calls.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crescent::server {

struct SlowLogEntry {
  uint64_t id;
  int64_t unix_time_s;
  int64_t duration_us;
  std::vector<std::string> args;  // at most 32, each at most 128 bytes, as Redis trims
  std::string client_addr;
  std::string client_name;
};

class SlowLog {
 public:
  void Add(std::span<const std::string_view> args, int64_t unix_time_s, int64_t duration_us,
           std::string client_addr, std::string client_name, size_t max_len);
  std::vector<SlowLogEntry> Get(size_t count) const;  // newest first
  size_t size() const;
  void Reset();

 private:
  mutable std::mutex mu_;
  std::deque<SlowLogEntry> entries_;  // GUARDED_BY(mu_), newest at the front
  uint64_t next_id_ = 0;              // GUARDED_BY(mu_)
};

}  // namespace crescent::server
