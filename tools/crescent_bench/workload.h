// Named workloads: what each connection sends next.
//
// A Workload holds what the connections share (key naming, value sizes, the value
// buffer, the kvcache key generations and popularity table); it is built once before the
// client threads start and then only read, except for the atomics named below.
// Each connection gets its own RequestSource (its own random generator and state), used
// by one thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "tools/crescent_bench/options.h"
#include "tools/crescent_bench/resp_connection.h"

namespace crescent::bench {

enum class Op : uint8_t { kGet, kSet, kExists, kDel };
inline constexpr int kOpCount = 4;

struct Request {
  Op op = Op::kGet;
  uint32_t generation = 0;  // kvcache: which content a key slot holds
  uint64_t key = 0;         // key number (kvcache: slot)
  uint64_t value_len = 0;   // SET only
};

// Small, fast, seedable (splitmix64).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // The next request; false when this source has nothing more to send.
  virtual bool Next(Request* request) = 0;
  // The reply to a request this source produced (error replies included).
  virtual void OnReply(const Request& request, const Reply& reply) {}
};

class Workload {
 public:
  // Sizes the key set (kvcache: to fit opts.server_memory) and allocates the value buffer.
  explicit Workload(const BenchOptions& opts);

  const BenchOptions& options() const { return opts_; }
  uint64_t keyspace() const { return keyspace_; }
  uint64_t prefill_count() const { return prefill_count_; }
  size_t key_length() const;
  double mean_value_size() const;

  // Writes the key of (key, generation) to out (>= 256 bytes); returns its length.
  size_t FormatKey(uint64_t key, uint32_t generation, char* out) const;
  // The value size of (key, generation): fixed, or drawn from the range by a hash.
  uint64_t ValueLen(uint64_t key, uint32_t generation) const;
  // Bytes to send as the value of (key, generation); REQUIRES: len <= the largest size.
  const char* ValueData(uint64_t key, size_t len) const;

  // One per connection. `index` makes the random streams differ.
  std::unique_ptr<RequestSource> NewSource(int index);
  // Writes keys [0, prefill_count) once, shared by every connection that gets one.
  std::unique_ptr<RequestSource> NewPrefillSource();

  // kvcache: Zipf-distributed slot for a uniform draw u in [0, 1).
  uint64_t PopularSlot(double u) const;
  std::atomic<uint32_t>& generation(uint64_t slot) { return generations_[slot]; }
  std::atomic<uint64_t>& sequence() { return sequence_; }
  std::atomic<uint64_t>& prefill_cursor() { return prefill_cursor_; }

 private:
  BenchOptions opts_;
  uint64_t keyspace_ = 0;
  uint64_t prefill_count_ = 0;
  std::vector<char> values_;  // the largest value plus slack for varying offsets
  std::vector<double> zipf_cdf_;      // kvcache: cumulative popularity by rank
  std::vector<uint32_t> rank_to_slot_;  // kvcache: a shuffle so popular slots are spread
  std::unique_ptr<std::atomic<uint32_t>[]> generations_;
  std::atomic<uint64_t> sequence_{0};
  std::atomic<uint64_t> prefill_cursor_{0};
};

}  // namespace crescent::bench
