#include "tools/crescent_bench/workload.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace crescent::bench {
namespace {

constexpr size_t kKvKeyLength = 140;
// LMCache's key: fmt@model@world_size@worker_id@chunk_hash (a SHA-256 in hex), plus the
// dtype and this slot's identity so that every (slot, generation) is a distinct key.
constexpr std::string_view kKvKeyPrefix = "vllm@meta-llama/Llama-3.1-70B-Instruct@4@0@";
constexpr std::string_view kKvKeySuffix = "@bfloat16@";
constexpr uint64_t kValueSlack = 4096;

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

char* WriteHex(char* out, uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = kHex[v & 15];
    v >>= 4;
  }
  return out + digits;
}

char* WriteDecimalPadded(char* out, uint64_t v, int width) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), v);
  int n = static_cast<int>(end - digits);
  for (int i = n; i < width; ++i) *out++ = '0';
  std::memcpy(out, digits, n);
  return out + n;
}

// set / get / mixed: uniform or sequential keys, one fixed operation mix.
class SimpleSource : public RequestSource {
 public:
  SimpleSource(Workload* w, uint64_t seed) : w_(w), rng_(seed) {}
  bool Next(Request* r) override {
    const BenchOptions& o = w_->options();
    r->key = o.key_pattern == KeyPattern::kSequential
                 ? w_->sequence().fetch_add(1, std::memory_order_relaxed) % w_->keyspace()
                 : rng_.Below(w_->keyspace());
    r->generation = 0;
    bool get = o.workload == WorkloadKind::kGet ||
               (o.workload == WorkloadKind::kMixed && rng_.Uniform() < o.get_ratio);
    r->op = get ? Op::kGet : Op::kSet;
    r->value_len = get ? 0 : w_->ValueLen(r->key, 0);
    return true;
  }

 private:
  Workload* w_;
  Rng rng_;
};

// Writes keys [0, prefill_count) once across all connections that share the cursor.
class PrefillSource : public RequestSource {
 public:
  explicit PrefillSource(Workload* w) : w_(w) {}
  bool Next(Request* r) override {
    uint64_t key = w_->prefill_cursor().fetch_add(1, std::memory_order_relaxed);
    if (key >= w_->prefill_count()) return false;
    *r = Request{Op::kSet, 0, key, w_->ValueLen(key, 0)};
    return true;
  }

 private:
  Workload* w_;
};

// LMCache's RESP client, one request at a time: EXISTS key; on 1, GET key; on 0 (or a
// GET that finds nothing), SET key. A lookup is for new content with probability
// miss_ratio: the slot (drawn uniformly) moves to its next generation, a key nobody has
// written, and after the SET the old generation's key is deleted so that the key set,
// sized to fit the server's memory, keeps its size. Otherwise the slot is drawn by Zipf
// popularity and is a hit unless it was never filled.
class KvCacheSource : public RequestSource {
 public:
  KvCacheSource(Workload* w, uint64_t seed) : w_(w), rng_(seed) {}

  bool Next(Request* r) override {
    switch (state_) {
      case State::kLookup: {
        const BenchOptions& o = w_->options();
        if (rng_.Uniform() < o.miss_ratio) {
          slot_ = rng_.Below(w_->keyspace());
          old_generation_ = w_->generation(slot_).fetch_add(1, std::memory_order_relaxed);
          generation_ = old_generation_ + 1;
          delete_old_ = true;
        } else {
          slot_ = w_->PopularSlot(rng_.Uniform());
          generation_ = w_->generation(slot_).load(std::memory_order_relaxed);
          delete_old_ = false;
        }
        *r = Request{Op::kExists, generation_, slot_, 0};
        return true;
      }
      case State::kGet:
        *r = Request{Op::kGet, generation_, slot_, 0};
        return true;
      case State::kSet:
        *r = Request{Op::kSet, generation_, slot_, w_->ValueLen(slot_, generation_)};
        return true;
      case State::kDelete:
        *r = Request{Op::kDel, old_generation_, slot_, 0};
        return true;
    }
    return false;
  }

  void OnReply(const Request& req, const Reply& reply) override {
    if (reply.type == '-') {
      state_ = State::kLookup;
      return;
    }
    switch (req.op) {
      case Op::kExists:
        state_ = reply.type == ':' && reply.integer > 0 ? State::kGet : State::kSet;
        break;
      case Op::kGet:
        state_ = reply.type == '$' && reply.integer >= 0 ? State::kLookup : State::kSet;
        break;
      case Op::kSet:
        state_ = delete_old_ ? State::kDelete : State::kLookup;
        break;
      case Op::kDel:
        state_ = State::kLookup;
        break;
    }
  }

 private:
  enum class State { kLookup, kGet, kSet, kDelete };
  Workload* w_;
  Rng rng_;
  State state_ = State::kLookup;
  uint64_t slot_ = 0;
  uint32_t generation_ = 0;
  uint32_t old_generation_ = 0;
  bool delete_old_ = false;
};

}  // namespace

