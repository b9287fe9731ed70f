// Workload and its request sources: key names, value sizes, key choice (uniform,
// sequential, Zipf), the prefill cursor, and the kvcache client's request sequence.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tools/crescent_bench/workload.h"

using namespace crescent::bench;

namespace {

std::string Key(const Workload& w, uint64_t key, uint32_t generation) {
  char buf[256];
  size_t n = w.FormatKey(key, generation, buf);
  REQUIRE(n <= sizeof(buf));
  return std::string(buf, n);
}

BenchOptions Options(WorkloadKind kind) {
  BenchOptions o;
  o.workload = kind;
  return o;
}

// kvcache over a key set of the given size (rather than one sized to the server).
BenchOptions KvCacheOptions(uint64_t keyspace) {
  BenchOptions o = Options(WorkloadKind::kKvCache);
  o.keyspace = keyspace;
  o.keyspace_given = true;
  return o;
}

Reply Integer(int64_t v) { return Reply{':', v, {}}; }
Reply Bulk(int64_t len) { return Reply{'$', len, {}}; }
Reply Status() { return Reply{'+', 0, "OK"}; }
Reply Error() { return Reply{'-', 0, "ERR no"}; }

}  // namespace

TEST_CASE("set, get and mixed keys are 'key:' and 12 digits") {
  Workload w(Options(WorkloadKind::kSet));
  CHECK(w.key_length() == 16);
  CHECK(Key(w, 0, 0) == "key:000000000000");
  CHECK(Key(w, 42, 0) == "key:000000000042");
  CHECK(Key(w, 999999999999, 0) == "key:999999999999");
}

TEST_CASE("kvcache keys are 140 bytes in LMCache's form, one per slot and generation") {
  BenchOptions o = Options(WorkloadKind::kKvCache);
  o.server_memory = 64ull << 20;
  Workload w(o);
  CHECK(w.key_length() == 140);
  std::set<std::string> seen;
  for (uint64_t slot : {0ull, 1ull, 2ull, 999ull, 123456789012ull}) {
    for (uint32_t generation : {0u, 1u, 2u, 4000000000u}) {
      std::string k = Key(w, slot, generation);
      CAPTURE(k);
      CHECK(k.size() == 140);
      CHECK(k.rfind("vllm@meta-llama/Llama-3.1-70B-Instruct@4@0@", 0) == 0);
      CHECK(k.find("@bfloat16@") != std::string::npos);
      CHECK(k == Key(w, slot, generation));  // deterministic
      seen.insert(k);
    }
  }
  CHECK(seen.size() == 20);
}

TEST_CASE("a fixed value size is the same for every key") {
  BenchOptions o = Options(WorkloadKind::kSet);
  o.value_min = o.value_max = 1024;
  Workload w(o);
  for (uint64_t k = 0; k < 100; ++k) CHECK(w.ValueLen(k, 0) == 1024);
  CHECK(w.mean_value_size() == doctest::Approx(1024));
}

TEST_CASE("sizes from a range are fixed per key and generation and cover the range") {
  BenchOptions o = Options(WorkloadKind::kSet);
  o.value_min = 1000;
  o.value_max = 2000;
  Workload w(o);
  uint64_t lo = UINT64_MAX, hi = 0;
  double sum = 0;
  for (uint64_t k = 0; k < 10000; ++k) {
    uint64_t len = w.ValueLen(k, 0);
    REQUIRE(len >= 1000);
    REQUIRE(len <= 2000);
    CHECK(len == w.ValueLen(k, 0));
    lo = std::min(lo, len);
    hi = std::max(hi, len);
    sum += static_cast<double>(len);
  }
  CHECK(lo < 1010);
  CHECK(hi > 1990);
  CHECK(sum / 10000 == doctest::Approx(1500).epsilon(0.02));
  int changed = 0;
  for (uint64_t k = 0; k < 100; ++k) changed += w.ValueLen(k, 0) != w.ValueLen(k, 1);
  CHECK(changed > 90);  // new content of a slot gets its own size
}

TEST_CASE("value bytes are printable and every key's value fits in the buffer") {
  BenchOptions o = Options(WorkloadKind::kSet);
  o.value_min = o.value_max = 100000;
  Workload w(o);
  for (uint64_t k = 0; k < 64; ++k) {
    const char* data = w.ValueData(k, 100000);
    // Reads the whole value: ASan checks it stays inside the buffer.
    CHECK(std::all_of(data, data + 100000, [](char c) { return c >= '!' && c <= '~'; }));
  }
}

TEST_CASE("each workload's prefill default") {
  BenchOptions o = Options(WorkloadKind::kSet);
  o.keyspace = 1000;
  CHECK(Workload(o).prefill_count() == 0);
  o.workload = WorkloadKind::kGet;
  CHECK(Workload(o).prefill_count() == 1000);
  o.workload = WorkloadKind::kMixed;
  CHECK(Workload(o).prefill_count() == 1000);
  o.prefill_fraction = 0.25;
  CHECK(Workload(o).prefill_count() == 250);
}

