// LatencyHistogram: HdrHistogram-style log-linear buckets of nanoseconds.
//
// Values below 128 ns get a bucket each; above, every power of two is split into 64
// linear sub-buckets, so a reported percentile is within 1/64 (1.6%) of the true value.
// The counts live in a fixed array: Record() never allocates. Not thread-safe: each
// client thread owns one and the runner merges them after the threads have joined.
#pragma once

#include <array>
#include <cstdint>

namespace crescent::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;                    // 64 sub-buckets per power of two
  static constexpr uint64_t kSub = 1ull << kSubBits;
  static constexpr int kBuckets = 2 * kSub + (64 - kSubBits - 1) * kSub;

  void Record(uint64_t ns) {
    ++counts_[Index(ns)];
    ++total_;
    sum_ += ns;
    if (ns > max_) max_ = ns;
  }
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return total_; }
  uint64_t max_ns() const { return max_; }
  double mean_ns() const { return total_ ? static_cast<double>(sum_) / total_ : 0; }
  // The value below which a fraction q (0..1) of the samples lie: the midpoint of the
  // bucket that holds it, capped at the largest sample; q = 1 is the largest sample.
  uint64_t Percentile(double q) const;

 private:
  static int Index(uint64_t v) {
    if (v < 2 * kSub) return static_cast<int>(v);
    int msb = 63 - __builtin_clzll(v);  // >= kSubBits + 1
    int shift = msb - kSubBits;         // v >> shift is in [kSub, 2*kSub)
    return static_cast<int>(2 * kSub + (shift - 1) * kSub + ((v >> shift) - kSub));
  }
  static uint64_t LowerBound(int index);
  static uint64_t Width(int index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace crescent::bench
