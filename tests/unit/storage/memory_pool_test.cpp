// Tests for storage/memory_pool.cpp: size classes, best fit and coalescing, slab pages
// moving between classes, exhaustion, stats, RSS behaviour, and a concurrent stress
// (also meant to be run under ThreadSanitizer).
#include "storage/memory_pool.h"

#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace crescent::storage {
namespace {

constexpr size_t KiB = 1024;
constexpr size_t MiB = 1024 * 1024;

std::unique_ptr<MemoryPool> MakePool(size_t capacity, size_t page = MiB,
                                     size_t max_slab = 16 * KiB, bool huge = false) {
  MemoryPool::Options o;
  o.capacity = capacity;
  o.huge_pages = huge;
  o.slab_page_size = page;
  o.max_slab_object = max_slab;
  auto pool = MemoryPool::Create(o);
  REQUIRE(pool.ok());
  return std::move(pool).value();
}

// A pattern that depends on the allocation's seed and the position, so that a byte
// written by any other allocation (or a slot handed out twice) is noticed.
uint64_t PatternWord(uint64_t seed, size_t i) {
  return (seed * 0x9E3779B97F4A7C15ull) ^ (i * 0x100000001B3ull);
}

void Fill(char* p, size_t n, uint64_t seed) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t w = PatternWord(seed, i);
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; ++i) p[i] = static_cast<char>(PatternWord(seed, i));
}

bool Verify(const char* p, size_t n, uint64_t seed) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w != PatternWord(seed, i)) return false;
  }
  for (; i < n; ++i) {
    if (p[i] != static_cast<char>(PatternWord(seed, i))) return false;
  }
  return true;
}

struct Live {
  size_t size;
  uint64_t seed;
};

// The shadow of the pool's live allocations, keyed by offset. Each occupies
// AllocationSize(size) bytes (what the pool holds), so overlap is checked on that.
class Shadow {
 public:
  explicit Shadow(const MemoryPool& pool) : pool_(pool) {}

  // False if [offset, offset + footprint) leaves the region or overlaps a live one.
  bool Add(uint64_t offset, size_t size, uint64_t seed) {
    const uint64_t end = offset + pool_.AllocationSize(size);
    if (end > pool_.capacity()) return false;
    auto next = live_.lower_bound(offset);
    if (next != live_.end() && next->first < end) return false;
    if (next != live_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + pool_.AllocationSize(prev->second.size) > offset) return false;
    }
    live_.emplace(offset, Live{size, seed});
    return true;
  }

  const std::map<uint64_t, Live>& live() const { return live_; }
  std::map<uint64_t, Live>& live() { return live_; }

 private:
  const MemoryPool& pool_;
  std::map<uint64_t, Live> live_;
};

// Sizes from 1 byte to 4 MiB, most of them small as in the key workload.
size_t RandomSize(std::mt19937_64& rng, size_t max_large) {
  const unsigned kind = rng() % 100;
  if (kind < 55) return 1 + rng() % 256;
  if (kind < 85) return 1 + rng() % (16 * KiB);
  if (kind < 97) return 16 * KiB + rng() % (256 * KiB);
  return 256 * KiB + rng() % max_large;
}

void CheckStatsMatch(const MemoryPool& pool, const Shadow& shadow, size_t max_slab) {
  size_t requested = 0, allocated = 0, large = 0;
  for (const auto& [offset, live] : shadow.live()) {
    requested += live.size;
    allocated += pool.AllocationSize(live.size);
    if (live.size > max_slab) large += pool.AllocationSize(live.size);
  }
  const MemoryPool::Stats s = pool.GetStats();
  CHECK(s.requested_bytes == requested);
  CHECK(s.allocated_bytes == allocated);
  CHECK(s.large_bytes == large);
  CHECK(s.live_allocations == shadow.live().size());
  CHECK(s.slab_page_bytes + s.large_bytes + s.small_range_bytes + s.free_bytes == s.capacity);
  CHECK(s.allocated_bytes <= s.slab_page_bytes + s.large_bytes + s.small_range_bytes);
  CHECK(s.largest_free_range <= s.free_bytes);
}

