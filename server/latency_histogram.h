// LatencyHistogram: a fixed-bucket histogram of durations, for the per-command
// crescent_command_duration_seconds of /metrics.
//
// The bucket bounds are fixed at compile time (1 us .. 10 s in 1-2.5-5 steps) so that
// every node exposes the same `le` labels: Prometheus can then aggregate across nodes
// with histogram_quantile(sum by (le) ...). Changing them is a breaking change for
// dashboards, so don't.
//
// Record() is called on the request path by every I/O thread at once, so each bucket
// is a relaxed atomic: no lock, no ordering between buckets. A reader may therefore see
// one bucket incremented and the sum not yet; Read() takes the count as the sum of
// the buckets it read, so a rendered histogram is always self-consistent (+Inf bucket ==
// _count), and the _sum may lag by the calls in flight, which Prometheus tolerates.
//
// Thread-safe: any thread may call any method.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace crescent::server {

class LatencyHistogram {
 public:
  // Upper bounds in nanoseconds (inclusive, as Prometheus's `le`); one more bucket
  // beyond the last holds everything slower (the +Inf bucket).
  static constexpr std::array<uint64_t, 22> kBoundsNs = {
      1'000,          2'500,          5'000,          10'000,        25'000,
      50'000,         100'000,        250'000,        500'000,       1'000'000,
      2'500'000,      5'000'000,      10'000'000,     25'000'000,    50'000'000,
      100'000'000,    250'000'000,    500'000'000,    1'000'000'000, 2'500'000'000,
      5'000'000'000,  10'000'000'000};
  static constexpr size_t kBuckets = kBoundsNs.size() + 1;

  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};  // per bucket, not cumulative
    uint64_t count = 0;                       // sum of counts
    uint64_t sum_ns = 0;
  };

  void Record(uint64_t ns) {
    // A linear scan: 22 compares against constants beat a binary search for the short
    // durations that dominate (they stop in the first few buckets).
    size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  }

  Snapshot Read() const {
    Snapshot s;
    for (size_t i = 0; i < kBuckets; ++i) {
      s.counts[i] = counts_[i].load(std::memory_order_relaxed);
      s.count += s.counts[i];
    }
    s.sum_ns = sum_ns_.load(std::memory_order_relaxed);
    return s;
  }

  // CONFIG RESETSTAT. Not atomic as a whole: a call recorded meanwhile may survive in
  // one field and not another, as with the other statistics.
  void Reset() {
    for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
    sum_ns_.store(0, std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace crescent::server
