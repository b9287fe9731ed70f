// Store on a real memory pool with a manual clock: values, expiry (lazy and active),
// SCAN's guarantee across resizes, multi-key atomicity, pins that outlive deletion.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"

using namespace crescent;
using namespace crescent::storage;

namespace {

std::unique_ptr<Store> MakeStore(const Clock* clock, size_t capacity = 64 << 20) {
  StoreOptions options;
  options.memory_capacity = capacity;
  options.huge_pages = false;
  options.background_eviction = false;  // deterministic: eviction only when a write needs room
  auto store = Store::Create(options, clock);
  REQUIRE(store.ok());
  return std::move(store).value();
}

Status Put(Store& store, std::string_view key, std::string_view value,
           int64_t expire_at = kNoExpiry) {
  return store.Update(key, [&](const CurrentValue&) {
    UpdateDecision d;
    d.value = UpdateDecision::Value::kWrite;
    d.new_value = value;
    if (expire_at != kNoExpiry) {
      d.ttl = UpdateDecision::Ttl::kSet;
      d.expire_at_ms = expire_at;
    } else {
      d.ttl = UpdateDecision::Ttl::kClear;
    }
    return d;
  });
}

std::optional<std::string> Read(Store& store, std::string_view key) {
  std::optional<std::string> out;
  store.Get(key, [&](const ValueView& v) { out.emplace(v.bytes()); });
  return out;
}

}  // namespace

TEST_CASE("values round-trip, including empty, binary and large ones") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  std::string binary("a\0b\r\nc", 6);
  std::string large(3 << 20, 'x');
  large[12345] = 'y';
  CHECK(Put(*store, "empty", "").ok());
  CHECK(Put(*store, "bin", binary).ok());
  CHECK(Put(*store, "large", large).ok());
  CHECK(Read(*store, "empty") == std::string());
  CHECK(Read(*store, "bin") == binary);
  CHECK(Read(*store, "large") == large);
  CHECK(!Read(*store, "missing"));
  CHECK(store->Size() == 3);
  auto stats = store->GetStats();
  CHECK(stats.value_bytes == binary.size() + large.size());
  CHECK(stats.keyspace_hits == 3);
  CHECK(stats.keyspace_misses == 1);
}

TEST_CASE("overwrite frees the old value; remove frees everything") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  for (int i = 0; i < 100; ++i) REQUIRE(Put(*store, "k", std::string(1000 + i, 'a')).ok());
  CHECK(Read(*store, "k")->size() == 1099);
  CHECK(store->Remove("k"));
  CHECK(!store->Remove("k"));
  CHECK(store->GetStats().pool_used == 0);
}

TEST_CASE("a pinned large value outlives its key") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  std::string big(Store::kPinThreshold * 2, 'p');
  REQUIRE(Put(*store, "big", big).ok());
  std::shared_ptr<const void> pin;
  std::string_view bytes;
  store->Get("big", [&](const ValueView& v) {
    pin = v.Pin();
    bytes = v.bytes();
  });
  REQUIRE(pin != nullptr);
  REQUIRE(Put(*store, "big", "replaced").ok());
  CHECK(store->Remove("big"));
  CHECK(bytes == big);  // still readable: the pin holds it
  CHECK(store->GetStats().pool_used > 0);
  pin.reset();
  CHECK(store->GetStats().pool_used == 0);

  // Small values are not pinnable: readers copy them under the lock.
  REQUIRE(Put(*store, "small", "tiny").ok());
  store->Get("small", [&](const ValueView& v) { CHECK(v.Pin() == nullptr); });
}

TEST_CASE("expired keys are invisible at once and reclaimed by the expiry cycle") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  int64_t now = clock.NowMs();
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(Put(*store, "t" + std::to_string(i), "v", now + 100).ok());
  }
  REQUIRE(Put(*store, "forever", "v").ok());
  CHECK(store->GetStats().keys_with_expiry == 1000);
  CHECK(store->GetExpiry("t1") == now + 100);
  CHECK(store->GetExpiry("forever") == kNoExpiry);
  clock.Advance(100);
  CHECK(!Read(*store, "t1"));        // lazy: gone on access
  CHECK(!store->Exists("t2"));
  CHECK(store->Size() == 999);       // t1 was reclaimed by the read, the rest not yet
  CHECK(store->ExpireCycle(100) == 100);
  CHECK(store->ExpireCycle(100000) == 898);
  CHECK(store->Size() == 1);
  auto stats = store->GetStats();
  CHECK(stats.expired_keys == 1000);  // every key with a TTL, by either path
  CHECK(stats.keys_with_expiry == 0);
}

