// How a value occupies a replica's allocation in a segment (internal to storage/).
//
// A small value (< Store::kPinThreshold bytes) is its bytes and nothing else: readers copy
// it under the shard lock, so it needs no reference count, and 100-byte values pay no
// header. A large value starts with an 8-byte header holding an atomic reference count
// (one for the object that owns the replica, one per pinned reader), so a reply can be
// written from the pool after the lock is gone; the last reference frees it. An empty
// value has no allocation at all.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "storage/memory_pool.h"
#include "storage/segment.h"
#include "storage/store.h"

namespace crescent::storage {

inline constexpr size_t kLargeValueHeader = 8;
// Values up to this size with a single replica share one allocation with their node
// and key (ObjectTable::Node): copying them at commit costs less than a second
// allocation, and they are far below Store::kPinThreshold, so readers copy them.
inline constexpr size_t kInlineValueMax = 4096;
static_assert(kInlineValueMax < Store::kPinThreshold);

inline bool IsLargeValue(size_t size) { return size >= Store::kPinThreshold; }

// Bytes requested from the pool for a value of `size` bytes (0: no allocation).
inline size_t ValueAllocationBytes(size_t size) {
  return IsLargeValue(size) ? size + kLargeValueHeader : size;
}

inline std::atomic<uint32_t>* LargeValueRefs(Segment* segment, uint64_t offset) {
  return reinterpret_cast<std::atomic<uint32_t>*>(segment->pool().At(offset));
}

inline char* ValueBytes(Segment* segment, uint64_t offset, size_t size) {
  return segment->pool().At(offset) + (IsLargeValue(size) ? kLargeValueHeader : 0);
}

// Sets up a fresh allocation: the owner's reference for a large value.
inline void InitValue(Segment* segment, uint64_t offset, size_t size) {
  if (IsLargeValue(size)) LargeValueRefs(segment, offset)->store(1, std::memory_order_relaxed);
}

// Drops one reference (the owner's or a reader's); frees the allocation with the last.
inline void ReleaseValue(Segment* segment, uint64_t offset, size_t size) {
  if (size == 0) return;
  if (IsLargeValue(size) &&
      LargeValueRefs(segment, offset)->fetch_sub(1, std::memory_order_acq_rel) != 1) {
    return;
  }
  segment->pool().Free(offset, ValueAllocationBytes(size));
}

// XXH3 of a value's bytes.
uint64_t Checksum(const char* data, size_t size);

}  // namespace crescent::storage
