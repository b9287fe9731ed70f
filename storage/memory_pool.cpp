// MemoryPool: how one segment's region is cut up.
//
// The region is a single mmap. With Options::huge_pages we first ask for MAP_HUGETLB
// *without* MAP_NORESERVE: the kernel then reserves the huge pages at mmap time and fails
// cleanly when the pool has too few, instead of raising SIGBUS at the first touch of a
// page it cannot back. When that fails (the usual case: no hugetlbfs pool configured) we
// map normal pages with MAP_NORESERVE and hint MADV_HUGEPAGE so that transparent huge
// pages can back it. Either way nothing is touched here: RSS grows as callers write,
// plus, with huge pages, a few pages that a thread faults in ahead of the allocations
// (storage/pool_prefaulter.h), so that request threads do not pay for the faults.
//
// Range allocator. The whole region starts as one free range. Free ranges are kept in
// two ordered containers: by offset (to find both neighbours when a range is freed, so
// adjacent free ranges are always merged) and by (size, offset) (best fit: the smallest
// range that fits, the lowest address among equals). Large requests (> max_slab_object)
// are rounded up to 64 bytes and carved from the front of their best-fit range. When a
// large range of 2 MiB or more is freed, the whole OS pages inside it are handed back to
// the kernel with MADV_DONTNEED *before* the range is published as free (after that
// another thread may already be writing there), so RSS follows use.
//
// Slab classes. Requests up to max_slab_object go to size classes, jemalloc style:
//   8, 16, ..., 256 in 8-byte steps      (32 classes)
//   then 4 classes per doubling: 320, 384, 448, 512, 640, ... up to max_slab_object
// so rounding wastes at most 7 bytes up to 256 (4 for a 108-byte value: class 112) and
// at most 25% above. The fine classes matter: a small object is one allocation of node,
// key and value together (object_table.h), typically 100-250 bytes. A class owns slab
// pages: slab_page_size bytes taken from the range allocator at an offset aligned to slab_page_size, so the page of
// any offset is offset / page size. Each page's metadata (a free-slot bitmap plus a
// one-bit-per-word summary so the lowest free slot is found in a few word scans) lives in
// pages_, a vector indexed by page number outside the region: the allocator never reads
// or writes a free slot, so a page's untouched slots stay unbacked, and a stray write
// into freed memory cannot corrupt the allocator. A class allocates from its
// lowest-addressed page that has a free slot (which packs objects low and lets high pages
// drain); a page that becomes completely empty goes back to the range allocator at once,
// where it can coalesce and serve a large request or another class.
//
// Locking. One mutex per size class guards that class's counters, its partial-page set
// and the pages_ entries of the pages it owns; range_mu_ guards the free ranges and the
// page/large counters. No function holds two of these at once (a class that needs a page
// drops its lock, takes a page under range_mu_, then relocks), so there is no lock order
// to get wrong. Ownership of a page's metadata passes from class to class through
// range_mu_, which orders the writes of the old owner before those of the new one.
// Functions named do_* expect the caller to hold the lock of the class they are given
// (memcached's convention).
#include "storage/memory_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/pool_prefaulter.h"

