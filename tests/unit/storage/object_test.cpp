// Mooncake Store's object model on the store: replicas on distinct segments, the put
// lifecycle (revoke, stale puts), leases, pins, and the order of eviction.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <string>
#include <vector>

#include "storage/store.h"

using namespace crescent;
using namespace crescent::storage;

namespace {

std::unique_ptr<Store> MakeStore(const Clock* clock, size_t capacity = 16 << 20,
                                 int64_t put_timeout_ms = 30'000) {
  StoreOptions options;
  options.memory_capacity = capacity;
  options.huge_pages = false;
  options.background_eviction = false;
  options.put_timeout_ms = put_timeout_ms;
  auto store = Store::Create(options, clock);
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::optional<std::string> Read(Store& store, std::string_view key, bool lease = false) {
  std::optional<std::string> out;
  store.Get(key, [&](const ValueView& v) { out.emplace(v.bytes()); }, lease);
  return out;
}

PutOptions Put(bool overwrite = false) {
  PutOptions o;
  o.overwrite = overwrite;
  return o;
}

}  // namespace

TEST_CASE("PUT never overwrites; UPSERT replaces") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  CHECK(store->PutObject("k", "v1", Put()).ok());
  CHECK(store->PutObject("k", "v2", Put()).code() == StatusCode::kAlreadyExists);
  CHECK(Read(*store, "k") == "v1");
  CHECK(store->PutObject("k", "v3", Put(true)).ok());
  CHECK(Read(*store, "k") == "v3");
  auto info = store->Query("k");
  REQUIRE(info);
  CHECK(info->size == 2);
  CHECK(info->replicas.size() == 1);
  CHECK(info->replicas[0].state == ReplicaState::kComplete);
  CHECK(info->checksum != 0);
}

TEST_CASE("replicas land on distinct segments, best effort") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(store->MountSegment("s2", 8 << 20).ok());
  REQUIRE(store->MountSegment("s3", 8 << 20).ok());
  CHECK(store->MountSegment("s2", 8 << 20).code() == StatusCode::kSegmentExists);
  PutOptions o = Put();
  o.config.replicas = 3;
  REQUIRE(store->PutObject("three", std::string(100, 'x'), o).ok());
  auto info = store->Query("three");
  REQUIRE(info);
  REQUIRE(info->replicas.size() == 3);
  std::vector<std::string> names;
  for (const auto& r : info->replicas) names.push_back(r.segment);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"local", "s2", "s3"});

  o.config.replicas = 5;  // more than there are segments: as many as possible
  REQUIRE(store->PutObject("five", "y", o).ok());
  CHECK(store->Query("five")->replicas.size() == 3);

  o.config.replicas = 1;
  o.config.preferred_segments = {"s3"};
  REQUIRE(store->PutObject("pref", "z", o).ok());
  CHECK(store->Query("pref")->replicas[0].segment == "s3");

  // Unmounting drops that segment's replicas and the objects left with none.
  auto dropped = store->UnmountSegment("s3");
  REQUIRE(dropped.ok());
  CHECK(*dropped == 1);  // "pref"
  CHECK(!store->Exists("pref"));
  CHECK(store->Query("three")->replicas.size() == 2);
  CHECK(Read(*store, "three") == std::string(100, 'x'));
  CHECK(store->UnmountSegment("s3").status().code() == StatusCode::kSegmentNotFound);
  CHECK(store->Segments().size() == 2);
}

TEST_CASE("put lifecycle: PutStart hides the object until PutEnd") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  auto handle = store->PutStart("obj", 5, Put());
  REQUIRE(handle.ok());
  REQUIRE(handle->buffers.size() == 1);
  CHECK(!store->Exists("obj"));
  CHECK(store->PutStart("obj", 5, Put()).status().code() == StatusCode::kAlreadyExists);
  std::memcpy(handle->buffers[0], "hello", 5);
  CHECK(store->PutEnd(*handle).ok());
  CHECK(Read(*store, "obj") == "hello");
  CHECK(store->GetStats().pending_puts == 0);
}

TEST_CASE("put lifecycle: revoke gives the memory back and leaves no key") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  size_t before = store->GetStats().pool_used;
  auto handle = store->PutStart("obj", 100000, Put());
  REQUIRE(handle.ok());
  CHECK(store->GetStats().pool_used > before);
  store->PutRevoke(*handle);
  CHECK(!store->Exists("obj"));
  CHECK(store->Size() == 0);
  CHECK(store->PutEnd(*handle).code() == StatusCode::kNotFound);
  // The writer may still be writing into its buffers: they stay its own until it lets
  // go of the handle, and only then go back to the pool.
  std::memset(handle->buffers[0], 'x', 100000);
  CHECK(store->GetStats().pool_used > before);
  handle->hold.reset();
  CHECK(store->GetStats().pool_used == before);
}

