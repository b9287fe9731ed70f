// LatencyMonitor: Redis's latency monitor (LATENCY LATEST / HISTORY / RESET). When a
// command takes at least latency-monitor-threshold milliseconds (0: off, Redis's
// default), the "command" event records it: per second, the largest latency seen; the
// last 160 samples are kept. Any thread; one mutex, taken only for slow calls.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace crescent::server {

class LatencyMonitor {
 public:
  static constexpr size_t kHistory = 160;  // Redis's LATENCY_TS_LEN

  struct Sample {
    int64_t unix_s;
    int64_t ms;
  };
  struct Event {
    std::deque<Sample> samples;  // oldest first
    int64_t max_ms = 0;          // all time
  };

  void Record(const std::string& event, int64_t unix_s, int64_t ms);
  std::map<std::string, Event> Snapshot() const;
  // Forgets the named events (all when empty); returns how many were reset.
  size_t Reset(const std::vector<std::string>& events);

 private:
  mutable std::mutex mu_;
  std::map<std::string, Event> events_;  // GUARDED_BY(mu_)
};

}  // namespace crescent::server