TEST_CASE("an expiry in the past deletes the key; clearing a TTL keeps the value") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(Put(*store, "a", "1", clock.NowMs() + 1000).ok());
  REQUIRE(store->Update("a", [](const CurrentValue& c) {
    UpdateDecision d;
    CHECK(c.exists);
    CHECK(c.value == "1");
    d.ttl = UpdateDecision::Ttl::kClear;
    return d;
  }).ok());
  CHECK(store->GetExpiry("a") == kNoExpiry);
  REQUIRE(store->Update("a", [&](const CurrentValue&) {
    UpdateDecision d;
    d.ttl = UpdateDecision::Ttl::kSet;
    d.expire_at_ms = clock.NowMs() - 1;
    return d;
  }).ok());
  CHECK(!store->Exists("a"));
}

TEST_CASE("SCAN returns every key present for the whole scan, across growth and shrinkage") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  std::set<std::string> stable;
  for (int i = 0; i < 2000; ++i) {
    std::string k = "stable:" + std::to_string(i);
    REQUIRE(Put(*store, k, "v").ok());
    stable.insert(k);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int round = 0;
  do {
    cursor = store->Scan(cursor, 10, [&](std::string_view k) { seen.emplace(k); });
    // Between calls: grow the table a lot, then shrink it again.
    ++round;
    if (round % 3 == 0) {
      for (int j = 0; j < 300; ++j) REQUIRE(Put(*store, "tmp:" + std::to_string(round * 1000 + j), "x").ok());
    } else if (round % 3 == 1) {
      store->ForEachKey([](std::string_view) {});
      for (int j = 0; j < 300; ++j) store->Remove("tmp:" + std::to_string((round - 1) * 1000 + j));
    }
  } while (cursor != 0 && round < 100000);
  CHECK(cursor == 0);
  for (const auto& k : stable) {
    if (!seen.count(k)) FAIL("missed " << k);
  }
}

TEST_CASE("Prepare: a small value is taken from the caller's bytes at the commit") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  auto commit = [&](std::string_view key, PreparedValue* value) {
    return store->Update(key, [&](const CurrentValue&) {
      UpdateDecision d;
      d.value = UpdateDecision::Value::kWritePrepared;
      d.prepared = value;
      return d;
    });
  };
  std::string bytes = "sixteen bytes!!!";
  auto small = store->Prepare(bytes);
  REQUIRE(small.ok());
  CHECK(small->is_inline());
  CHECK(small->contents() == bytes);
  // Moving the prepared value keeps it pointing at the same bytes.
  PreparedValue moved = std::move(small).value();
  CHECK(moved.contents().data() == bytes.data());
  REQUIRE(commit("k", &moved).ok());
  bytes.assign(bytes.size(), '#');  // the caller's buffer is reused after the commit
  CHECK(Read(*store, "k") == "sixteen bytes!!!");

  // Same size class: the node is overwritten in place, from the caller's bytes.
  std::string next = "sixteen bytes???";
  auto again = store->Prepare(next);
  REQUIRE(again.ok());
  REQUIRE(commit("k", &again.value()).ok());
  CHECK(Read(*store, "k") == "sixteen bytes???");

  // Prepared and dropped without a commit: nothing changes and nothing is held.
  size_t used = store->GetStats().pool_used;
  {
    auto dropped = store->Prepare(std::string(100, 'd'));
    REQUIRE(dropped.ok());
  }
  CHECK(store->GetStats().pool_used == used);
  CHECK(store->GetStats().keys == 1);

  // A value too large to be inline is copied at Prepare, as before.
  std::string large(8192, 'L');
  auto out_of_line = store->Prepare(large);
  REQUIRE(out_of_line.ok());
  CHECK_FALSE(out_of_line->is_inline());
  large.assign(large.size(), '#');
  REQUIRE(commit("large", &out_of_line.value()).ok());
  CHECK(Read(*store, "large") == std::string(8192, 'L'));
}

TEST_CASE("MultiSet is all or nothing with only_if_none_exist") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(Put(*store, "b", "old", clock.NowMs() + 5000).ok());
  std::vector<std::string_view> keys = {"a", "b", "c"};
  auto prepare = [&] {
    std::vector<PreparedValue> values;
    for (auto v : {"1", "2", "3"}) values.push_back(std::move(store->Prepare(v)).value());
    return values;
  };
  auto values = prepare();
  auto r = store->MultiSet(keys, values, true);
  REQUIRE(r.ok());
  CHECK(!*r);
  CHECK(!store->Exists("a"));
  CHECK(Read(*store, "b") == "old");
  values = prepare();
  r = store->MultiSet(keys, values, false);
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(Read(*store, "a") == "1");
  CHECK(Read(*store, "b") == "2");
  CHECK(store->GetExpiry("b") == kNoExpiry);  // MSET clears the TTL, as SET does
}

