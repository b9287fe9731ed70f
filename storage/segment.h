// Segments: the memory regions this node contributes to the pool (Mooncake Store's
// "segments"). Each owns one MemoryPool. A node starts with one; SEGMENT MOUNT adds
// more and SEGMENT UNMOUNT takes one away.
//
// Lifetime: the registry holds a shared_ptr to every mounted segment. Replicas in the
// object table point at segments with raw pointers; that is safe because unmounting
// first marks the segment unmounted (no new replica may land there), then sweeps every
// replica off it, and only then drops the registry's reference. A reader that pinned a
// value holds its own shared_ptr, so the memory outlives the unmount until the reply
// has been written.
// Thread-safe.
#pragma once

#include <boost/container/small_vector.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/memory_pool.h"

namespace crescent::storage {

class Segment : public std::enable_shared_from_this<Segment> {
 public:
  Segment(uint32_t id, std::string name, std::unique_ptr<MemoryPool> pool)
      : id_(id), name_(std::move(name)), pool_(std::move(pool)) {}

  uint32_t id() const { return id_; }
  const std::string& name() const { return name_; }
  MemoryPool& pool() const { return *pool_; }
  bool mounted() const { return mounted_.load(std::memory_order_acquire); }
  void set_unmounted() { mounted_.store(false, std::memory_order_release); }

  // Replicas that live here (kept by the object table under its shard locks).
  std::atomic<int64_t> replicas{0};

 private:
  const uint32_t id_;
  const std::string name_;
  const std::unique_ptr<MemoryPool> pool_;
  std::atomic<bool> mounted_{true};
};

class SegmentRegistry {
 public:
  // kInvalidArgument (SEGMENT_ALREADY_EXISTS) for a name in use, kOutOfMemory when the
  // region cannot be mapped.
  Status Mount(std::string name, size_t capacity, bool huge_pages);
  // Marks the segment unmounted and removes it from the mounted list; the caller then
  // sweeps its replicas. Null when no such segment is mounted.
  std::shared_ptr<Segment> Detach(std::string_view name);

  std::vector<std::shared_ptr<Segment>> Mounted() const;
  std::shared_ptr<Segment> Find(std::string_view name) const;
  size_t capacity() const;
  size_t used() const;

  // Where the replicas of a new value go: the preferred segments that are mounted, in
  // the order given, then the others with the most free bytes first. Asked for by every
  // write of a large value: up to four segments, it allocates nothing.
  using Placement = boost::container::small_vector<std::shared_ptr<Segment>, 4>;
  Placement PlacementOrder(std::span<const std::string> preferred) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<Segment>> mounted_;  // GUARDED_BY(mu_)
  uint32_t next_id_ = 0;                           // GUARDED_BY(mu_)
};

}  // namespace crescent::storage