namespace crescent::storage {
namespace {

constexpr size_t kLargeAlign = 64;
constexpr size_t kSlabAlign = 8;
constexpr size_t kHugePageSize = 2u << 20;
// Trim() gives free ranges at least this big back to the kernel. Frees do not: a cache
// pool is refilled at once, and pages handed back on every free made each overwrite of
// a large value fault in and zero fresh pages (measured: 3x Redis's CPU per 4 MiB SET).
constexpr size_t kReleaseThreshold = 2u << 20;
constexpr uint16_t kNoClass = UINT16_MAX;
// With huge pages, how far past the allocations the pool's pages are faulted in ahead
// (storage/pool_prefaulter.h): a sixteenth of the pool, between 8 and 64 MiB.
// redis-benchmark SET 1 KiB P1 into a fresh 2 GB pool, p99: no window 2.3-4.5 ms, 2 MiB
// 1.6-2.0, 8 MiB 1.2-2.2, 64 MiB with the thread at nice 19 and one huge page per call
// 1.06-1.74 (median of five 1.17; 8 MiB in the same runs 1.77; huge pages off 1.0-1.3;
// a pool populated before the load 0.86-1.16). A pool holds this much more at rest;
// memory per key is unchanged, as the first window is populated at start-up, before
// anything is stored.
constexpr uint64_t kMinPrefaultAhead = 8u << 20;
constexpr uint64_t kMaxPrefaultAhead = 64u << 20;

constexpr size_t RoundUp(size_t n, size_t align) { return (n + align - 1) / align * align; }

// The class sizes described at the top of the file, the last one being
// RoundUp(max_object, 8) so that every request up to max_object has a class.
std::vector<size_t> BuildClassSizes(size_t max_object) {
  const size_t last = RoundUp(max_object, kSlabAlign);
  std::vector<size_t> sizes;
  auto add = [&](size_t s) {
    if (s < last) sizes.push_back(s);
  };
  for (size_t s = 8; s <= 256; s += 8) add(s);
  for (size_t base = 256; base < last; base *= 2) {
    for (size_t q = 1; q <= 4; ++q) add(base + base / 4 * q);
  }
  sizes.push_back(last);
  return sizes;
}

// The free ranges of the region. Not thread-safe: the pool holds range_mu_ around every
// call. Invariants: free ranges are disjoint and never adjacent (neighbours are merged
// on Free); by_offset_ and by_size_ hold the same ranges; offsets and sizes are
// multiples of 64.
class RangeAllocator {
 public:
  explicit RangeAllocator(uint64_t capacity) {
    spare_offsets_.reserve(kSpareNodes);
    spare_sizes_.reserve(kSpareNodes);
    Insert(0, capacity);
  }

  // Best fit: the smallest free range of at least `size` bytes, lowest offset first.
  std::optional<uint64_t> Allocate(uint64_t size) {
    auto it = by_size_.lower_bound({size, 0});
    if (it == by_size_.end()) return std::nullopt;
    auto [range_size, offset] = *it;
    Erase(offset, range_size);
    if (range_size > size) Insert(offset + size, range_size - size);
    return offset;
  }

  // `size` bytes at an offset that is a multiple of `align` (a power of two). Best fit
  // among the ranges that can hold such a block. Ranges of 2*align - 64 bytes or more
  // always can, so the scan stops there at the latest; before that it visits at most
  // capacity / align smaller ranges, which happens only when the region is fragmented.
  std::optional<uint64_t> AllocateAligned(uint64_t size, uint64_t align) {
    for (auto it = by_size_.lower_bound({size, 0}); it != by_size_.end(); ++it) {
      auto [range_size, offset] = *it;
      const uint64_t start = RoundUp(offset, align);
      const uint64_t end = offset + range_size;
      if (start + size > end) continue;
      Erase(offset, range_size);
      if (start > offset) Insert(offset, start - offset);
      if (end > start + size) Insert(start + size, end - start - size);
      return start;
    }
    return std::nullopt;
  }

  // REQUIRES: [offset, offset + size) was allocated here and is not free.
  void Free(uint64_t offset, uint64_t size) {
    auto next = by_offset_.lower_bound(offset);
    assert(next == by_offset_.end() || next->first >= offset + size);  // double free
    if (next != by_offset_.begin()) {
      auto prev = std::prev(next);
      assert(prev->first + prev->second <= offset);  // double free
      if (prev->first + prev->second == offset) {
        offset = prev->first;
        size += prev->second;
        Erase(prev->first, prev->second);
      }
    }
    if (next != by_offset_.end() && offset + size == next->first) {
      size += next->second;
      Erase(next->first, next->second);
    }
    Insert(offset, size);
  }

  uint64_t largest() const { return by_size_.empty() ? 0 : by_size_.rbegin()->first; }
  // Where the free range that reaches the region's end begins: nothing is allocated from
  // here up (`capacity` when the last byte is allocated).
  uint64_t top(uint64_t capacity) const {
    if (by_offset_.empty()) return capacity;
    const auto& [offset, size] = *by_offset_.rbegin();
    return offset + size == capacity ? offset : capacity;
  }
  const std::map<uint64_t, uint64_t>& free_ranges() const { return by_offset_; }