void CheckEmpty(MemoryPool& pool) {
  const MemoryPool::Stats s = pool.GetStats();
  CHECK(s.requested_bytes == 0);
  CHECK(s.allocated_bytes == 0);
  CHECK(s.slab_page_bytes == 0);
  CHECK(s.large_bytes == 0);
  CHECK(s.live_allocations == 0);
  CHECK(s.free_bytes == pool.capacity());
  // Everything came back and coalesced into one range.
  CHECK(s.largest_free_range == pool.capacity());
  auto all = pool.Allocate(pool.capacity());
  REQUIRE(all.has_value());
  CHECK(*all == 0);
  pool.Free(*all, pool.capacity());
}

// Number of resident OS pages in [offset, offset + len) of the pool's region.
size_t Resident(const MemoryPool& pool, uint64_t offset, size_t len) {
  const size_t os_page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const uint64_t begin = offset / os_page * os_page;
  std::vector<unsigned char> vec((offset + len - begin + os_page - 1) / os_page);
  REQUIRE(mincore(pool.At(begin), offset + len - begin, vec.data()) == 0);
  return static_cast<size_t>(
      std::count_if(vec.begin(), vec.end(), [](unsigned char c) { return c & 1; }));
}

TEST_CASE("size classes: low waste for small values, every request fits") {
  auto pool = MakePool(16 * MiB);
  CHECK(pool->AllocationSize(1) == 8);
  CHECK(pool->AllocationSize(8) == 8);
  CHECK(pool->AllocationSize(9) == 16);
  CHECK(pool->AllocationSize(108) == 112);
  CHECK(pool->AllocationSize(128) == 128);
  CHECK(pool->AllocationSize(129) == 136);
  CHECK(pool->AllocationSize(148) == 152);  // a 100-byte value with its node and 16-byte key
  CHECK(pool->AllocationSize(256) == 256);
  CHECK(pool->AllocationSize(257) == 320);
  CHECK(pool->AllocationSize(16 * KiB) == 16 * KiB);
  CHECK(pool->AllocationSize(16 * KiB + 1) == 16 * KiB + 64);  // large: 64-byte steps
  CHECK(pool->AllocationSize(100000) == 100032);

  size_t previous = 0;
  for (size_t s = 1; s <= 16 * KiB; ++s) {
    const size_t a = pool->AllocationSize(s);
    REQUIRE(a >= s);
    REQUIRE(a % 8 == 0);
    REQUIRE(a >= previous);
    if (s <= 256) REQUIRE(a - s < 8);
    else REQUIRE(a * 4 <= s * 5 + 4 * 8);  // at most 25% over, plus 8-byte rounding
    previous = a;
  }

  // A max_slab_object that is not a class size is still a class of its own.
  auto odd = MakePool(16 * MiB, MiB, 1000);
  CHECK(odd->AllocationSize(997) == 1000);
  CHECK(odd->AllocationSize(1000) == 1000);
  CHECK(odd->AllocationSize(1001) == 1024);
  auto tiny = MakePool(16 * MiB, MiB, 100);
  CHECK(tiny->AllocationSize(100) == 104);
  CHECK(tiny->AllocationSize(96) == 96);
}