TEST_CASE("put lifecycle: an upsert in progress keeps the old value readable") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(store->PutObject("k", "old", Put()).ok());
  auto handle = store->PutStart("k", 3, Put(true));
  REQUIRE(handle.ok());
  std::memcpy(handle->buffers[0], "new", 3);
  CHECK(Read(*store, "k") == "old");
  REQUIRE(store->PutEnd(*handle).ok());
  CHECK(Read(*store, "k") == "new");
}

TEST_CASE("put lifecycle: a put that never ends is reclaimed after the timeout") {
  ManualClock clock;
  auto store = MakeStore(&clock, 16 << 20, /*put_timeout_ms=*/1000);
  auto handle = store->PutStart("zombie", 4096, Put());
  REQUIRE(handle.ok());
  clock.Advance(999);
  CHECK(store->ReclaimStalePuts() == 0);
  clock.Advance(2);
  CHECK(store->ReclaimStalePuts() == 1);
  CHECK(store->GetStats().pending_puts == 0);
  CHECK(store->GetStats().revoked_puts == 1);
  CHECK(store->PutEnd(*handle).code() == StatusCode::kNotFound);
  handle->hold.reset();
  CHECK(store->GetStats().pool_used == 0);
  // The key is free again.
  CHECK(store->PutObject("zombie", "alive", Put()).ok());
}

