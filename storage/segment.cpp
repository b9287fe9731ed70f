#include "storage/segment.h"

#include <bit>

#include <algorithm>
#include <mutex>

namespace crescent::storage {

Status SegmentRegistry::Mount(std::string name, size_t capacity, bool huge_pages) {
  if (name.empty()) return Status(StatusCode::kInvalidArgument, "a segment needs a name");
  {
    std::shared_lock lock(mu_);
    for (const auto& s : mounted_) {
      if (s->name() == name) {
        return Status(StatusCode::kSegmentExists, "segment '" + name + "' is already mounted");
      }
    }
  }
  MemoryPool::Options options;
  options.capacity = capacity;
  options.huge_pages = huge_pages;
  // At least 64 slab pages: each size class in use holds at least one page, and small
  // objects use many classes, so 1 MiB pages would leave a small segment (tests, a
  // SEGMENT MOUNT of a few MiB) with no room for anything else.
  options.slab_page_size = std::clamp<size_t>(std::bit_floor(std::max<size_t>(capacity / 64, 1)),
                                              64 * 1024, options.slab_page_size);
  options.max_slab_object = std::min(options.max_slab_object, options.slab_page_size / 8);
  auto pool = MemoryPool::Create(options);
  if (!pool.ok()) return pool.status();
  std::unique_lock lock(mu_);
  for (const auto& s : mounted_) {
    if (s->name() == name) {
      return Status(StatusCode::kSegmentExists, "segment '" + name + "' is already mounted");
    }
  }
  mounted_.push_back(std::make_shared<Segment>(next_id_++, std::move(name), std::move(pool).value()));
  return Status::Ok();
}

std::shared_ptr<Segment> SegmentRegistry::Detach(std::string_view name) {
  std::unique_lock lock(mu_);
  auto it = std::find_if(mounted_.begin(), mounted_.end(),
                         [&](const auto& s) { return s->name() == name; });
  if (it == mounted_.end()) return nullptr;
  std::shared_ptr<Segment> segment = *it;
  segment->set_unmounted();
  mounted_.erase(it);
  return segment;
}

std::vector<std::shared_ptr<Segment>> SegmentRegistry::Mounted() const {
  std::shared_lock lock(mu_);
  return mounted_;
}

std::shared_ptr<Segment> SegmentRegistry::Find(std::string_view name) const {
  std::shared_lock lock(mu_);
  for (const auto& s : mounted_) {
    if (s->name() == name) return s;
  }
  return nullptr;
}

size_t SegmentRegistry::capacity() const {
  std::shared_lock lock(mu_);
  size_t total = 0;
  for (const auto& s : mounted_) total += s->pool().capacity();
  return total;
}

size_t SegmentRegistry::used() const {
  std::shared_lock lock(mu_);
  size_t total = 0;
  for (const auto& s : mounted_) total += s->pool().used_bytes();
  return total;
}

SegmentRegistry::Placement SegmentRegistry::PlacementOrder(
    std::span<const std::string> preferred) const {
  Placement order;
  std::shared_lock lock(mu_);
  for (const auto& name : preferred) {
    for (const auto& s : mounted_) {
      if (s->name() == name && std::find(order.begin(), order.end(), s) == order.end()) {
        order.push_back(s);
      }
    }
  }
  size_t fixed = order.size();
  for (const auto& s : mounted_) {
    if (std::find(order.begin(), order.end(), s) == order.end()) order.push_back(s);
  }
  // A stable insertion sort, most free bytes first: std::stable_sort takes a heap buffer,
  // and a node mounts few segments. Each one's free bytes are read once, as the pools
  // change under concurrent writes.
  boost::container::small_vector<size_t, 4> free_bytes;
  for (size_t i = fixed; i < order.size(); ++i) {
    free_bytes.push_back(order[i]->pool().capacity() - order[i]->pool().used_bytes());
  }
  for (size_t i = 1; i < free_bytes.size(); ++i) {
    for (size_t j = i; j > 0 && free_bytes[j] > free_bytes[j - 1]; --j) {
      std::swap(free_bytes[j], free_bytes[j - 1]);
      std::swap(order[fixed + j], order[fixed + j - 1]);
    }
  }
  return order;
}

}  // namespace crescent::storage