TEST_CASE("kvcache: 1-4 MiB values and a key set that fills at most 80% of the server") {
  BenchOptions o = Options(WorkloadKind::kKvCache);
  o.server_memory = 2ull << 30;
  Workload w(o);
  CHECK(w.options().value_min == 1 << 20);
  CHECK(w.options().value_max == 4 << 20);
  double per_key = w.mean_value_size() + 140;
  CHECK(static_cast<double>(w.keyspace()) * per_key <= 0.8 * static_cast<double>(o.server_memory));
  CHECK(static_cast<double>(w.keyspace() + 1) * per_key > 0.75 * static_cast<double>(o.server_memory));
  CHECK(w.prefill_count() == static_cast<uint64_t>(0.8 * static_cast<double>(w.keyspace())));

  o.keyspace = 77;
  o.keyspace_given = true;
  o.value_min = o.value_max = 4096;
  o.value_size_given = true;
  Workload given(o);
  CHECK(given.keyspace() == 77);
  CHECK(given.options().value_max == 4096);
}

TEST_CASE("kvcache popularity follows Zipf's law over a shuffled key set") {
  BenchOptions o = KvCacheOptions(1000);
  o.value_size_given = true;
  o.value_min = o.value_max = 16;
  Workload w(o);
  Rng rng(3);
  std::map<uint64_t, int> counts;
  constexpr int kDraws = 1000000;
  for (int i = 0; i < kDraws; ++i) {
    uint64_t slot = w.PopularSlot(rng.Uniform());
    REQUIRE(slot < 1000);
    ++counts[slot];
  }
  std::vector<int> by_rank;
  for (auto& [slot, n] : counts) by_rank.push_back(n);
  std::sort(by_rank.rbegin(), by_rank.rend());
  double harmonic = 0;
  for (int i = 1; i <= 1000; ++i) harmonic += 1.0 / i;
  // With s = 1 the rank-r key is drawn with probability 1 / (r * H(1000)).
  CHECK(by_rank[0] / static_cast<double>(kDraws) == doctest::Approx(1 / harmonic).epsilon(0.03));
  CHECK(by_rank[1] / static_cast<double>(by_rank[0]) == doctest::Approx(0.5).epsilon(0.05));
  CHECK(by_rank[9] / static_cast<double>(by_rank[0]) == doctest::Approx(0.1).epsilon(0.1));
  // The most popular slots are spread over the key set, not 0, 1, 2...
  CHECK(w.PopularSlot(0.0) != 0);
  CHECK(w.PopularSlot(0.0) != w.PopularSlot(0.99999));
}

TEST_CASE("with --zipf 0 every kvcache slot is as popular as another") {
  BenchOptions o = KvCacheOptions(100);
  o.zipf_s = 0;
  Workload w(o);
  Rng rng(5);
  std::vector<int> counts(100);
  for (int i = 0; i < 200000; ++i) ++counts[w.PopularSlot(rng.Uniform())];
  for (int n : counts) CHECK(n == doctest::Approx(2000).epsilon(0.15));
}

