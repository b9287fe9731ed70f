// The store with its SSD tier on a real RocksDB in a temporary folder: write-through,
// demotion on eviction, promotion on read, deletes, and finding everything again after
// a restart.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/disk_tier.h"
#include "storage/store.h"

using namespace crescent;
using namespace crescent::storage;

namespace {

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/crescent-store-disk-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

std::unique_ptr<Store> Open(const Clock* clock, const std::string& dir,
                            StoreOptions::Persistence mode = StoreOptions::Persistence::kSync,
                            size_t capacity = 8 << 20) {
  StoreOptions options;
  options.memory_capacity = capacity;
  options.huge_pages = false;
  options.background_eviction = false;
  options.persistence = mode;
  options.dir = dir;
  auto store = Store::Create(options, clock);
  REQUIRE_MESSAGE(store.ok(), store.status().message());
  return std::move(store).value();
}

std::optional<std::string> Read(Store& store, std::string_view key) {
  std::optional<std::string> out;
  store.Get(key, [&](const ValueView& v) { out.emplace(v.bytes()); }, false);
  return out;
}

bool OnDisk(Store& store, std::string_view key) {
  auto info = store.Query(key, false);
  if (!info) return false;
  for (const auto& r : info->replicas) {
    if (r.kind == ReplicaKind::kDisk) return true;
  }
  return false;
}

size_t MemoryReplicas(Store& store, std::string_view key) {
  auto info = store.Query(key, false);  // kept alive for the loop
  size_t n = 0;
  for (const auto& r : info->replicas) n += r.kind == ReplicaKind::kMemory;
  return n;
}

PutOptions Opts(int64_t expire_at = kNoExpiry) {
  PutOptions o;
  o.expire_at_ms = expire_at;
  return o;
}

}  // namespace

TEST_CASE("disk: writes go through; eviction demotes; reads promote") {
  TempDir dir;
  ManualClock clock;
  auto store = Open(&clock, dir.path);
  std::string value(512 * 1024, 'a');
  for (int i = 0; i < 40; ++i) {  // 20 MiB through an 8 MiB pool
    value[0] = static_cast<char>('A' + i % 26);
    clock.Advance(1);
    REQUIRE(store->PutObject("k" + std::to_string(i), value, Opts()).ok());
  }
  auto stats = store->GetStats();
  CHECK(stats.demoted_objects > 20);
  CHECK(stats.disk_only_objects == stats.demoted_objects);
  CHECK(store->Size() == 40);  // nothing was lost: demoted objects stay, on disk
  CHECK(OnDisk(*store, "k0"));
  CHECK(MemoryReplicas(*store, "k0") == 0);
  // Reading a demoted object promotes it.
  auto back = Read(*store, "k0");
  REQUIRE(back);
  CHECK((*back)[0] == 'A');
  CHECK(back->size() == value.size());
  CHECK(MemoryReplicas(*store, "k0") == 1);
  CHECK(store->GetStats().promoted_objects == 1);
  CHECK(store->disk()->GetStats().corruptions == 0);
}

TEST_CASE("disk: deletes, TTL changes and FLUSHALL reach the disk; a restart finds the rest") {
  TempDir dir;
  ManualClock clock;
  int64_t later = clock.NowMs() + 3'600'000;
  {
    auto store = Open(&clock, dir.path);
    PutOptions pinned = Opts(later);
    pinned.config.hard_pin = true;
    REQUIRE(store->PutObject("pinned", "p", pinned).ok());
    REQUIRE(store->PutObject("plain", "v", Opts()).ok());
    REQUIRE(store->PutObject("gone", "x", Opts()).ok());
    REQUIRE(store->PutObject("short", "s", Opts(clock.NowMs() + 1000)).ok());
    CHECK(store->Remove("gone"));
    // PERSIST-like TTL change on an unchanged value.
    REQUIRE(store->Update("plain", [&](const CurrentValue&) {
      UpdateDecision d;
      d.ttl = UpdateDecision::Ttl::kSet;
      d.expire_at_ms = later;
      return d;
    }).ok());
    auto renamed = store->Rename("plain", "renamed", false);
    CHECK(renamed == Store::RenameResult::kRenamed);
  }
  clock.Advance(2000);  // "short" expires while the server is down
  {
    auto store = Open(&clock, dir.path);
    auto stats = store->GetStats();
    CHECK(stats.disk_loaded_objects == 2);
    CHECK(store->Size() == 2);
    CHECK(!store->Exists("gone"));
    CHECK(!store->Exists("short"));
    CHECK(!store->Exists("plain"));
    CHECK(Read(*store, "renamed") == "v");
    CHECK(store->GetExpiry("renamed") == later);
    auto info = store->Query("pinned", false);
    REQUIRE(info);
    CHECK(info->hard_pin);
    CHECK(info->expire_at_ms == later);
    CHECK(Read(*store, "pinned") == "p");
    store->Clear();
  }
  {
    auto store = Open(&clock, dir.path);
    CHECK(store->Size() == 0);
    CHECK(store->GetStats().disk_loaded_objects == 0);
  }
}