TEST_CASE("Rename moves the value and TTL and honours only_if_absent") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  int64_t deadline = clock.NowMs() + 9000;
  REQUIRE(Put(*store, "src", "value", deadline).ok());
  REQUIRE(Put(*store, "dst", "other").ok());
  CHECK(store->Rename("src", "dst", true) == Store::RenameResult::kTargetExists);
  CHECK(store->Rename("src", "dst", false) == Store::RenameResult::kRenamed);
  CHECK(!store->Exists("src"));
  CHECK(Read(*store, "dst") == "value");
  CHECK(store->GetExpiry("dst") == deadline);
  CHECK(store->Rename("nope", "x", false) == Store::RenameResult::kNoSuchKey);
  CHECK(store->Rename("dst", "dst", false) == Store::RenameResult::kRenamed);
  CHECK(Read(*store, "dst") == "value");
}

TEST_CASE("a full pool evicts old values to take new ones") {
  ManualClock clock;
  auto store = MakeStore(&clock, 4 << 20);
  std::string chunk(512 * 1024, 'z');
  for (int i = 0; i < 64; ++i) {
    clock.Advance(1);
    REQUIRE(Put(*store, "k" + std::to_string(i), chunk).ok());
  }
  CHECK(Read(*store, "k63") == chunk);  // the newest survives
  auto stats = store->GetStats();
  CHECK(stats.evicted_objects >= 64 - 8);
  CHECK(stats.pool_used <= stats.pool_capacity);
  CHECK(store->Size() + stats.evicted_objects == 64);
}

TEST_CASE("with nothing evictable a full pool reports out of memory and loses nothing") {
  ManualClock clock;
  auto store = MakeStore(&clock, 4 << 20);
  std::string chunk(512 * 1024, 'z');
  PutOptions pinned;
  pinned.config.hard_pin = true;
  int stored = 0;
  Status last;
  for (int i = 0; i < 64; ++i) {
    last = store->PutObject("k" + std::to_string(i), chunk, pinned);
    if (!last.ok()) break;
    ++stored;
  }
  CHECK(last.code() == StatusCode::kOutOfMemory);
  CHECK(stored >= 4);
  for (int i = 0; i < stored; ++i) CHECK(Read(*store, "k" + std::to_string(i)) == chunk);
  CHECK(store->Prepare(chunk).status().code() == StatusCode::kOutOfMemory);
  // 7 pinned values fill all but ~512 KB; a value larger than that cannot be placed.
  CHECK(Put(*store, "other", std::string(600000, 's')).code() == StatusCode::kOutOfMemory);
}

TEST_CASE("RandomKey finds a key and skips expired ones") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  CHECK(!store->RandomKey());
  REQUIRE(Put(*store, "dead", "v", clock.NowMs() + 10).ok());
  REQUIRE(Put(*store, "alive", "v").ok());
  clock.Advance(20);
  for (int i = 0; i < 10; ++i) CHECK(store->RandomKey() == "alive");
}

TEST_CASE("concurrent writers and readers of the same keys see whole values") {
  SystemClock clock;
  auto store = MakeStore(&clock);
  constexpr int kThreads = 4;
  constexpr int kOps = 20000;
  std::atomic<int> torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        std::string key = "k" + std::to_string(i % 16);
        int op = (i + t) % 4;
        if (op == 0) {
          // Each value is one repeated character, so a mix of two writes is visible.
          size_t size = (i % 3 == 0) ? Store::kPinThreshold + 100 : 50 + i % 200;
          (void)Put(*store, key, std::string(size, static_cast<char>('a' + t)));
        } else if (op == 1) {
          store->Remove(key);
        } else {
          std::shared_ptr<const void> pin;
          std::string_view view;
          std::string copy;
          store->Get(key, [&](const ValueView& v) {
            pin = v.Pin();
            if (pin) {
              view = v.bytes();
            } else {
              copy.assign(v.bytes());
              view = copy;
            }
          });
          for (char c : view) {
            if (c != view[0]) {
              ++torn;
              break;
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(torn == 0);
  store->Clear();
  CHECK(store->GetStats().pool_used == 0);
}
