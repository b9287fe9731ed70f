// Store::Access, SetAccess, Peek and Touch (OBJECT IDLETIME / FREQ, RESTORE IDLETIME /
// FREQ, OBJECT ENCODING, TOUCH): the access record each policy keeps, reads that leave
// no trace, and the bounds of what can be set.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "config/options.h"
#include "storage/store.h"

using namespace crescent;
using namespace crescent::storage;

namespace {

std::unique_ptr<Store> MakeStore(const Clock* clock, const config::Config* config = nullptr) {
  StoreOptions options;
  options.memory_capacity = 16 << 20;
  options.huge_pages = false;
  options.background_eviction = false;
  options.config = config;
  auto store = Store::Create(options, clock);
  REQUIRE(store.ok());
  return std::move(store).value();
}

Status Put(Store& store, std::string_view key, std::string_view value) {
  return store.Update(key, [&](const CurrentValue&) {
    UpdateDecision d;
    d.value = UpdateDecision::Value::kWrite;
    d.new_value = value;
    return d;
  });
}

int64_t IdleMs(Store& store, std::string_view key) {
  auto access = store.Access(key);
  REQUIRE(access.has_value());
  REQUIRE_FALSE(access->frequency_tracked);
  return access->idle_ms;
}

uint32_t Frequency(Store& store, std::string_view key) {
  auto access = store.Access(key);
  REQUIRE(access.has_value());
  REQUIRE(access->frequency_tracked);
  return access->frequency;
}

}  // namespace

TEST_CASE("LRU: idle time since the last read; Peek, Exists and Access leave it alone") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(Put(*store, "k", "value").ok());
  CHECK(IdleMs(*store, "k") == 0);
  clock.Advance(5000);
  CHECK(IdleMs(*store, "k") == 5000);
  std::string seen;
  CHECK(store->Peek("k", [&](const ValueView& v) { seen.assign(v.bytes()); }));
  CHECK(seen == "value");
  CHECK(store->Exists("k"));
  CHECK(IdleMs(*store, "k") == 5000);
  // Peek grants no lease either.
  CHECK(store->Query("k", false)->lease_until_ms == 0);
  CHECK(store->Get("k", [](const ValueView&) {}));
  CHECK(IdleMs(*store, "k") == 0);
  CHECK_FALSE(store->Access("missing").has_value());
  CHECK_FALSE(store->Peek("missing", [](const ValueView&) { FAIL("visited"); }));
}

TEST_CASE("Touch counts as a use and grants no lease") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(Put(*store, "k", "value").ok());
  clock.Advance(7000);
  CHECK(IdleMs(*store, "k") == 7000);
  CHECK(store->Touch("k"));
  CHECK(IdleMs(*store, "k") == 0);
  CHECK(store->Query("k", false)->lease_until_ms == 0);
  CHECK_FALSE(store->Touch("missing"));
}

TEST_CASE("LRU: SetAccess sets the idle time, within what the 32-bit clock keeps") {
  ManualClock clock;
  auto store = MakeStore(&clock);
  REQUIRE(Put(*store, "k", "value").ok());
  CHECK(store->SetAccess("k", 1'000'000, std::nullopt));
  CHECK(IdleMs(*store, "k") == 1'000'000);
  clock.Advance(1000);
  CHECK(IdleMs(*store, "k") == 1'001'000);
  // A frequency is ignored under LRU.
  CHECK(store->SetAccess("k", std::nullopt, 100));
  CHECK(IdleMs(*store, "k") == 1'001'000);
  CHECK(store->SetAccess("k", INT64_MAX, std::nullopt));
  CHECK(IdleMs(*store, "k") == INT32_MAX);
  CHECK_FALSE(store->SetAccess("missing", 10, std::nullopt));
}

TEST_CASE("LFU: Redis's counter, starting at 5, decaying one per idle minute") {
  ManualClock clock;
  config::Config config;
  REQUIRE(config.Set("eviction-policy", "lfu").ok());
  auto store = MakeStore(&clock, &config);
  REQUIRE(Put(*store, "k", "value").ok());
  CHECK(Frequency(*store, "k") == 5);
  CHECK(store->Get("k", [](const ValueView&) {}));
  CHECK(Frequency(*store, "k") == 6);  // the first read always counts
  CHECK(store->SetAccess("k", 5000, 100));
  CHECK(Frequency(*store, "k") == 100);
  clock.Advance(3 * 60'000);
  CHECK(Frequency(*store, "k") == 97);
  CHECK(store->SetAccess("k", std::nullopt, 255));
  CHECK(Frequency(*store, "k") == 255);
}

TEST_CASE("Access follows a policy changed at run time") {
  ManualClock clock;
  config::Config config;
  auto store = MakeStore(&clock, &config);
  REQUIRE(Put(*store, "k", "value").ok());
  CHECK_FALSE(store->Access("k")->frequency_tracked);
  REQUIRE(config.Set("eviction-policy", "lfu").ok());
  CHECK(store->Access("k")->frequency_tracked);
  REQUIRE(config.Set("eviction-policy", "ttl").ok());
  CHECK_FALSE(store->Access("k")->frequency_tracked);
}
