// MemoryPool: the memory of one segment, and the allocator that cuts it up.
//
// One contiguous region, reserved with mmap (huge pages when the kernel grants them,
// otherwise normal pages with MADV_HUGEPAGE as a hint), so that a transport can register
// it once. Pages are only touched when used, so RSS follows use, not capacity; the
// allocator keeps its metadata outside the region and never touches free memory. Freed
// memory stays resident (a cache refills it at once); Trim() gives free ranges back.
//
// Two allocators share the region:
//  - a range allocator (best fit over free ranges, coalescing neighbours on free) owns
//    the whole region and serves large requests directly;
//  - slab size classes (8-byte steps to 128, 16-byte steps to 256, then 4 per doubling)
//    serve small requests from slab pages that they take from the range allocator,
//    aligned to slab_page_size; a slab page that becomes empty goes back to the range
//    allocator at once, so memory moves between small and large values as the workload
//    changes.
// The caller remembers the size it asked for and passes it back to Free; the pool keeps
// no per-allocation header.
//
// Thread-safe: each size class and the range allocator have their own lock; the pool
// never calls out while holding one (it is the innermost lock of the tree).
// Invariants: live allocations never overlap; Free(Allocate(n), n) returns every byte;
// offsets are 8-byte aligned (large allocations 64-byte aligned).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "common/status.h"

namespace crescent::storage {

class MemoryPool {
 public:
  struct Options {
    // Rounded up to 64 bytes, and to 2 MiB when huge_pages is set; capacity() is the
    // rounded value.
    size_t capacity = 1ull << 30;
    bool huge_pages = true;
    // Requests up to this size are served by slab classes, larger ones by ranges.
    // At most slab_page_size / 8.
    size_t max_slab_object = 16 * 1024;
    // A power of two, 4 KiB or more.
    size_t slab_page_size = 1 << 20;
  };

  struct Stats {
    size_t capacity = 0;
    size_t requested_bytes = 0;   // sum of sizes callers asked for (live allocations)
    size_t allocated_bytes = 0;   // bytes held for them, after rounding to a class
    size_t slab_page_bytes = 0;   // bytes of slab pages taken from the range allocator
    size_t large_bytes = 0;       // bytes held by range allocations of large requests
    // Bytes held by small requests that the range allocator served because no free
    // aligned slab page was left (a fragmented pool still takes small writes).
    size_t small_range_bytes = 0;
    size_t free_bytes = 0;        // capacity - slab_page_bytes - large_bytes - small_range_bytes
    size_t largest_free_range = 0;
    size_t live_allocations = 0;
    bool huge_pages = false;      // whether MAP_HUGETLB was granted
    // Bytes at or above the highest allocation that the prefault thread has faulted in
    // (storage/pool_prefaulter.h): resident, yet holding nothing. From half the window to
    // all of it plus the rest of a 2 MiB page while a pool fills, so RSS alone moves by
    // up to half a window for the same contents.
    size_t prefaulted_ahead_bytes = 0;
    // 1 - requested / (slab_page_bytes + large_bytes + small_range_bytes): what rounding and partly used
    // slab pages cost, as INFO reports it.
    double fragmentation() const;
  };

  // kInvalidArgument for options outside the bounds above, kOutOfMemory when the
  // region cannot be mapped. Never throws.
  static StatusOr<std::unique_ptr<MemoryPool>> Create(const Options& options);
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  // An offset of `size` usable bytes, or nullopt when no room is left (the caller may
  // evict and retry). REQUIRES: 0 < size <= capacity (otherwise: nullopt).
  std::optional<uint64_t> Allocate(size_t size);
  // REQUIRES: offset came from Allocate(size) with this same size and is live.
  void Free(uint64_t offset, size_t size);

  // Whether requests of `a` and `b` bytes are served by the same slab class.
  bool SameSizeClass(size_t a, size_t b) const;
  // Lets a live allocation of `old_size` serve `new_size` bytes without moving (Free
  // then takes new_size): a small object is overwritten in place.
  // REQUIRES: SameSizeClass(old_size, new_size).
  void Resize(uint64_t offset, size_t old_size, size_t new_size);

  char* At(uint64_t offset) const { return base_ + offset; }
  char* base() const { return base_; }
  size_t capacity() const { return capacity_; }

  // The bytes the pool holds for a request of `size` (its class size, or the rounded
  // range). Lets callers account memory exactly.
  size_t AllocationSize(size_t size) const;

  // Each class and the range allocator are read under their own lock, one after the
  // other: exact when the pool is quiet, a close approximation while others allocate.
  Stats GetStats() const;

  // Gives the pages of free ranges of 2 MiB or more back to the kernel (FLUSHALL does it);
  // returns the bytes released.
  size_t Trim();

  // Bytes held for live allocations (Stats::allocated_bytes), read without locks: what
  // eviction compares with its watermark.
  size_t used_bytes() const { return used_bytes_.load(std::memory_order_relaxed); }

 private:
  explicit MemoryPool(const Options& options);
  class Impl;
  std::unique_ptr<Impl> impl_;
  char* base_ = nullptr;
  size_t capacity_ = 0;
  std::atomic<size_t> used_bytes_{0};
};

}  // namespace crescent::storage
