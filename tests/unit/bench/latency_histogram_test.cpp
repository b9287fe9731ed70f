// LatencyHistogram: percentiles against the exact order statistics of known samples.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tools/crescent_bench/latency_histogram.h"
#include "tools/crescent_bench/workload.h"

using crescent::bench::LatencyHistogram;

namespace {

// The sample of rank ceil(q * n) (1-based), as Percentile defines it.
uint64_t ExactPercentile(std::vector<uint64_t> samples, double q) {
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
  rank = std::clamp<size_t>(rank, 1, samples.size());
  return samples[rank - 1];
}

}  // namespace

TEST_CASE("an empty histogram reports zero everywhere") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.Percentile(0.5) == 0);
  CHECK(h.Percentile(0.99) == 0);
  CHECK(h.max_ns() == 0);
  CHECK(h.mean_ns() == 0);
}

TEST_CASE("values below 128 ns are kept exactly") {
  LatencyHistogram h;
  for (uint64_t v = 0; v < 100; ++v) h.Record(v);
  CHECK(h.count() == 100);
  CHECK(h.Percentile(0.01) == 0);
  CHECK(h.Percentile(0.50) == 49);
  CHECK(h.Percentile(0.99) == 98);
  CHECK(h.Percentile(1.0) == 99);
  CHECK(h.mean_ns() == doctest::Approx(49.5));
}

TEST_CASE("percentiles are within 1/128 of the exact order statistic, from ns to minutes") {
  crescent::bench::Rng rng(7);
  std::vector<uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    // Log-uniform over 2^7 .. 2^37 ns (128 ns to about 2 minutes).
    double exponent = 7 + 30 * rng.Uniform();
    auto v = static_cast<uint64_t>(std::exp2(exponent));
    samples.push_back(v);
    h.Record(v);
  }
  for (double q : {0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999}) {
    CAPTURE(q);
    double exact = static_cast<double>(ExactPercentile(samples, q));
    double got = static_cast<double>(h.Percentile(q));
    CHECK(std::abs(got - exact) <= exact / 128 + 1);
  }
  CHECK(h.max_ns() == *std::max_element(samples.begin(), samples.end()));
}

TEST_CASE("a percentile never exceeds the largest sample") {
  LatencyHistogram h;
  // 1,000,001 lies in the bucket [999424, 1007616), whose midpoint is above it.
  h.Record(1000001);
  CHECK(h.Percentile(0.5) == 1000001);
  CHECK(h.Percentile(1.0) == 1000001);
}

TEST_CASE("the largest values land in the last buckets without overflow") {
  LatencyHistogram h;
  h.Record(UINT64_MAX);
  h.Record(1ull << 63);
  CHECK(h.count() == 2);
  CHECK(h.max_ns() == UINT64_MAX);
  CHECK(h.Percentile(0.5) >= (1ull << 63));
  CHECK(h.Percentile(1.0) == UINT64_MAX);
}

TEST_CASE("merging equals recording everything in one histogram") {
  LatencyHistogram a, b, all;
  crescent::bench::Rng rng(11);
  for (int i = 0; i < 50000; ++i) {
    uint64_t v = 1000 + rng.Below(5000000);
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.max_ns() == all.max_ns());
  CHECK(a.mean_ns() == doctest::Approx(all.mean_ns()));
  for (double q : {0.5, 0.9, 0.99, 0.999}) CHECK(a.Percentile(q) == all.Percentile(q));
}