Workload::Workload(const BenchOptions& opts) : opts_(opts) {
  bool kv = opts_.workload == WorkloadKind::kKvCache;
  if (kv && !opts_.value_size_given) {
    opts_.value_min = 1ull << 20;
    opts_.value_max = 4ull << 20;
  }
  if (opts_.prefill_fraction < 0) {
    switch (opts_.workload) {
      case WorkloadKind::kSet: opts_.prefill_fraction = 0; break;
      case WorkloadKind::kGet:
      case WorkloadKind::kMixed: opts_.prefill_fraction = 1; break;
      case WorkloadKind::kKvCache: opts_.prefill_fraction = 0.8; break;
    }
  }
  keyspace_ = opts_.keyspace;
  if (kv && !opts_.keyspace_given) {
    // Every slot filled must stay below 80% of the server's memory (eviction starts
    // at 90% in Crescent; Redis's allocator rounds large values up by up to 25%).
    double per_key = mean_value_size() + key_length() + 128;
    keyspace_ = std::max<uint64_t>(1, static_cast<uint64_t>(0.8 * opts_.server_memory / per_key));
  }
  prefill_count_ = static_cast<uint64_t>(opts_.prefill_fraction * static_cast<double>(keyspace_));

  values_.resize(opts_.value_max + kValueSlack);
  Rng fill(opts_.seed ^ 0x5eed);
  for (size_t i = 0; i < values_.size(); i += 8) {
    uint64_t v = fill.Next();
    std::memcpy(values_.data() + i, &v, std::min<size_t>(8, values_.size() - i));
  }
  for (char& c : values_) c = static_cast<char>('!' + (static_cast<unsigned char>(c) % 94));

  if (kv) {
    generations_ = std::make_unique<std::atomic<uint32_t>[]>(keyspace_);
    for (uint64_t i = 0; i < keyspace_; ++i) generations_[i].store(0);
    zipf_cdf_.resize(keyspace_);
    double sum = 0;
    for (uint64_t i = 0; i < keyspace_; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i + 1), opts_.zipf_s);
      zipf_cdf_[i] = sum;
    }
    for (double& c : zipf_cdf_) c /= sum;
    rank_to_slot_.resize(keyspace_);
    for (uint64_t i = 0; i < keyspace_; ++i) rank_to_slot_[i] = static_cast<uint32_t>(i);
    Rng shuffle(opts_.seed ^ 0xcafe);
    for (uint64_t i = keyspace_; i > 1; --i) std::swap(rank_to_slot_[i - 1], rank_to_slot_[shuffle.Below(i)]);
  }
}

size_t Workload::key_length() const {
  if (opts_.workload == WorkloadKind::kKvCache) return kKvKeyLength;
  return 16;
}

double Workload::mean_value_size() const {
  return (static_cast<double>(opts_.value_min) + static_cast<double>(opts_.value_max)) / 2;
}

size_t Workload::FormatKey(uint64_t key, uint32_t generation, char* out) const {
  if (opts_.workload != WorkloadKind::kKvCache) {
    std::memcpy(out, "key:", 4);
    return static_cast<size_t>(WriteDecimalPadded(out + 4, key, 12) - out);
  }
  char* p = out;
  std::memcpy(p, kKvKeyPrefix.data(), kKvKeyPrefix.size());
  p += kKvKeyPrefix.size();
  uint64_t h = Mix(key * 0x100000001b3ull ^ generation);
  for (int i = 0; i < 4; ++i) p = WriteHex(p, h = Mix(h), 16);  // the "SHA-256"
  std::memcpy(p, kKvKeySuffix.data(), kKvKeySuffix.size());
  p += kKvKeySuffix.size();
  p = WriteDecimalPadded(p, key, 12);
  *p++ = '-';
  size_t used = static_cast<size_t>(p - out);
  p = WriteDecimalPadded(p, generation, static_cast<int>(kKvKeyLength - used));
  return static_cast<size_t>(p - out);
}

uint64_t Workload::ValueLen(uint64_t key, uint32_t generation) const {
  if (opts_.value_min == opts_.value_max) return opts_.value_min;
  uint64_t span = opts_.value_max - opts_.value_min + 1;
  return opts_.value_min + Mix(key ^ (static_cast<uint64_t>(generation) << 40)) % span;
}

const char* Workload::ValueData(uint64_t key, size_t len) const {
  (void)len;
  return values_.data() + (key % 64) * (kValueSlack / 64);
}

uint64_t Workload::PopularSlot(double u) const {
  auto it = std::upper_bound(zipf_cdf_.begin(), zipf_cdf_.end(), u);
  size_t rank = std::min<size_t>(static_cast<size_t>(it - zipf_cdf_.begin()), keyspace_ - 1);
  return rank_to_slot_[rank];
}

std::unique_ptr<RequestSource> Workload::NewSource(int index) {
  uint64_t seed = Mix(opts_.seed * 1000003ull + static_cast<uint64_t>(index));
  if (opts_.workload == WorkloadKind::kKvCache) return std::make_unique<KvCacheSource>(this, seed);
  return std::make_unique<SimpleSource>(this, seed);
}

std::unique_ptr<RequestSource> Workload::NewPrefillSource() {
  return std::make_unique<PrefillSource>(this);
}

}  // namespace crescent::bench
