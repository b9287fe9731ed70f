// ValueView and PreparedValue: handles on values in the segments (see value_memory.h).
#include <xxhash.h>

#include <cassert>
#include <cstring>

#include "storage/value_memory.h"

namespace crescent::storage {

uint64_t Checksum(const char* data, size_t size) { return XXH3_64bits(data, size); }

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
      inline_bytes_(std::move(other.inline_bytes_)), borrowed_(other.borrowed_),
      is_inline_(other.is_inline_),
      size_(other.size_), hard_pin_(other.hard_pin_),
      soft_pin_until_ms_(other.soft_pin_until_ms_) {
  other.allocations_.clear();
}

PreparedValue& PreparedValue::operator=(PreparedValue&& other) noexcept {
  if (this != &other) {
    Release();
    allocations_ = std::move(other.allocations_);
    keep_ = std::move(other.keep_);
    inline_bytes_ = std::move(other.inline_bytes_);
    borrowed_ = other.borrowed_;
    is_inline_ = other.is_inline_;
    size_ = other.size_;
    hard_pin_ = other.hard_pin_;
    soft_pin_until_ms_ = other.soft_pin_until_ms_;
    other.allocations_.clear();
  }
  return *this;
}

PreparedValue::~PreparedValue() { Release(); }

char* PreparedValue::data() const {
  static char empty = 0;
  assert(borrowed_ == nullptr);
  if (is_inline_) return inline_bytes_.data();
  if (allocations_.empty()) return &empty;
  return ValueBytes(allocations_.front().segment, allocations_.front().offset, size_);
}

std::string_view PreparedValue::contents() const {
  if (borrowed_ != nullptr) return {borrowed_, size_};
  return {data(), size_};
}

void PreparedValue::Release() {
  for (const Allocation& a : allocations_) ReleaseValue(a.segment, a.offset, size_);
  allocations_.clear();
}

}  // namespace crescent::storage