TEST_CASE("disk: async mode writes behind and a restart finds what was flushed") {
  TempDir dir;
  SystemClock clock;
  {
    auto store = Open(&clock, dir.path, StoreOptions::Persistence::kAsync);
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(store->PutObject("a" + std::to_string(i), std::string(100, 'z'), Opts()).ok());
    }
  }  // closing drains the queue
  auto store = Open(&clock, dir.path, StoreOptions::Persistence::kAsync);
  CHECK(store->Size() == 1000);
  CHECK(Read(*store, "a999") == std::string(100, 'z'));
}

TEST_CASE("disk: INCR of a demoted value reads it from disk") {
  TempDir dir;
  ManualClock clock;
  auto store = Open(&clock, dir.path, StoreOptions::Persistence::kSync, 4 << 20);
  REQUIRE(store->PutObject("n", "41", Opts()).ok());
  std::string filler(512 * 1024, 'f');
  for (int i = 0; i < 20; ++i) {
    clock.Advance(1);
    REQUIRE(store->PutObject("f" + std::to_string(i), filler, Opts()).ok());
  }
  REQUIRE(MemoryReplicas(*store, "n") == 0);
  REQUIRE(store->Update("n", [](const CurrentValue& c) {
    UpdateDecision d;
    CHECK(c.value == "41");
    d.value = UpdateDecision::Value::kWrite;
    d.new_value = "42";
    return d;
  }).ok());
  CHECK(Read(*store, "n") == "42");
}

TEST_CASE("disk: async demotions wait for room in the queue instead of losing objects") {
  TempDir dir;
  SystemClock clock;
  StoreOptions options;
  options.memory_capacity = 4 << 20;
  options.huge_pages = false;
  options.background_eviction = false;
  options.persistence = StoreOptions::Persistence::kAsync;
  options.dir = dir.path;
  options.disk_queue_bytes = 512 * 1024;  // 7 values of 64 KiB: the queue fills at once
  auto opened = Store::Create(options, &clock);
  REQUIRE(opened.ok());
  auto store = std::move(opened).value();
  // 16 MiB of writes through a 4 MiB pool: most objects are evicted while the queue is
  // full of their own writes, and each demotion waits until the writer makes room.
  const int n = 256;
  for (int i = 0; i < n; ++i) {
    REQUIRE(store->PutObject("v" + std::to_string(i), std::string(64 * 1024, char('a' + i % 26)), Opts()).ok());
  }
  int found = 0;
  for (int i = 0; i < n; ++i) {
    found += Read(*store, "v" + std::to_string(i)) == std::string(64 * 1024, char('a' + i % 26));
  }
  StoreStats stats = store->GetStats();
  MESSAGE("demoted ", stats.demoted_objects, ", evicted ", stats.evicted_objects,
          ", async dropped ", store->disk()->GetStats().async_dropped,
          ", batches written by evicting threads ", store->disk()->GetStats().helped_batches);
  CHECK(stats.demoted_objects > 0);
  // A put's own write may be refused while the queue is full (it stays in memory, and
  // is written when demoted); a demotion is not.
  CHECK(found == n);
}