TEST_CASE("Create rejects bad options and rounds capacity") {
  MemoryPool::Options o;
  o.huge_pages = false;
  o.capacity = 0;
  CHECK(MemoryPool::Create(o).status().code() == StatusCode::kInvalidArgument);
  o.capacity = 16 * MiB;
  o.slab_page_size = 3000;
  CHECK(MemoryPool::Create(o).status().code() == StatusCode::kInvalidArgument);
  o.slab_page_size = MiB + 4096;
  CHECK(MemoryPool::Create(o).status().code() == StatusCode::kInvalidArgument);
  o.slab_page_size = MiB;
  o.max_slab_object = 0;
  CHECK(MemoryPool::Create(o).status().code() == StatusCode::kInvalidArgument);
  o.max_slab_object = 200 * KiB;  // more than 1/8 of a page
  CHECK(MemoryPool::Create(o).status().code() == StatusCode::kInvalidArgument);
  o.max_slab_object = 16 * KiB;
  CHECK(MemoryPool::Create(o).ok());

  o.capacity = 1000;
  auto small = MemoryPool::Create(o);
  REQUIRE(small.ok());
  CHECK((*small)->capacity() == 1024);

  // Huge pages: MAP_HUGETLB if the kernel has them reserved, else the fallback; both work.
  o.capacity = 3 * MiB;
  o.huge_pages = true;
  auto huge = MemoryPool::Create(o);
  REQUIRE(huge.ok());
  MemoryPool& pool = **huge;
  CHECK(pool.capacity() == 4 * MiB);
  auto a = pool.Allocate(3 * MiB);
  REQUIRE(a.has_value());
  Fill(pool.At(*a), 3 * MiB, 7);
  CHECK(Verify(pool.At(*a), 3 * MiB, 7));
  pool.Free(*a, 3 * MiB);
  CheckEmpty(pool);
}

TEST_CASE("random mixed allocations never overlap and give everything back") {
  struct Config {
    size_t capacity, page, max_slab, max_large;
  };
  const Config configs[] = {
      {64 * MiB, MiB, 16 * KiB, 4 * MiB},
      {16 * MiB, 64 * KiB, 8 * KiB, MiB},  // small pages: many page moves, a fuller pool
  };
  for (const Config& config : configs) {
    CAPTURE(config.page);
    auto pool = MakePool(config.capacity, config.page, config.max_slab);
    Shadow shadow(*pool);
    std::mt19937_64 rng(config.page);
    uint64_t next_seed = 1;
    size_t failures = 0;
    for (int op = 0; op < 30000; ++op) {
      if (shadow.live().empty() || rng() % 100 < 55) {
        const size_t size = RandomSize(rng, config.max_large);
        auto offset = pool->Allocate(size);
        if (!offset) {
          // A refusal must be honest: no free range could have served it.
          ++failures;
          const MemoryPool::Stats s = pool->GetStats();
          if (size > config.max_slab) REQUIRE(s.largest_free_range < pool->AllocationSize(size));
          else REQUIRE(s.largest_free_range < 2 * config.page);
          continue;
        }
        REQUIRE(*offset % (size > config.max_slab ? 64 : 8) == 0);
        REQUIRE(shadow.Add(*offset, size, next_seed));
        Fill(pool->At(*offset), size, next_seed++);
      } else {
        auto it = shadow.live().begin();
        std::advance(it, rng() % shadow.live().size());
        REQUIRE(Verify(pool->At(it->first), it->second.size, it->second.seed));
        pool->Free(it->first, it->second.size);
        shadow.live().erase(it);
      }
      if (op % 1000 == 0) CheckStatsMatch(*pool, shadow, config.max_slab);
    }
    CheckStatsMatch(*pool, shadow, config.max_slab);
    MESSAGE("page " << config.page << ": " << failures << " refusals, fragmentation "
                    << pool->GetStats().fragmentation());
    for (const auto& [offset, live] : shadow.live()) {
      REQUIRE(Verify(pool->At(offset), live.size, live.seed));
      pool->Free(offset, live.size);
    }
    CheckEmpty(*pool);
  }
}

TEST_CASE("best fit, lowest address among equals, coalescing") {
  auto pool = MakePool(MiB);
  auto a = pool->Allocate(100 * KiB);
  auto b = pool->Allocate(200 * KiB);
  auto c = pool->Allocate(100 * KiB);
  auto d = pool->Allocate(50 * KiB);
  REQUIRE((a && b && c && d));
  CHECK(*a == 0);
  CHECK(*b == 100 * KiB);
  CHECK(*c == 300 * KiB);
  CHECK(*d == 400 * KiB);
  pool->Free(*b, 200 * KiB);
  // Holes: 200 KiB at 100 KiB and 574 KiB at 450 KiB; best fit takes the first.
  auto e = pool->Allocate(150 * KiB);
  REQUIRE(e);
  CHECK(*e == 100 * KiB);
  pool->Free(*a, 100 * KiB);
  pool->Free(*c, 100 * KiB);
  // Holes of 100, 50 and 100 KiB, plus the tail. An equal fit goes to the lowest.
  auto f = pool->Allocate(100 * KiB);
  REQUIRE(f);
  CHECK(*f == 0);
  pool->Free(*f, 100 * KiB);
  pool->Free(*e, 150 * KiB);  // [0, 400 KiB) is one range now
  CHECK(pool->GetStats().largest_free_range == pool->capacity() - 450 * KiB);
  auto g = pool->Allocate(400 * KiB);
  REQUIRE(g);
  CHECK(*g == 0);
  pool->Free(*g, 400 * KiB);
  pool->Free(*d, 50 * KiB);
  CheckEmpty(*pool);
}

