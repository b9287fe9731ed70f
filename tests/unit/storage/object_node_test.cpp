// The object table's compact nodes: what a small object costs, values moving between
// inline and out-of-line storage with their metadata intact, long keys, all-or-nothing
// writes when the home segment is full, and the LFU and TTL eviction orders.
#include <doctest/doctest.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "config/options.h"
#include "storage/store.h"

using namespace crescent;
using namespace crescent::storage;

namespace {

std::unique_ptr<Store> MakeStore(const Clock* clock, size_t capacity = 16 << 20,
                                 const config::Config* config = nullptr) {
  StoreOptions options;
  options.memory_capacity = capacity;
  options.huge_pages = false;
  options.background_eviction = false;
  options.config = config;
  auto store = Store::Create(options, clock);
  REQUIRE(store.ok());
  return std::move(store).value();
}

Status Set(Store& store, std::string_view key, std::string_view value,
           UpdateDecision::Ttl ttl = UpdateDecision::Ttl::kClear, int64_t expire_at = kNoExpiry) {
  return store.Update(key, [&](const CurrentValue&) {
    UpdateDecision d;
    d.value = UpdateDecision::Value::kWrite;
    d.new_value = value;
    d.ttl = ttl;
    d.expire_at_ms = expire_at;
    return d;
  });
}

std::optional<std::string> Read(Store& store, std::string_view key) {
  std::optional<std::string> out;
  store.Get(key, [&](const ValueView& v) { out.emplace(v.bytes()); }, false);
  return out;
}

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%012d", i);  // 16 bytes, as the benchmarks use
  return buf;
}

}  // namespace

TEST_CASE("a small object is one pool allocation of node, key and value") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  const std::string value(100, 'v');
  const size_t before = store->GetStats().pool_used;
  const size_t heap_before = mallinfo2().uordblks;
  for (int i = 0; i < 10000; ++i) REQUIRE(Set(*store, Key(i), value).ok());
  const size_t heap_after = mallinfo2().uordblks;
  StoreStats stats = store->GetStats();
  // 32-byte node + 16-byte key + 100-byte value = 148 bytes, in the 152-byte class.
  CHECK(stats.pool_used - before == 10000 * 152);
  CHECK(stats.value_bytes == 10000 * 100);
  auto usage = store->MemoryUsage(Key(7));
  REQUIRE(usage);
  CHECK(*usage == 152 + sizeof(void*));
  // Nothing per key on the heap: the table's memory outside the pool is its buckets
  // (and INFO's used_memory, pool plus metadata, counts each byte once).
  CHECK(heap_after - heap_before < 10000 * 24);
  CHECK(stats.metadata_bytes < 10000 * 24);
  for (int i = 0; i < 10000; i += 997) CHECK(Read(*store, Key(i)) == value);
  store->Clear();
  CHECK(store->GetStats().pool_used == before);
}

TEST_CASE("a value moving between inline and out of line keeps its TTL and pins") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  using T = UpdateDecision::Ttl;
  const int64_t expire_at = clock.NowMs() + 60'000;
  const size_t metadata_before = store->GetStats().metadata_bytes;
  PutOptions pinned;
  pinned.overwrite = true;
  pinned.config.soft_pin = true;
  pinned.config.hard_pin = true;
  pinned.expire_at_ms = expire_at;
  REQUIRE(store->PutObject("k", "small", pinned).ok());
  const std::string large(40 * 1024, 'L');  // out of line, pinnable
  const std::string medium(5000, 'M');      // out of line, copied by readers
  for (const std::string& value : {large, std::string("tiny"), medium, std::string(4096, 'I'),
                                   std::string()}) {
    CAPTURE(value.size());
    // A rewrite (as SET KEEPTTL, or APPEND) keeps the expiry and the object's pins.
    REQUIRE(Set(*store, "k", value, T::kKeep).ok());
    CHECK(Read(*store, "k") == value);
    CHECK(store->GetExpiry("k") == expire_at);
    auto info = store->Query("k", false);
    REQUIRE(info);
    CHECK(info->hard_pin);
    CHECK(info->soft_pin_until_ms > clock.NowMs());
    CHECK(info->size == value.size());
    CHECK(info->replicas.size() == (value.empty() ? 0u : 1u));
  }
  CHECK(store->Remove("k"));
  StoreStats stats = store->GetStats();
  CHECK(stats.pool_used == 0);
  // Heap nodes counted in and out as the object moved (a freed ext slot stays for reuse).
  CHECK(stats.metadata_bytes >= metadata_before);
  CHECK(stats.metadata_bytes <= metadata_before + 256);
  CHECK(stats.keys_with_expiry == 0);
  CHECK(stats.hard_pinned_objects == 0);
}