TEST_CASE("leases block REMOVE without FORCE and expire") {
  ManualClock clock;
  auto store = MakeStore(&clock);  // no config: lease-ttl 10 s
  REQUIRE(store->PutObject("k", "v", Put()).ok());
  CHECK(store->RemoveObject("nope", false).code() == StatusCode::kNotFound);
  CHECK(Read(*store, "k", /*lease=*/true) == "v");
  CHECK(store->RemoveObject("k", false).code() == StatusCode::kHasLease);
  CHECK(store->Query("k", false)->lease_until_ms == clock.NowMs() + 10'000);
  clock.Advance(10'001);
  CHECK(store->RemoveObject("k", false).ok());
  REQUIRE(store->PutObject("k2", "v", Put()).ok());
  CHECK(store->Exists("k2", /*lease=*/true));
  CHECK(store->RemoveObject("k2", true).ok());  // FORCE
  // RemoveMatching skips leased objects unless forced.
  REQUIRE(store->PutObject("a1", "v", Put()).ok());
  REQUIRE(store->PutObject("a2", "v", Put()).ok());
  CHECK(store->Query("a1").has_value());  // leases a1
  auto starts_with_a = [](std::string_view k, uint64_t*) {
    return k[0] == 'a' ? KeyMatch::kYes : KeyMatch::kNo;
  };
  CHECK(*store->RemoveMatching(starts_with_a, 1000, false) == 1);
  CHECK(store->Exists("a1"));
  CHECK(*store->RemoveMatching(starts_with_a, 1000, true) == 1);
}

TEST_CASE("eviction order: unleased, then leased, then soft-pinned; never hard-pinned") {
  ManualClock clock;
  auto store = MakeStore(&clock, 8 << 20);
  std::string value(256 * 1024, 'v');
  auto put = [&](const std::string& key, bool soft, bool hard) {
    PutOptions o = Put();
    o.config.soft_pin = soft;
    o.config.hard_pin = hard;
    clock.Advance(1);
    REQUIRE(store->PutObject(key, value, o).ok());
  };
  for (int i = 0; i < 4; ++i) put("hard" + std::to_string(i), false, true);
  for (int i = 0; i < 4; ++i) put("soft" + std::to_string(i), true, false);
  for (int i = 0; i < 4; ++i) put("leased" + std::to_string(i), false, false);
  for (int i = 0; i < 4; ++i) put("plain" + std::to_string(i), false, false);
  for (int i = 0; i < 4; ++i) CHECK(store->Exists("leased" + std::to_string(i), true));

  // Free 4 values' worth: only plain ones go.
  store->Evict(4 * value.size());
  for (int i = 0; i < 4; ++i) {
    CHECK(!store->Exists("plain" + std::to_string(i)));
    CHECK(store->Exists("leased" + std::to_string(i)));
    CHECK(store->Exists("soft" + std::to_string(i)));
  }
  store->Evict(4 * value.size());
  for (int i = 0; i < 4; ++i) {
    CHECK(!store->Exists("leased" + std::to_string(i)));
    CHECK(store->Exists("soft" + std::to_string(i)));
  }
  CHECK(store->GetStats().evicted_leased == 4);
  store->Evict(100 * value.size());
  for (int i = 0; i < 4; ++i) {
    CHECK(!store->Exists("soft" + std::to_string(i)));
    CHECK(store->Exists("hard" + std::to_string(i)));
  }
  auto stats = store->GetStats();
  CHECK(stats.evicted_soft_pinned == 4);
  CHECK(stats.evicted_objects == 12);
  CHECK(stats.hard_pinned_objects == 4);
}

TEST_CASE("LRU eviction prefers the least recently read") {
  ManualClock clock;
  auto store = MakeStore(&clock, 8 << 20);
  std::string value(64 * 1024, 'v');
  for (int i = 0; i < 64; ++i) {
    clock.Advance(10);
    REQUIRE(store->PutObject("k" + std::to_string(i), value, Put()).ok());
  }
  // Read the older half again: they become the recent ones.
  for (int i = 0; i < 32; ++i) {
    clock.Advance(10);
    CHECK(Read(*store, "k" + std::to_string(i)));
  }
  store->Evict(16 * value.size());
  int old_half_left = 0, new_half_left = 0;
  for (int i = 0; i < 32; ++i) old_half_left += store->Exists("k" + std::to_string(i));
  for (int i = 32; i < 64; ++i) new_half_left += store->Exists("k" + std::to_string(i));
  // Sampling approximates LRU: the evicted come overwhelmingly from the unread half.
  CHECK(old_half_left >= 28);
  CHECK(new_half_left <= 20);
}

TEST_CASE("LRU eviction with keys as long as KV-cache block keys, differing only at the end") {
  // Keys past a string's inline room, and alike up to their last bytes: a sample that
  // kept the wrong bytes of a key would find no victim, or another one.
  ManualClock clock;
  auto store = MakeStore(&clock, 8 << 20);
  std::string value(64 * 1024, 'v');
  auto key = [](int i) { return std::string(136, 'b') + "/" + std::to_string(1000 + i); };
  for (int i = 0; i < 64; ++i) {
    clock.Advance(10);
    REQUIRE(store->PutObject(key(i), value, Put()).ok());
  }
  for (int i = 0; i < 32; ++i) {
    clock.Advance(10);
    CHECK(Read(*store, key(i)));
  }
  size_t freed = store->Evict(16 * value.size());
  CHECK(freed >= 16 * value.size());
  int old_half_left = 0, new_half_left = 0;
  for (int i = 0; i < 32; ++i) old_half_left += store->Exists(key(i));
  for (int i = 32; i < 64; ++i) new_half_left += store->Exists(key(i));
  CHECK(old_half_left >= 28);
  CHECK(new_half_left <= 20);
  CHECK(old_half_left + new_half_left <= 64 - 16);
  CHECK(store->GetStats().evicted_objects == 64 - static_cast<uint64_t>(old_half_left + new_half_left));
  for (int i = 0; i < 64; ++i) {
    if (store->Exists(key(i))) CHECK(Read(*store, key(i)) == value);
  }
}

TEST_CASE("a pool whose every object is leased still takes new puts") {
  ManualClock clock;
  auto store = MakeStore(&clock, 8 << 20);
  std::string value(128 * 1024, 'v');
  int failures = 0;
  for (int i = 0; i < 400; ++i) {
    clock.Advance(1);
    if (!store->PutObject("k" + std::to_string(i), value, Put()).ok()) ++failures;
    // A steady stream of EXIST / GET over everything present keeps all of it leased.
    for (int j = std::max(0, i - 80); j <= i; ++j) store->Exists("k" + std::to_string(j), true);
  }
  CHECK(failures == 0);
  CHECK(store->GetStats().evicted_leased > 0);
}

TEST_CASE("concurrent puts, reads, removes, evictions and unmounts keep every value whole") {
  SystemClock clock;
  auto store = MakeStore(&clock, 4 << 20);
  REQUIRE(store->MountSegment("extra", 4 << 20).ok());
  constexpr int kThreads = 4;
  constexpr int kOps = 3000;
  std::atomic<int> torn{0};
  std::atomic<int> failed_puts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        std::string key = "k" + std::to_string((i * 7 + t) % 24);
        char fill = static_cast<char>('a' + (i + t) % 26);
        size_t size = (i % 5 == 0) ? 64 * 1024 : 100 + (i % 300);
        switch ((i + t) % 6) {
          case 0: {
            PutOptions o = Put(true);
            o.config.replicas = 1 + i % 2;
            Status s = store->PutObject(key, std::string(size, fill), o);
            if (!s.ok()) {
              ++failed_puts;
              MESSAGE("put failed: " << static_cast<int>(s.code()) << " " << s.message());
            }
            break;
          }
          case 1: {
            auto h = store->PutStart(key, size, Put(true));
            if (!h.ok()) break;
            for (char* b : h->buffers) std::memset(b, fill, size);
            if (i % 7 == 0) {
              store->PutRevoke(*h);
            } else {
              (void)store->PutEnd(*h);
            }
            break;
          }
          case 2:
            (void)store->RemoveObject(key, true);
            break;
          case 3:
            if (t == 0 && i % 50 == 0) store->Evict(512 * 1024);
            (void)store->Query(key);
            break;
          default: {
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
      }
    });
  }
  // Meanwhile a segment comes and goes.
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    (void)store->UnmountSegment("extra");
    (void)store->MountSegment("extra", 4 << 20);
  }
  for (auto& th : threads) th.join();
  CHECK(torn == 0);
  CHECK(failed_puts == 0);
  store->Clear();
  CHECK(store->GetStats().pool_used == 0);
}