TEST_CASE("slab pages are aligned and taken by best fit") {
  auto pool = MakePool(4 * MiB);
  auto big = pool->Allocate(512 * KiB);
  REQUIRE(big);
  CHECK(*big == 0);
  auto small = pool->Allocate(100);
  REQUIRE(small);
  CHECK(*small == MiB);  // the first aligned page in [512 KiB, 4 MiB)
  MemoryPool::Stats s = pool->GetStats();
  CHECK(s.slab_page_bytes == MiB);
  CHECK(s.largest_free_range == 2 * MiB);
  // The 512 KiB hole left below the page is the best fit for this one.
  auto fits = pool->Allocate(500 * KiB);
  REQUIRE(fits);
  CHECK(*fits == 512 * KiB);
  // Only [2 MiB, 4 MiB) is left.
  CHECK_FALSE(pool->Allocate(2 * MiB + 64).has_value());
  pool->Free(*fits, 500 * KiB);
  pool->Free(*small, 100);
  pool->Free(*big, 512 * KiB);
  CheckEmpty(*pool);
}

TEST_CASE("allocation fails when full and succeeds again after frees") {
  SUBCASE("large") {
    auto pool = MakePool(8 * MiB);
    auto a = pool->Allocate(3 * MiB);
    auto b = pool->Allocate(3 * MiB);
    REQUIRE((a && b));
    CHECK_FALSE(pool->Allocate(3 * MiB).has_value());
    auto c = pool->Allocate(2 * MiB);
    REQUIRE(c);
    CHECK_FALSE(pool->Allocate(64).has_value());  // no page left for a slab class
    CHECK_FALSE(pool->Allocate(16 * KiB + 1).has_value());
    pool->Free(*b, 3 * MiB);
    auto d = pool->Allocate(3 * MiB);
    REQUIRE(d);
    CHECK(*d == *b);
    pool->Free(*a, 3 * MiB);
    pool->Free(*c, 2 * MiB);
    pool->Free(*d, 3 * MiB);
    CheckEmpty(*pool);
  }
  SUBCASE("small") {
    auto pool = MakePool(4 * MiB);
    const size_t per_page = MiB / pool->AllocationSize(100);  // 10082 slots of 104 bytes
    std::vector<uint64_t> offsets;
    while (auto o = pool->Allocate(100)) offsets.push_back(*o);
    CHECK(offsets.size() == 4 * per_page);
    CHECK(pool->GetStats().slab_page_bytes == 4 * MiB);
    CHECK_FALSE(pool->Allocate(5000).has_value());  // other classes get no page either
    CHECK_FALSE(pool->Allocate(20000).has_value());
    const uint64_t freed = offsets[12345];
    pool->Free(freed, 100);
    auto again = pool->Allocate(100);
    REQUIRE(again);
    CHECK(*again == freed);
    pool->Free(offsets[0], 100);
    CHECK_FALSE(pool->Allocate(5000).has_value());  // the page is not empty yet
    for (size_t i = 1; i < per_page; ++i) pool->Free(offsets[i], 100);
    auto other = pool->Allocate(5000);  // the emptied page went to another class
    REQUIRE(other);
    CHECK(*other / MiB == offsets[0] / MiB);
    pool->Free(*other, 5000);
    for (size_t i = per_page; i < offsets.size(); ++i) pool->Free(offsets[i], 100);
    CheckEmpty(*pool);
  }
}