 private:
  // The trees' nodes are kept for reuse: freeing a large value inserts a range and
  // allocating one erases it, and with fresh nodes each was two mallocs and two frees.
  void Insert(uint64_t offset, uint64_t size) {
    if (spare_offsets_.empty()) {
      by_offset_.emplace(offset, size);
      by_size_.emplace(size, offset);
      return;
    }
    auto by_offset = std::move(spare_offsets_.back());
    auto by_size = std::move(spare_sizes_.back());
    spare_offsets_.pop_back();
    spare_sizes_.pop_back();
    by_offset.key() = offset;
    by_offset.mapped() = size;
    by_size.value() = {size, offset};
    by_offset_.insert(std::move(by_offset));
    by_size_.insert(std::move(by_size));
  }
  void Erase(uint64_t offset, uint64_t size) {
    auto by_offset = by_offset_.extract(offset);
    auto by_size = by_size_.extract({size, offset});
    if (spare_offsets_.size() < kSpareNodes) {
      spare_offsets_.push_back(std::move(by_offset));
      spare_sizes_.push_back(std::move(by_size));
    }
  }

  using ByOffset = std::map<uint64_t, uint64_t>;
  using BySize = std::set<std::pair<uint64_t, uint64_t>>;
  static constexpr size_t kSpareNodes = 16;
  ByOffset by_offset_;   // offset -> size
  BySize by_size_;       // (size, offset)
  // Extracted nodes, as many of one tree's as of the other's (at most kSpareNodes).
  std::vector<ByOffset::node_type> spare_offsets_;
  std::vector<BySize::node_type> spare_sizes_;
};

// Metadata of one slab page, kept outside the region. Empty vectors when the page is not
// a slab page. Guarded by the lock of the owning class.
struct SlabPage {
  uint16_t owner = kNoClass;
  uint32_t free_slots = 0;
  std::vector<uint64_t> free_bits;  // bit i set: slot i is free
  std::vector<uint64_t> summary;    // bit w set: free_bits[w] != 0

  void Init(uint16_t cls, uint32_t slots) {
    owner = cls;
    free_slots = slots;
    const size_t words = (slots + 63) / 64;
    free_bits.assign(words, ~uint64_t{0});
    if (slots % 64 != 0) free_bits.back() = (uint64_t{1} << (slots % 64)) - 1;
    summary.assign((words + 63) / 64, ~uint64_t{0});
    if (words % 64 != 0) summary.back() = (uint64_t{1} << (words % 64)) - 1;
  }

  // The lowest free slot, now taken. REQUIRES: free_slots > 0.
  uint32_t Take() {
    size_t s = 0;
    while (summary[s] == 0) ++s;
    const size_t w = s * 64 + std::countr_zero(summary[s]);
    const unsigned b = std::countr_zero(free_bits[w]);
    free_bits[w] &= free_bits[w] - 1;
    if (free_bits[w] == 0) summary[s] &= ~(uint64_t{1} << (w % 64));
    --free_slots;
    return static_cast<uint32_t>(w * 64 + b);
  }

  // REQUIRES: `slot` is taken.
  void Release(uint32_t slot) {
    const size_t w = slot / 64;
    assert((free_bits[w] & (uint64_t{1} << (slot % 64))) == 0);  // double free
    free_bits[w] |= uint64_t{1} << (slot % 64);
    summary[w / 64] |= uint64_t{1} << (w % 64);
    ++free_slots;
  }
};

// One slab size class. Aligned to a cache line so that the mutexes of neighbouring
// classes do not share one.
struct alignas(64) SizeClass {
  size_t object_size = 0;
  uint32_t slots_per_page = 0;
  mutable std::mutex mu;
  // Guarded by mu.
  std::set<uint32_t> partial_pages;  // owned pages with a free slot, lowest first
  size_t pages = 0;
  size_t live = 0;
  size_t requested = 0;
};

}  // namespace

class MemoryPool::Impl {
 public:
  Impl(const Options& options, char* base, uint64_t capacity, bool huge_pages)
      : base_(base),
        capacity_(capacity),
        huge_pages_(huge_pages),
        max_slab_object_(options.max_slab_object),
        page_size_(options.slab_page_size),
        page_shift_(std::countr_zero(options.slab_page_size)),
        os_page_(huge_pages ? kHugePageSize : static_cast<size_t>(sysconf(_SC_PAGESIZE))),
        pages_((capacity + page_size_ - 1) / page_size_),
        ranges_(capacity) {
    const std::vector<size_t> sizes = BuildClassSizes(max_slab_object_);
    classes_ = std::vector<SizeClass>(sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) {
      classes_[i].object_size = sizes[i];
      classes_[i].slots_per_page = static_cast<uint32_t>(page_size_ / sizes[i]);
    }
    if (options.huge_pages) {
      const uint64_t ahead =
          std::clamp<uint64_t>(capacity_ / 16, kMinPrefaultAhead, kMaxPrefaultAhead);
      prefaulter_ = std::make_unique<PoolPrefaulter>(base_, capacity_,
                                                     ahead / kHugePageSize * kHugePageSize);
    }
    // class_of_[(size + 7) / 8]: the smallest class that holds `size` bytes.
    class_of_.resize(RoundUp(max_slab_object_, kSlabAlign) / kSlabAlign + 1);
    size_t cls = 0;
    for (size_t i = 0; i < class_of_.size(); ++i) {
      while (sizes[cls] < i * kSlabAlign) ++cls;
      class_of_[i] = static_cast<uint16_t>(cls);
    }
  }

