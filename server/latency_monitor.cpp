#include "server/latency_monitor.h"

#include <algorithm>

namespace crescent::server {

void LatencyMonitor::Record(const std::string& event, int64_t unix_s, int64_t ms) {
  std::lock_guard lock(mu_);
  Event& e = events_[event];
  e.max_ms = std::max(e.max_ms, ms);
  // One sample per second: the largest latency of that second, as Redis keeps them.
  if (!e.samples.empty() && e.samples.back().unix_s == unix_s) {
    e.samples.back().ms = std::max(e.samples.back().ms, ms);
    return;
  }
  e.samples.push_back({unix_s, ms});
  if (e.samples.size() > kHistory) e.samples.pop_front();
}

std::map<std::string, LatencyMonitor::Event> LatencyMonitor::Snapshot() const {
  std::lock_guard lock(mu_);
  return events_;
}

size_t LatencyMonitor::Reset(const std::vector<std::string>& events) {
  std::lock_guard lock(mu_);
  if (events.empty()) {
    size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (const auto& name : events) n += events_.erase(name);
  return n;
}

}  // namespace crescent::server
