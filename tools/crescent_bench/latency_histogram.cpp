#include "tools/crescent_bench/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace crescent::bench {

uint64_t LatencyHistogram::LowerBound(int index) {
  if (index < static_cast<int>(2 * kSub)) return static_cast<uint64_t>(index);
  int rel = index - static_cast<int>(2 * kSub);
  int shift = rel / static_cast<int>(kSub) + 1;
  uint64_t sub = static_cast<uint64_t>(rel % static_cast<int>(kSub)) + kSub;
  return sub << shift;
}

uint64_t LatencyHistogram::Width(int index) {
  if (index < static_cast<int>(2 * kSub)) return 1;
  int shift = (index - static_cast<int>(2 * kSub)) / static_cast<int>(kSub) + 1;
  return 1ull << shift;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Percentile(double q) const {
  if (total_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
  rank = std::clamp<uint64_t>(rank, 1, total_);
  if (rank == total_) return max_;  // the largest sample is known exactly
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(max_, LowerBound(i) + Width(i) / 2);
  }
  return max_;
}

}  // namespace crescent::bench