  ~Impl() {
    prefaulter_.reset();  // its thread touches the region
    munmap(base_, capacity_);
  }

  size_t ClassOf(size_t size) const { return class_of_[(size + kSlabAlign - 1) / kSlabAlign]; }

  size_t AllocationSize(size_t size) const {
    if (size <= max_slab_object_) return classes_[ClassOf(size)].object_size;
    return RoundUp(size, kLargeAlign);
  }

  std::optional<uint64_t> Allocate(size_t size) {
    if (size == 0 || size > capacity_) return std::nullopt;
    return size <= max_slab_object_ ? AllocateSmall(size) : AllocateLarge(size);
  }

  void Free(uint64_t offset, size_t size) {
    assert(size > 0 && offset + size <= capacity_);
    // A small request lives in a slab page unless no page could be had when it was
    // made (see AllocateSmall); an owned page cannot change owner while one of its slots
    // is live, nor can a range inside an unowned page become a slab page, so reading the
    // owner here is stable for this allocation.
    if (size <= max_slab_object_ && pages_[offset >> page_shift_].owner != kNoClass) {
      FreeSmall(offset, size);
    } else if (size <= max_slab_object_) {
      FreeSmallFromRanges(offset, size);
    } else {
      FreeLarge(offset, size);
    }
  }

  bool SameSizeClass(size_t a, size_t b) const {
    return a > 0 && b > 0 && a <= max_slab_object_ && b <= max_slab_object_ &&
           ClassOf(a) == ClassOf(b);
  }

  void Resize(uint64_t offset, size_t old_size, size_t new_size) {
    assert(SameSizeClass(old_size, new_size));
    if (pages_[offset >> page_shift_].owner != kNoClass) {
      SizeClass& c = classes_[ClassOf(old_size)];
      std::lock_guard lock(c.mu);
      c.requested = c.requested - old_size + new_size;
    } else {
      std::lock_guard lock(range_mu_);
      small_range_requested_ = small_range_requested_ - old_size + new_size;
    }
  }

  Stats GetStats() const;
  size_t Trim();

 private:
  std::optional<uint64_t> AllocateSmall(size_t size);
  std::optional<uint64_t> AllocateLarge(size_t size);
  void FreeSmall(uint64_t offset, size_t size);
  void FreeLarge(uint64_t offset, size_t size);
  // A small request served by the range allocator when no slab page can be had: it
  // holds its class size rounded to the range granule, so AllocationSize stays true.
  std::optional<uint64_t> AllocateSmallFromRanges(size_t size);
  void FreeSmallFromRanges(uint64_t offset, size_t size);
  std::optional<uint64_t> do_TakeSlot(SizeClass& c, size_t size);
  uint64_t do_TakeSlotFrom(SizeClass& c, uint32_t page, size_t size);
  void ReleaseToKernel(uint64_t offset, size_t size);
  // Every allocation from the range allocator: `size` bytes (aligned to `align`, or 0 for
  // kLargeAlign), counted by `account` under range_mu_; then, outside the lock, the
  // prefault thread learns how far allocations reach.
  template <class Account>
  std::optional<uint64_t> TakeRange(uint64_t size, uint64_t align, Account&& account) {
    std::optional<uint64_t> offset;
    {
      std::lock_guard lock(range_mu_);
      offset = align != 0 ? ranges_.AllocateAligned(size, align) : ranges_.Allocate(size);
      if (offset) account();
    }
    if (offset && prefaulter_) prefaulter_->NoteAllocatedUpTo(*offset + size);
    return offset;
  }