TEST_CASE("sequential keys are shared by every connection: each key once per pass") {
  BenchOptions o = Options(WorkloadKind::kSet);
  o.keyspace = 300;
  o.key_pattern = KeyPattern::kSequential;
  Workload w(o);
  auto a = w.NewSource(0), b = w.NewSource(1), c = w.NewSource(2);
  std::vector<int> seen(300);
  Request r;
  for (int i = 0; i < 100; ++i) {
    for (RequestSource* s : {a.get(), b.get(), c.get()}) {
      REQUIRE(s->Next(&r));
      CHECK(r.op == Op::kSet);
      ++seen[r.key];
    }
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  REQUIRE(a->Next(&r));
  CHECK(r.key == 0);  // the next pass starts over
}

TEST_CASE("random keys: uniform over the key set, and each connection draws its own") {
  BenchOptions o = Options(WorkloadKind::kGet);
  o.keyspace = 50;
  Workload w(o);
  auto a = w.NewSource(0), b = w.NewSource(1);
  std::vector<int> counts(50);
  int same = 0;
  Request ra, rb;
  for (int i = 0; i < 100000; ++i) {
    REQUIRE(a->Next(&ra));
    REQUIRE(b->Next(&rb));
    CHECK(ra.op == Op::kGet);
    ++counts[ra.key];
    same += ra.key == rb.key;
  }
  for (int n : counts) CHECK(n == doctest::Approx(2000).epsilon(0.1));
  CHECK(same < 4000);  // independent streams agree about 1 time in 50
}

TEST_CASE("mixed sends GETs at --get-ratio and SETs with the key's value size") {
  BenchOptions o = Options(WorkloadKind::kMixed);
  o.get_ratio = 0.3;
  o.value_min = o.value_max = 512;
  Workload w(o);
  auto s = w.NewSource(0);
  int gets = 0;
  Request r;
  for (int i = 0; i < 100000; ++i) {
    REQUIRE(s->Next(&r));
    if (r.op == Op::kGet) {
      ++gets;
      CHECK(r.value_len == 0);
    } else {
      REQUIRE(r.op == Op::kSet);
      CHECK(r.value_len == 512);
    }
  }
  CHECK(gets == doctest::Approx(30000).epsilon(0.03));
}

TEST_CASE("prefill writes every key below the prefill count exactly once across connections") {
  BenchOptions o = Options(WorkloadKind::kGet);
  o.keyspace = 1001;
  o.value_min = 10;
  o.value_max = 20;
  Workload w(o);
  auto a = w.NewPrefillSource(), b = w.NewPrefillSource();
  std::vector<int> seen(1001);
  Request r;
  bool more_a = true, more_b = true;
  while (more_a || more_b) {
    if (more_a && (more_a = a->Next(&r))) {
      CHECK(r.op == Op::kSet);
      CHECK(r.value_len == w.ValueLen(r.key, 0));
      ++seen[r.key];
    }
    if (more_b && (more_b = b->Next(&r))) ++seen[r.key];
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  CHECK_FALSE(a->Next(&r));
}

TEST_CASE("kvcache: EXISTS, then GET on a hit or SET on a miss, one request at a time") {
  BenchOptions o = KvCacheOptions(100);
  o.miss_ratio = 0;  // lookups of known content only
  Workload w(o);
  auto s = w.NewSource(0);
  Request exists, next;

  SUBCASE("a hit is EXISTS then GET of the same key") {
    REQUIRE(s->Next(&exists));
    CHECK(exists.op == Op::kExists);
    CHECK(exists.generation == 0);
    s->OnReply(exists, Integer(1));
    REQUIRE(s->Next(&next));
    CHECK(next.op == Op::kGet);
    CHECK(next.key == exists.key);
    CHECK(next.generation == exists.generation);
    s->OnReply(next, Bulk(4 << 20));
    REQUIRE(s->Next(&next));
    CHECK(next.op == Op::kExists);
  }
  SUBCASE("a miss is EXISTS then SET of the key's size, then the next lookup") {
    REQUIRE(s->Next(&exists));
    s->OnReply(exists, Integer(0));
    REQUIRE(s->Next(&next));
    CHECK(next.op == Op::kSet);
    CHECK(next.key == exists.key);
    CHECK(next.value_len == w.ValueLen(exists.key, exists.generation));
    s->OnReply(next, Status());
    REQUIRE(s->Next(&next));
    CHECK(next.op == Op::kExists);
  }
  SUBCASE("a GET that finds nothing (evicted after EXISTS) writes the value") {
    REQUIRE(s->Next(&exists));
    s->OnReply(exists, Integer(1));
    REQUIRE(s->Next(&next));
    s->OnReply(next, Bulk(-1));
    REQUIRE(s->Next(&next));
    CHECK(next.op == Op::kSet);
    CHECK(next.key == exists.key);
  }
  SUBCASE("an error reply goes back to a new lookup") {
    REQUIRE(s->Next(&exists));
    s->OnReply(exists, Integer(0));
    REQUIRE(s->Next(&next));
    REQUIRE(next.op == Op::kSet);
    s->OnReply(next, Error());
    REQUIRE(s->Next(&next));
    CHECK(next.op == Op::kExists);
  }
}

TEST_CASE("kvcache: new content takes the slot's next generation and deletes the old key") {
  BenchOptions o = KvCacheOptions(100);
  o.miss_ratio = 1;  // every lookup is for new content
  Workload w(o);
  auto s = w.NewSource(0);
  Request exists, set, del, next;
  REQUIRE(s->Next(&exists));
  CHECK(exists.op == Op::kExists);
  CHECK(exists.generation == 1);
  CHECK(w.generation(exists.key).load() == 1);
  s->OnReply(exists, Integer(0));
  REQUIRE(s->Next(&set));
  CHECK(set.op == Op::kSet);
  CHECK(set.generation == 1);
  s->OnReply(set, Status());
  REQUIRE(s->Next(&del));
  CHECK(del.op == Op::kDel);
  CHECK(del.key == exists.key);
  CHECK(del.generation == 0);
  s->OnReply(del, Integer(1));
  REQUIRE(s->Next(&next));
  CHECK(next.op == Op::kExists);
}

TEST_CASE("kvcache: about --miss-ratio of the lookups are for new content") {
  BenchOptions o = KvCacheOptions(1000);
  o.miss_ratio = 0.2;
  Workload w(o);
  auto s = w.NewSource(0);
  constexpr int kLookups = 50000;
  Request r;
  for (int i = 0; i < kLookups; ++i) {
    REQUIRE(s->Next(&r));
    REQUIRE(r.op == Op::kExists);
    s->OnReply(r, Integer(1));
    REQUIRE(s->Next(&r));
    REQUIRE(r.op == Op::kGet);
    s->OnReply(r, Bulk(100));
  }
  uint64_t new_content = 0;
  for (uint64_t slot = 0; slot < 1000; ++slot) new_content += w.generation(slot).load();
  CHECK(static_cast<double>(new_content) == doctest::Approx(0.2 * kLookups).epsilon(0.05));
}
