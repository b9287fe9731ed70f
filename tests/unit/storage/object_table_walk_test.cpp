// Keyspace walks (storage/object_table_walk.cpp): keys are copied a slice at a time and
// visited or matched with no shard lock held; a removal by walk removes only the value
// that was matched; the match budget; REMOVEALL in slices.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "storage/store.h"

using namespace crescent;
using namespace crescent::storage;

namespace {

std::unique_ptr<Store> MakeStore(const Clock* clock) {
  StoreOptions options;
  options.memory_capacity = 64 << 20;
  options.huge_pages = false;
  options.background_eviction = false;
  auto store = Store::Create(options, clock);
  REQUIRE(store.ok());
  return std::move(store).value();
}

PutOptions Upsert() {
  PutOptions o;
  o.overwrite = true;
  return o;
}

std::string Key(int i) { return "key:" + std::to_string(i); }

// Accepts keys that start with `prefix`, charging one unit per key byte.
struct PrefixMatcher {
  std::string prefix;
  KeyMatch operator()(std::string_view key, uint64_t* budget) const {
    if (key.size() > *budget) return KeyMatch::kOverBudget;
    *budget -= key.size();
    return key.starts_with(prefix) ? KeyMatch::kYes : KeyMatch::kNo;
  }
};

}  // namespace

TEST_CASE("a walk visits each key once, in many slices, with no lock held") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  constexpr int kKeys = 5000;  // many slices of Store::kWalkSliceKeys
  for (int i = 0; i < kKeys; ++i) REQUIRE(store->PutObject(Key(i), "v", Upsert()).ok());
  std::map<std::string, int> seen;
  int writes = 0;
  store->ForEachKey([&](std::string_view key) {
    ++seen[std::string(key)];
    // The store is usable from inside the visit (a held shard lock would deadlock
    // here), and new keys make the shards grow mid-walk.
    if (writes < 2000) {
      REQUIRE(store->PutObject("new:" + std::to_string(writes++), "v", Upsert()).ok());
    }
    CHECK(store->Exists(key));
  });
  for (int i = 0; i < kKeys; ++i) CHECK(seen[Key(i)] == 1);
  for (const auto& [key, n] : seen) CHECK(n == 1);
}

TEST_CASE("a walk does not visit a key twice when the shard would shrink meanwhile") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  constexpr int kKeys = 40000;  // ~300 keys a shard: its first slice is under half of it
  for (int i = 0; i < kKeys; ++i) REQUIRE(store->PutObject(Key(i), "v", Upsert()).ok());
  std::map<std::string, int> seen;
  int visits = 0;
  store->ForEachKey([&](std::string_view key) {
    ++seen[std::string(key)];
    // During the first slice, delete 9 keys in 10: the shard would shrink to an eighth
    // of its buckets, and the reverse-binary cursor, resuming in the smaller table,
    // would meet again keys of buckets it had passed (Redis's SCAN may repeat keys so).
    if (++visits == 1) {
      for (int i = 0; i < kKeys; ++i) {
        if (i % 10 != 0) store->Remove(Key(i));
      }
    }
  });
  for (const auto& [key, n] : seen) CHECK(n == 1);
  for (int i = 0; i < kKeys; i += 10) CHECK(seen[Key(i)] == 1);
  // After the walk the deferred shrink happens on the shards' next changes.
  for (int i = 0; i < kKeys; i += 10) CHECK(store->Exists(Key(i)));
  CHECK(store->Size() == kKeys / 10);
}