  char* const base_;
  const uint64_t capacity_;
  const bool huge_pages_;
  const size_t max_slab_object_;
  const size_t page_size_;
  const unsigned page_shift_;
  const size_t os_page_;  // granule of MADV_DONTNEED
  std::vector<uint16_t> class_of_;
  std::vector<SizeClass> classes_;
  // pages_[offset >> page_shift_]; an entry is guarded by the lock of the class that
  // owns the page (the vector itself never changes size).
  std::vector<SlabPage> pages_;

  mutable std::mutex range_mu_;
  // Guarded by range_mu_.
  RangeAllocator ranges_;
  size_t slab_page_bytes_ = 0;
  size_t large_bytes_ = 0;
  size_t large_requested_ = 0;
  size_t large_live_ = 0;
  size_t small_range_bytes_ = 0;      // held by small requests in ranges
  size_t small_range_allocated_ = 0;  // their class sizes
  size_t small_range_requested_ = 0;
  size_t small_range_live_ = 0;

  // With huge pages: faults huge pages in ahead of the allocations.
  std::unique_ptr<PoolPrefaulter> prefaulter_;
};

// Takes the lowest free slot of the class's lowest partial page. REQUIRES: c.mu held.
std::optional<uint64_t> MemoryPool::Impl::do_TakeSlot(SizeClass& c, size_t size) {
  if (c.partial_pages.empty()) return std::nullopt;
  return do_TakeSlotFrom(c, *c.partial_pages.begin(), size);
}

// REQUIRES: c.mu held; `page` is one of c's partial pages.
uint64_t MemoryPool::Impl::do_TakeSlotFrom(SizeClass& c, uint32_t page, size_t size) {
  SlabPage& p = pages_[page];
  const uint32_t slot = p.Take();
  if (p.free_slots == 0) c.partial_pages.erase(page);
  ++c.live;
  c.requested += size;
  return (uint64_t{page} << page_shift_) + uint64_t{slot} * c.object_size;
}

std::optional<uint64_t> MemoryPool::Impl::AllocateSmall(size_t size) {
  const size_t cls = ClassOf(size);
  SizeClass& c = classes_[cls];
  {
    std::lock_guard lock(c.mu);
    if (auto offset = do_TakeSlot(c, size)) return offset;
  }
  // No free slot: take a page without holding the class lock (see "Locking" above).
  // Another thread may do the same meanwhile; the class then simply owns two pages.
  std::optional<uint64_t> page_offset =
      TakeRange(page_size_, page_size_, [&] { slab_page_bytes_ += page_size_; });
  if (!page_offset) {
    {
      std::lock_guard lock(c.mu);
      if (auto offset = do_TakeSlot(c, size)) return offset;  // freed meanwhile
    }
    // No aligned free page is left, but free bytes may be: serve the request from the
    // range allocator rather than fail a small write while memory is free.
    return AllocateSmallFromRanges(size);
  }
  std::lock_guard lock(c.mu);
  const uint32_t page = static_cast<uint32_t>(*page_offset >> page_shift_);
  pages_[page].Init(static_cast<uint16_t>(cls), c.slots_per_page);
  c.partial_pages.insert(page);
  ++c.pages;
  // From the new page even if another thread freed a slot in a lower page meanwhile:
  // a page nobody ever allocates from would never be freed, hence never given back.
  return do_TakeSlotFrom(c, page, size);
}

void MemoryPool::Impl::FreeSmall(uint64_t offset, size_t size) {
  const size_t cls = ClassOf(size);
  SizeClass& c = classes_[cls];
  const uint32_t page = static_cast<uint32_t>(offset >> page_shift_);
  bool page_empty = false;
  {
    std::lock_guard lock(c.mu);
    SlabPage& p = pages_[page];
    const uint64_t in_page = offset - (uint64_t{page} << page_shift_);
    assert(p.owner == cls && in_page % c.object_size == 0);  // wrong size or offset
    p.Release(static_cast<uint32_t>(in_page / c.object_size));
    --c.live;
    c.requested -= size;
    if (p.free_slots == 1) c.partial_pages.insert(page);
    if (p.free_slots == c.slots_per_page) {
      c.partial_pages.erase(page);
      --c.pages;
      p = SlabPage{};  // frees the bitmaps; the entry is unowned from here on
      page_empty = true;
    }
  }
  if (page_empty) {
    std::lock_guard lock(range_mu_);
    ranges_.Free(uint64_t{page} << page_shift_, page_size_);
    slab_page_bytes_ -= page_size_;
  }
}

std::optional<uint64_t> MemoryPool::Impl::AllocateLarge(size_t size) {
  const size_t rounded = RoundUp(size, kLargeAlign);
  return TakeRange(rounded, 0, [&] {
    large_bytes_ += rounded;
    large_requested_ += size;
    ++large_live_;
  });
}

std::optional<uint64_t> MemoryPool::Impl::AllocateSmallFromRanges(size_t size) {
  const size_t class_size = classes_[ClassOf(size)].object_size;
  const size_t rounded = RoundUp(class_size, kLargeAlign);
  return TakeRange(rounded, 0, [&] {
    small_range_bytes_ += rounded;
    small_range_allocated_ += class_size;
    small_range_requested_ += size;
    ++small_range_live_;
  });
}

void MemoryPool::Impl::FreeSmallFromRanges(uint64_t offset, size_t size) {
  const size_t class_size = classes_[ClassOf(size)].object_size;
  const size_t rounded = RoundUp(class_size, kLargeAlign);
  std::lock_guard lock(range_mu_);
  ranges_.Free(offset, rounded);
  small_range_bytes_ -= rounded;
  small_range_allocated_ -= class_size;
  small_range_requested_ -= size;
  --small_range_live_;
}

void MemoryPool::Impl::FreeLarge(uint64_t offset, size_t size) {
  const size_t rounded = RoundUp(size, kLargeAlign);
  // Still ours until ranges_.Free publishes it, so nobody else can be using it.
  std::lock_guard lock(range_mu_);
  ranges_.Free(offset, rounded);
  large_bytes_ -= rounded;
  large_requested_ -= size;
  --large_live_;
}

// Holds the range lock for the walk: free ranges cannot be handed out (and written)
// while their pages are being dropped.
size_t MemoryPool::Impl::Trim() {
  size_t released = 0;
  uint64_t top = capacity_;
  {
    std::lock_guard lock(range_mu_);
    top = ranges_.top(capacity_);
    for (const auto& [offset, size] : ranges_.free_ranges()) {
      if (size < kReleaseThreshold) continue;
      ReleaseToKernel(offset, size);
      released += size;
    }
  }
  if (prefaulter_ && released > 0) prefaulter_->Restart(top);
  return released;
}

// Drops the whole OS pages inside [offset, offset + size); partial pages at either end
// may hold a neighbour's bytes and stay. A failure (e.g. hugetlb on an old kernel)
// only means the memory stays resident.
void MemoryPool::Impl::ReleaseToKernel(uint64_t offset, size_t size) {
  const uint64_t begin = RoundUp(offset, os_page_);
  const uint64_t end = (offset + size) / os_page_ * os_page_;
  if (end > begin) (void)madvise(base_ + begin, end - begin, MADV_DONTNEED);
}

MemoryPool::Stats MemoryPool::Impl::GetStats() const {
  Stats s;
  s.capacity = capacity_;
  s.huge_pages = huge_pages_;
  for (const SizeClass& c : classes_) {
    std::lock_guard lock(c.mu);
    s.requested_bytes += c.requested;
    s.allocated_bytes += c.live * c.object_size;
    s.live_allocations += c.live;
  }
  std::lock_guard lock(range_mu_);
  s.requested_bytes += large_requested_;
  s.allocated_bytes += large_bytes_;
  s.live_allocations += large_live_;
  s.requested_bytes += small_range_requested_;
  s.allocated_bytes += small_range_allocated_;
  s.live_allocations += small_range_live_;
  s.slab_page_bytes = slab_page_bytes_;
  s.large_bytes = large_bytes_;
  s.small_range_bytes = small_range_bytes_;
  s.free_bytes = capacity_ - slab_page_bytes_ - large_bytes_ - small_range_bytes_;
  s.largest_free_range = ranges_.largest();
  if (prefaulter_) {
    const uint64_t top = ranges_.top(capacity_);
    const uint64_t populated = prefaulter_->populated_end();
    s.prefaulted_ahead_bytes = populated > top ? populated - top : 0;
  }
  return s;
}

double MemoryPool::Stats::fragmentation() const {
  const size_t held = slab_page_bytes + large_bytes + small_range_bytes;
  if (held == 0) return 0.0;
  return 1.0 - static_cast<double>(requested_bytes) / static_cast<double>(held);
}

StatusOr<std::unique_ptr<MemoryPool>> MemoryPool::Create(const Options& options) {
  const size_t page = options.slab_page_size;
  if (options.capacity == 0) {
    return Status(StatusCode::kInvalidArgument, "memory pool capacity must be positive");
  }
  if (page < 4096 || !std::has_single_bit(page) || page > (size_t{1} << 31)) {
    return Status(StatusCode::kInvalidArgument,
                  "slab page size must be a power of two between 4 KiB and 2 GiB");
  }
  // At least 8 objects per page keeps the unusable tail of a page under 1/8.
  if (options.max_slab_object == 0 || RoundUp(options.max_slab_object, kSlabAlign) > page / 8) {
    return Status(StatusCode::kInvalidArgument,
                  "max slab object must be positive and at most 1/8 of the slab page size");
  }
  size_t capacity = RoundUp(options.capacity, kLargeAlign);
  if (options.huge_pages) capacity = RoundUp(capacity, kHugePageSize);
  if (capacity < options.capacity) {
    return Status(StatusCode::kInvalidArgument, "memory pool capacity is too large");
  }

  void* region = MAP_FAILED;
  bool huge = false;
  if (options.huge_pages) {
    // No MAP_NORESERVE: reserving now is what turns "too few huge pages" into a clean
    // mmap failure rather than a SIGBUS on first touch.
    region = mmap(nullptr, capacity, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    huge = region != MAP_FAILED;
  }
  if (!huge) {
    region = mmap(nullptr, capacity, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
      return Status(StatusCode::kOutOfMemory, "mmap of " + std::to_string(capacity) +
                                                  " bytes failed: " + std::strerror(errno));
    }
    // Only a hint: a kernel without transparent huge pages refuses it, which is fine.
    if (options.huge_pages) (void)madvise(region, capacity, MADV_HUGEPAGE);
  }

  std::unique_ptr<MemoryPool> pool(new (std::nothrow) MemoryPool(options));
  if (pool == nullptr) {
    munmap(region, capacity);
    return Status(StatusCode::kOutOfMemory, "cannot allocate memory pool metadata");
  }
  try {
    // From here the Impl owns the mapping and unmaps it.
    pool->impl_ = std::make_unique<Impl>(options, static_cast<char*>(region), capacity, huge);
  } catch (const std::bad_alloc&) {
    munmap(region, capacity);
    return Status(StatusCode::kOutOfMemory, "cannot allocate memory pool metadata");
  }
  pool->base_ = static_cast<char*>(region);
  pool->capacity_ = capacity;
  return pool;
}

MemoryPool::MemoryPool(const Options& options) {}
MemoryPool::~MemoryPool() = default;

std::optional<uint64_t> MemoryPool::Allocate(size_t size) {
  auto offset = impl_->Allocate(size);
  if (offset) used_bytes_.fetch_add(impl_->AllocationSize(size), std::memory_order_relaxed);
  return offset;
}

void MemoryPool::Free(uint64_t offset, size_t size) {
  used_bytes_.fetch_sub(impl_->AllocationSize(size), std::memory_order_relaxed);
  impl_->Free(offset, size);
}
size_t MemoryPool::AllocationSize(size_t size) const { return impl_->AllocationSize(size); }
bool MemoryPool::SameSizeClass(size_t a, size_t b) const { return impl_->SameSizeClass(a, b); }
void MemoryPool::Resize(uint64_t offset, size_t old_size, size_t new_size) {
  impl_->Resize(offset, old_size, new_size);
}
MemoryPool::Stats MemoryPool::GetStats() const { return impl_->GetStats(); }
size_t MemoryPool::Trim() { return impl_->Trim(); }

}  // namespace crescent::storage