TEST_CASE("slab pages move between classes and return as soon as empty") {
  auto pool = MakePool(8 * MiB);
  std::vector<uint64_t> offsets;
  while (auto o = pool->Allocate(16)) offsets.push_back(*o);
  CHECK(offsets.size() == 8 * MiB / 16);
  CHECK(pool->GetStats().slab_page_bytes == 8 * MiB);
  CHECK(pool->GetStats().fragmentation() == doctest::Approx(0.0));
  for (uint64_t o : offsets) pool->Free(o, 16);
  CHECK(pool->GetStats().slab_page_bytes == 0);
  CHECK(pool->GetStats().largest_free_range == 8 * MiB);

  offsets.clear();
  while (auto o = pool->Allocate(2000)) offsets.push_back(*o);
  CHECK(offsets.size() == 8 * (MiB / 2048));
  CHECK(pool->GetStats().slab_page_bytes == 8 * MiB);
  for (uint64_t o : offsets) pool->Free(o, 2000);
  CheckEmpty(*pool);

  // One slot past a full page takes a second page; freeing it gives that page back.
  const size_t per_page = MiB / 64;
  offsets.clear();
  for (size_t i = 0; i <= per_page; ++i) offsets.push_back(*pool->Allocate(64));
  CHECK(pool->GetStats().slab_page_bytes == 2 * MiB);
  pool->Free(offsets.back(), 64);
  CHECK(pool->GetStats().slab_page_bytes == MiB);
  offsets.pop_back();
  for (uint64_t o : offsets) pool->Free(o, 64);
  CheckEmpty(*pool);
}

TEST_CASE("stats account AllocationSize exactly") {
  auto pool = MakePool(16 * MiB);
  const size_t sizes[] = {1, 7, 8, 100, 108, 129, 300, 4097, 16 * KiB, 16 * KiB + 1, 3 * MiB + 5};
  std::vector<std::pair<uint64_t, size_t>> live;
  size_t requested = 0, allocated = 0;
  for (size_t size : sizes) {
    auto o = pool->Allocate(size);
    REQUIRE(o);
    live.emplace_back(*o, size);
    requested += size;
    allocated += pool->AllocationSize(size);
    const MemoryPool::Stats s = pool->GetStats();
    CHECK(s.requested_bytes == requested);
    CHECK(s.allocated_bytes == allocated);
    CHECK(s.live_allocations == live.size());
  }
  const MemoryPool::Stats s = pool->GetStats();
  CHECK(s.large_bytes == pool->AllocationSize(16 * KiB + 1) + pool->AllocationSize(3 * MiB + 5));
  CHECK(s.slab_page_bytes == 7 * MiB);  // 9 small requests in 7 classes (1, 7 and 8 share one)
  for (auto [o, size] : live) pool->Free(o, size);
  CheckEmpty(*pool);
}

TEST_CASE("Resize lets an allocation serve another size of its class") {
  auto pool = MakePool(16 * MiB);
  CHECK(pool->SameSizeClass(145, 152));
  CHECK_FALSE(pool->SameSizeClass(144, 145));
  CHECK_FALSE(pool->SameSizeClass(16 * KiB, 16 * KiB + 1));  // a large request
  CHECK_FALSE(pool->SameSizeClass(0, 8));
  auto o = pool->Allocate(148);
  REQUIRE(o);
  pool->Resize(*o, 148, 152);
  CHECK(pool->GetStats().requested_bytes == 152);
  CHECK(pool->used_bytes() == 152);
  pool->Resize(*o, 152, 145);
  CHECK(pool->GetStats().requested_bytes == 145);
  pool->Free(*o, 145);
  CheckEmpty(*pool);
}

