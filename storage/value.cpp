// ValueView and PreparedValue: handles on values in the segments (see value_memory.h).
// XXH3_state_t must be complete to live on the stack.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstring>

#include "storage/value_memory.h"

namespace crescent::storage {

uint64_t Checksum(const char* data, size_t size) { return XXH3_64bits(data, size); }

uint64_t CopyAndChecksum(char* dst, const char* src, size_t size) {
  constexpr size_t kChunk = 16 * 1024;
  if (size <= kChunk) {
    std::memcpy(dst, src, size);
    return XXH3_64bits(dst, size);
  }
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (size_t done = 0; done < size; done += kChunk) {
    size_t n = std::min(kChunk, size - done);
    std::memcpy(dst + done, src + done, n);
    XXH3_64bits_update(&state, dst + done, n);
  }
  return XXH3_64bits_digest(&state);
}

std::shared_ptr<const void> ValueView::Pin() const {
  if (!pinnable_) return nullptr;
  LargeValueRefs(segment_, offset_)->fetch_add(1, std::memory_order_relaxed);
  // The token owns a reference to the segment too: an unmount waits for no one.
  std::shared_ptr<Segment> segment = segment_->shared_from_this();
  uint64_t offset = offset_;
  size_t size = bytes_.size();
  return std::shared_ptr<const void>(bytes_.data(), [segment, offset, size](const void*) {
    ReleaseValue(segment.get(), offset, size);
  });
}

PreparedValue::PreparedValue(PreparedValue&& other) noexcept
    : allocations_(std::move(other.allocations_)), keep_(std::move(other.keep_)),
      size_(other.size_), checksum_(other.checksum_), hard_pin_(other.hard_pin_),
      soft_pin_until_ms_(other.soft_pin_until_ms_) {
  other.allocations_.clear();
}

PreparedValue& PreparedValue::operator=(PreparedValue&& other) noexcept {
  if (this != &other) {
    Release();
    allocations_ = std::move(other.allocations_);
    keep_ = std::move(other.keep_);
    size_ = other.size_;
    checksum_ = other.checksum_;
    hard_pin_ = other.hard_pin_;
    soft_pin_until_ms_ = other.soft_pin_until_ms_;
    other.allocations_.clear();
  }
  return *this;
}

PreparedValue::~PreparedValue() { Release(); }

void PreparedValue::Release() {
  for (const Allocation& a : allocations_) ReleaseValue(a.segment, a.offset, size_);
  allocations_.clear();
}

}  // namespace crescent::storage