TEST_CASE("keys of 64 KiB and more, inline and out of line") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  const std::string long_key(70'000, 'k');
  const std::string other_key = long_key + "2";
  REQUIRE(Set(*store, long_key, "inline").ok());
  REQUIRE(Set(*store, other_key, std::string(20'000, 'o')).ok());
  CHECK(Read(*store, long_key) == "inline");
  CHECK(Read(*store, other_key) == std::string(20'000, 'o'));
  std::vector<std::string> seen;
  store->ForEachKey([&](std::string_view k) { seen.emplace_back(k); });
  CHECK(seen.size() == 2);
  for (const auto& k : seen) CHECK((k == long_key || k == other_key));
  CHECK(store->Rename(long_key, "short", false) == Store::RenameResult::kRenamed);
  CHECK(store->Rename(other_key, long_key, false) == Store::RenameResult::kRenamed);
  CHECK(Read(*store, "short") == "inline");
  CHECK(Read(*store, long_key) == std::string(20'000, 'o'));
  CHECK_FALSE(Read(*store, other_key));
}

TEST_CASE("RENAME of a small value keeps its TTL and replaces the target") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  const int64_t expire_at = clock.NowMs() + 5000;
  REQUIRE(Set(*store, "src", "value", UpdateDecision::Ttl::kSet, expire_at).ok());
  REQUIRE(Set(*store, "dst", std::string(30'000, 'd')).ok());
  CHECK(store->Rename("src", "dst", false) == Store::RenameResult::kRenamed);
  CHECK(Read(*store, "dst") == "value");
  CHECK(store->GetExpiry("dst") == expire_at);
  CHECK_FALSE(Read(*store, "src"));
  clock.Advance(5001);
  CHECK_FALSE(Read(*store, "dst"));
  CHECK(store->GetStats().pool_used == 0);
}

TEST_CASE("a full home segment fails small writes whole, and the node's segment stays") {
  ManualClock clock;
  auto store = MakeStore(&clock, 4 << 20);
  PutOptions pinned;
  pinned.config.hard_pin = true;
  const std::string chunk(512 * 1024, 'z');
  for (int i = 0;; ++i) {
    Status s = store->PutObject("pinned" + std::to_string(i), chunk, pinned);
    if (!s.ok()) {
      REQUIRE(s.code() == StatusCode::kOutOfMemory);
      break;
    }
  }
  // Fill the last bytes with small hard-pinned objects until even those fail. Every key
  // below has 10 bytes, so every node (32 + 10 + 200 bytes) is of one size class.
  auto key10 = [](char prefix, int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%c%09d", prefix, i);
    return std::string(buf);
  };
  const std::string value(200, 's');
  for (int i = 0;; ++i) {
    if (!store->PutObject(key10('s', i), value, pinned).ok()) break;
  }
  const size_t keys = store->Size();
  const std::string mset_names[] = {key10('m', 1), key10('m', 2), key10('m', 3)};
  std::vector<std::string_view> mset_keys(std::begin(mset_names), std::end(mset_names));
  std::vector<PreparedValue> values;
  for (int i = 0; i < 3; ++i) {
    auto v = store->Prepare(value);
    REQUIRE(v.ok());  // held outside the pool until commit
    values.push_back(std::move(v).value());
  }
  auto applied = store->MultiSet(mset_keys, values, false);
  CHECK(applied.status().code() == StatusCode::kOutOfMemory);
  CHECK(store->Size() == keys);
  CHECK_FALSE(store->Exists(mset_names[0]));
  CHECK(Set(*store, key10('x', 1), value).code() == StatusCode::kOutOfMemory);
  CHECK(store->Rename(key10('s', 0), key10('r', 0), false) == Store::RenameResult::kOutOfMemory);
  CHECK(Read(*store, key10('s', 0)) == value);
  auto unmount = store->UnmountSegment("local");
  CHECK(unmount.status().code() == StatusCode::kInvalidArgument);
  CHECK(store->Segments().size() == 1);
}

TEST_CASE("LFU eviction keeps the frequently read") {
  ManualClock clock;
  config::Config config;
  REQUIRE(config.Set("eviction-policy", "lfu").ok());
  auto store = MakeStore(&clock, 8 << 20, &config);
  store->Evict(0);  // applies the policy
  const std::string value(64 * 1024, 'v');
  for (int i = 0; i < 64; ++i) REQUIRE(store->PutObject(Key(i), value, {}).ok());
  // The even keys are read often, the odd ones once; recency favours the odd ones.
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 64; i += 2) CHECK(Read(*store, Key(i)));
  }
  for (int i = 1; i < 64; i += 2) CHECK(Read(*store, Key(i)));
  store->Evict(24 * value.size());
  int hot_left = 0, cold_left = 0;
  for (int i = 0; i < 64; i += 2) hot_left += store->Exists(Key(i));
  for (int i = 1; i < 64; i += 2) cold_left += store->Exists(Key(i));
  CHECK(hot_left >= 28);
  CHECK(cold_left <= 14);
}

TEST_CASE("TTL eviction takes the nearest expiry first and keys without a TTL last") {
  ManualClock clock;
  config::Config config;
  REQUIRE(config.Set("eviction-policy", "ttl").ok());
  auto store = MakeStore(&clock, 8 << 20, &config);
  store->Evict(0);
  const std::string value(64 * 1024, 'v');
  const int64_t now = clock.NowMs();
  for (int i = 0; i < 48; ++i) {
    PutOptions o;
    // 0-15: no TTL; 16-31: an hour; 32-47: a minute.
    if (i >= 16) o.expire_at_ms = now + (i < 32 ? 3'600'000 : 60'000);
    REQUIRE(store->PutObject(Key(i), value, o).ok());
  }
  store->Evict(8 * value.size());
  int no_ttl = 0, hour = 0, minute = 0;
  for (int i = 0; i < 16; ++i) no_ttl += store->Exists(Key(i));
  for (int i = 16; i < 32; ++i) hour += store->Exists(Key(i));
  for (int i = 32; i < 48; ++i) minute += store->Exists(Key(i));
  // Sampling approximates the order (as Redis's does): a sample with fewer short TTLs
  // than it evicts takes a longer one.
  MESSAGE("left: no TTL ", no_ttl, ", an hour ", hour, ", a minute ", minute);
  CHECK(no_ttl == 16);
  CHECK(hour >= 14);
  CHECK(minute <= 10);
  CHECK(no_ttl + hour + minute == 40);
}

TEST_CASE("leases on the 32-bit table clock end, even weeks later") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(store->PutObject("k", "v", {}).ok());
  CHECK(store->Exists("k", true));  // default lease-ttl 10 s
  CHECK(store->RemoveObject("k", false).code() == StatusCode::kHasLease);
  auto info = store->Query("k", false);
  REQUIRE(info);
  CHECK(info->lease_until_ms == clock.NowMs() + 10'000);
  // Past the half-range of the 32-bit clock the comparison alone would see the lease
  // as current again; the hourly sweep of ExpireCycle has cleared it by then.
  for (int day = 0; day < 25; ++day) {
    clock.Advance(24LL * 3600 * 1000);
    store->ExpireCycle(100);
  }
  CHECK(store->RemoveObject("k", false).ok());
  CHECK(store->PutObject("k", "v", {}).ok());
  CHECK(store->Exists("k", true));
  CHECK(store->RemoveObject("k", false).code() == StatusCode::kHasLease);
}

TEST_CASE("an overwrite that fits the node's size class is made in place") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(Set(*store, Key(1), std::string(100, 'a')).ok());  // 148 bytes: class 152
  const size_t used = store->GetStats().pool_used;
  auto before = store->Query(Key(1), false);
  for (size_t size : {104u, 97u, 100u}) {
    CAPTURE(size);
    PutOptions upsert;
    upsert.overwrite = true;
    REQUIRE(store->PutObject(Key(1), std::string(size, char('a' + size % 26)), upsert).ok());
    CHECK(Read(*store, Key(1)) == std::string(size, char('a' + size % 26)));
    CHECK(store->GetStats().pool_used == used);
    CHECK(store->GetStats().value_bytes == size);
  }
  // APPEND-style rewrites whose new value is computed from the old one.
  REQUIRE(store->Update(Key(1), [](const CurrentValue& current) {
    UpdateDecision d;
    d.value = UpdateDecision::Value::kWrite;
    d.new_value = current.value.substr(1);  // points into the old value
    return d;
  }).ok());
  CHECK(Read(*store, Key(1)) == std::string(99, 'w'));
  CHECK(store->Query(Key(1), false)->version != before->version);
  // A size of another class moves the object to a new node.
  REQUIRE(Set(*store, Key(1), std::string(200, 'b')).ok());
  CHECK(Read(*store, Key(1)) == std::string(200, 'b'));
  CHECK(store->GetStats().pool_used == 248);  // 32 + 16 + 200: class 248
  CHECK(store->Remove(Key(1)));
  CHECK(store->GetStats().pool_used == 0);
}