TEST_CASE("fragmentation") {
  auto pool = MakePool(16 * MiB);
  CHECK(pool->GetStats().fragmentation() == 0.0);
  auto one = pool->Allocate(8);
  REQUIRE(one);
  CHECK(pool->GetStats().fragmentation() == doctest::Approx(1.0 - 8.0 / MiB));
  pool->Free(*one, 8);

  // Two full pages of 108-byte values in the 112-byte class: rounding plus page tails.
  const size_t per_page = MiB / 112;
  std::vector<uint64_t> offsets;
  for (size_t i = 0; i < 2 * per_page; ++i) offsets.push_back(*pool->Allocate(108));
  CHECK(pool->GetStats().slab_page_bytes == 2 * MiB);
  const double expected = 1.0 - double(2 * per_page * 108) / double(2 * MiB);
  CHECK(pool->GetStats().fragmentation() == doctest::Approx(expected));
  CHECK(pool->GetStats().fragmentation() < 0.04);
  for (uint64_t o : offsets) pool->Free(o, 108);

  auto exact = pool->Allocate(MiB);
  REQUIRE(exact);
  CHECK(pool->GetStats().fragmentation() == 0.0);
  pool->Free(*exact, MiB);
  CheckEmpty(*pool);
}

TEST_CASE("RSS follows use: untouched until written, given back by Trim") {
  auto pool = MakePool(64 * MiB);
  CHECK(Resident(*pool, 0, pool->capacity()) == 0);
  std::vector<uint64_t> small;
  for (int i = 0; i < 1000; ++i) small.push_back(*pool->Allocate(100));
  auto big = pool->Allocate(4 * MiB);
  REQUIRE(big);
  // Allocating touched nothing: the metadata lives outside the region.
  CHECK(Resident(*pool, 0, pool->capacity()) == 0);
  Fill(pool->At(*big), 4 * MiB, 3);
  CHECK(Resident(*pool, *big, 4 * MiB) >= 4 * MiB / static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  pool->Free(*big, 4 * MiB);
  // Freed memory stays resident for the next value...
  CHECK(Resident(*pool, *big, 4 * MiB) > 0);
  // ...until Trim gives it back.
  CHECK(pool->Trim() >= 4 * MiB);
  CHECK(Resident(*pool, *big, 4 * MiB) == 0);
  for (uint64_t o : small) pool->Free(o, 100);
  CHECK(Resident(*pool, 0, pool->capacity()) == 0);
  CheckEmpty(*pool);
}

TEST_CASE("with huge pages, a thread faults pages in ahead of the allocations") {
  const size_t os_page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto pool = MakePool(64 * MiB, MiB, 16 * KiB, /*huge=*/true);
  auto resident_soon = [&](uint64_t offset, size_t len) {
    for (int i = 0; i < 1000; ++i) {
      if (Resident(*pool, offset, len) == len / os_page) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  // The stats' count of what is faulted in above the highest allocation, once the
  // thread has caught up.
  auto ahead_soon = [&](size_t bytes) {
    for (int i = 0; i < 1000; ++i) {
      if (pool->GetStats().prefaulted_ahead_bytes == bytes) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  // Before anything is allocated: the first window, which any write needs.
  CHECK(resident_soon(0, 4 * MiB));
  CHECK(ahead_soon(8 * MiB));
  auto big = pool->Allocate(20 * MiB);
  REQUIRE(big);
  CHECK(*big == 0);
  // Past the allocation (the whole window of 8 MiB), before anyone writes there...
  CHECK(resident_soon(20 * MiB, 8 * MiB));
  CHECK(ahead_soon(8 * MiB));
  // ...and no further: RSS still follows use.
  CHECK(Resident(*pool, 28 * MiB, 36 * MiB) == 0);
  // An allocation that leaves more than half the window ahead wakes nobody: the pool
  // holds as much as before, and the stats say that half of it is used now.
  auto next = pool->Allocate(4 * MiB);
  REQUIRE(next);
  CHECK(*next == 20 * MiB);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(pool->GetStats().prefaulted_ahead_bytes == 4 * MiB);
  CHECK(Resident(*pool, 28 * MiB, 36 * MiB) == 0);
  // After Trim gave everything back (FLUSHALL), the pages the next writes need are
  // populated again, and only those.
  Fill(pool->At(*big), 20 * MiB, 1);
  pool->Free(*big, 20 * MiB);
  pool->Free(*next, 4 * MiB);
  CHECK(pool->Trim() > 0);
  CHECK(resident_soon(0, 4 * MiB));
  CHECK(ahead_soon(8 * MiB));
  CHECK(Resident(*pool, 12 * MiB, 52 * MiB) == 0);
}

TEST_CASE("without huge pages nothing is faulted in ahead") {
  auto pool = MakePool(64 * MiB);
  auto big = pool->Allocate(4 * MiB);
  REQUIRE(big);
  CHECK(pool->GetStats().prefaulted_ahead_bytes == 0);
  pool->Free(*big, 4 * MiB);
}

TEST_CASE("concurrent allocate and free from four threads") {
  constexpr size_t kMaxSlab = 8 * KiB;
  auto pool = MakePool(32 * MiB, 64 * KiB, kMaxSlab);
  constexpr int kThreads = 4;
  constexpr int kOps = 20000;
  std::vector<std::vector<std::pair<uint64_t, Live>>> kept(kThreads);
  std::atomic<int> corrupt{0};
  std::atomic<bool> done{false};
  std::atomic<int> bad_stats{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      std::vector<std::pair<uint64_t, Live>>& live = kept[t];
      uint64_t seed = uint64_t(t + 1) << 40;
      for (int op = 0; op < kOps; ++op) {
        if (live.empty() || rng() % 100 < 52) {
          const size_t size = rng() % 50 == 0 ? kMaxSlab + rng() % (512 * KiB) : 1 + rng() % 600;
          auto o = pool->Allocate(size);
          if (!o) continue;
          Fill(pool->At(*o), size, ++seed);
          live.push_back({*o, Live{size, seed}});
        } else {
          const size_t i = rng() % live.size();
          auto [o, l] = live[i];
          if (!Verify(pool->At(o), l.size, l.seed)) corrupt.fetch_add(1);
          pool->Free(o, l.size);
          live[i] = live.back();
          live.pop_back();
        }
      }
    });
  }
  std::thread reader([&] {
    while (!done.load()) {
      const MemoryPool::Stats s = pool->GetStats();
      if (s.slab_page_bytes + s.large_bytes + s.small_range_bytes + s.free_bytes != s.capacity) {
        bad_stats.fetch_add(1);
      }
    }
  });
  for (std::thread& t : threads) t.join();
  done.store(true);
  reader.join();
  CHECK(corrupt.load() == 0);
  CHECK(bad_stats.load() == 0);

  Shadow shadow(*pool);
  for (const auto& live : kept) {
    for (const auto& [o, l] : live) REQUIRE(shadow.Add(o, l.size, l.seed));
  }
  CheckStatsMatch(*pool, shadow, kMaxSlab);
  for (const auto& [o, l] : shadow.live()) {
    REQUIRE(Verify(pool->At(o), l.size, l.seed));
    pool->Free(o, l.size);
  }
  CheckEmpty(*pool);
}

TEST_CASE("small requests are served from free ranges when no slab page can be had") {
  // Fill the pool with large allocations, leaving less than one aligned page free.
  auto pool = MakePool(8 * MiB, MiB, 16 * KiB);
  std::vector<uint64_t> large;
  while (auto offset = pool->Allocate(MiB - 512)) large.push_back(*offset);
  REQUIRE(pool->GetStats().largest_free_range < MiB);
  REQUIRE(pool->GetStats().free_bytes > 0);
  // No slab page is available, yet a small value still fits in the free bytes.
  auto small = pool->Allocate(100);
  REQUIRE(small.has_value());
  std::memset(pool->At(*small), 0x5a, 100);
  auto stats = pool->GetStats();
  CHECK(stats.small_range_bytes == 128);
  CHECK(stats.slab_page_bytes == 0);
  CHECK(stats.allocated_bytes == pool->AllocationSize(100) + large.size() * pool->AllocationSize(MiB - 512));
  pool->Free(*small, 100);
  CHECK(pool->GetStats().small_range_bytes == 0);
  for (uint64_t offset : large) pool->Free(offset, MiB - 512);
  CheckEmpty(*pool);
}

}  // namespace
}  // namespace crescent::storage

