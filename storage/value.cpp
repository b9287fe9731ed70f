// ValueView and PreparedValue: handles on values in the pool (see value_memory.h).
#include "storage/value_memory.h"

namespace crescent::storage {

std::shared_ptr<const void> ValueView::Pin() const {
  if (!pinnable_) return nullptr;
  LargeValueRefs(pool_, offset_)->fetch_add(1, std::memory_order_relaxed);
  MemoryPool* pool = pool_;
  uint64_t offset = offset_;
  size_t size = bytes_.size();
  return std::shared_ptr<const void>(bytes_.data(), [pool, offset, size](const void*) {
    ReleaseValue(pool, offset, size);
  });
}

PreparedValue::PreparedValue(PreparedValue&& other) noexcept
    : pool_(other.pool_), offset_(other.offset_), size_(other.size_), valid_(other.valid_) {
  other.valid_ = false;
}

PreparedValue& PreparedValue::operator=(PreparedValue&& other) noexcept {
  if (this != &other) {
    if (valid_) ReleaseValue(pool_, offset_, size_);
    pool_ = other.pool_;
    offset_ = other.offset_;
    size_ = other.size_;
    valid_ = other.valid_;
    other.valid_ = false;
  }
  return *this;
}

PreparedValue::~PreparedValue() {
  if (valid_) ReleaseValue(pool_, offset_, size_);
}

char* PreparedValue::data() const {
  static char empty = 0;
  return size_ == 0 ? &empty : ValueBytes(pool_, offset_, size_);
}

}  // namespace crescent::storage