TEST_CASE("RemoveMatching removes matched keys, not keys re-written after they matched") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  for (int i = 0; i < 1000; ++i) REQUIRE(store->PutObject(Key(i), "old", Upsert()).ok());
  REQUIRE(store->PutObject("other", "v", Upsert()).ok());
  PrefixMatcher prefix{"key:"};
  auto matcher = [&](std::string_view key, uint64_t* budget) {
    KeyMatch m = prefix(key, budget);
    // Another client writes these keys between the match and the removal.
    if (key == Key(7)) REQUIRE(store->PutObject(Key(7), "new", Upsert()).ok());
    if (key == Key(8)) {
      store->Remove(Key(8));
      REQUIRE(store->PutObject(Key(8), "recreated", Upsert()).ok());
    }
    if (key == Key(9)) store->Remove(Key(9));
    return m;
  };
  auto removed = store->RemoveMatching(matcher, UINT64_MAX, false);
  REQUIRE(removed.ok());
  CHECK(*removed == 997);  // all but key:7, key:8 (re-written) and key:9 (gone already)
  CHECK(store->Exists(Key(7)));
  CHECK(store->Exists(Key(8)));
  CHECK_FALSE(store->Exists(Key(9)));
  CHECK(store->Query(Key(7), false)->size == 3);
  CHECK(store->Query(Key(8), false)->size == 9);
  CHECK(store->Exists("other"));
  CHECK(store->Size() == 3);
}

TEST_CASE("RemoveIfVersion removes only the version it names, and leased ones with force") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(store->PutObject("k", "v1", Upsert()).ok());
  uint64_t v1 = store->Query("k", false)->version;
  REQUIRE(store->PutObject("k", "v2", Upsert()).ok());
  uint64_t v2 = store->Query("k", false)->version;
  CHECK(v1 != v2);
  CHECK_FALSE(store->RemoveIfVersion("k", v1, true));
  CHECK(store->Exists("k"));
  CHECK(store->Query("k").has_value());  // leases it
  CHECK_FALSE(store->RemoveIfVersion("k", v2, false));
  CHECK(store->RemoveIfVersion("k", v2, true));
  CHECK_FALSE(store->Exists("k"));
  CHECK_FALSE(store->RemoveIfVersion("k", v2, true));
}

TEST_CASE("the match budget: past it a walk stops with kOverBudget and removes nothing") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  size_t key_bytes = 0;
  for (int i = 0; i < 500; ++i) {
    REQUIRE(store->PutObject(Key(i), "v", Upsert()).ok());
    key_bytes += Key(i).size();
  }
  PrefixMatcher prefix{"key:1"};
  // Exactly enough: every key is matched.
  auto found = store->MatchKeys(prefix, key_bytes);
  REQUIRE(found.ok());
  CHECK(found->size() == 111);  // key:1, key:10-19, key:100-199
  // One unit short: refused, however far the walk got.
  CHECK(store->MatchKeys(prefix, key_bytes - 1).status().code() == StatusCode::kOverBudget);
  auto removed = store->RemoveMatching(prefix, key_bytes - 1, true);
  CHECK(removed.status().code() == StatusCode::kOverBudget);
  CHECK(store->Size() == 500);  // matching comes first: nothing was removed
  removed = store->RemoveMatching(prefix, key_bytes, true);
  REQUIRE(removed.ok());
  CHECK(*removed == 111);
  CHECK(store->Size() == 389);
}

TEST_CASE("RemoveAll removes in slices and keeps leased objects without force") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  for (int i = 0; i < 3000; ++i) REQUIRE(store->PutObject(Key(i), "v", Upsert()).ok());
  CHECK(store->Query(Key(5)).has_value());  // leased
  CHECK(store->Query(Key(6)).has_value());
  CHECK(store->RemoveAll(false) == 2998);
  CHECK(store->Size() == 2);
  CHECK(store->RemoveAll(true) == 2);
  CHECK(store->Size() == 0);
}

TEST_CASE("SCAN visits with no lock held and still covers every key") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  for (int i = 0; i < 3000; ++i) REQUIRE(store->PutObject(Key(i), "v", Upsert()).ok());
  std::map<std::string, int> seen;
  uint64_t cursor = 0;
  int n = 0;
  do {
    cursor = store->Scan(cursor, 1000, [&](std::string_view key) {
      ++seen[std::string(key)];
      REQUIRE(store->PutObject("scan-new:" + std::to_string(n++), "v", Upsert()).ok());
    });
  } while (cursor != 0);
  for (int i = 0; i < 3000; ++i) CHECK(seen[Key(i)] >= 1);
}
