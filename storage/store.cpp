#include "storage/store.h"

#include <cstring>

#include "storage/memory_pool.h"
#include "storage/object_table.h"
#include "storage/value_memory.h"

namespace crescent::storage {

StatusOr<std::unique_ptr<Store>> Store::Create(const StoreOptions& options, const Clock* clock) {
  MemoryPool::Options pool_options;
  pool_options.capacity = options.memory_capacity;
  pool_options.huge_pages = options.huge_pages;
  auto pool = MemoryPool::Create(pool_options);
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<Store>(new Store(clock, std::move(pool).value()));
}

Store::Store(const Clock* clock, std::unique_ptr<MemoryPool> pool)
    : clock_(clock), pool_(std::move(pool)),
      table_(std::make_unique<ObjectTable>(pool_.get(), clock)) {}

// The table goes first: it releases its values into the pool.
Store::~Store() { table_.reset(); }

bool Store::Get(std::string_view key, FunctionRef<void(const ValueView&)> visit) {
  return table_->Get(key, visit);
}

StatusOr<PreparedValue> Store::Reserve(size_t size) {
  if (size > UINT32_MAX) return Status(StatusCode::kTooLarge);
  PreparedValue value;
  value.pool_ = pool_.get();
  value.size_ = static_cast<uint32_t>(size);
  if (size > 0) {
    auto offset = pool_->Allocate(ValueAllocationBytes(size));
    if (!offset) return Status(StatusCode::kOutOfMemory);
    value.offset_ = *offset;
    if (IsLargeValue(size)) LargeValueRefs(pool_.get(), *offset)->store(1, std::memory_order_relaxed);
  }
  value.valid_ = true;
  return value;
}

StatusOr<PreparedValue> Store::Prepare(std::string_view bytes) {
  auto value = Reserve(bytes.size());
  if (value.ok() && !bytes.empty()) std::memcpy(value->data(), bytes.data(), bytes.size());
  return value;
}

Status Store::Update(std::string_view key,
                     FunctionRef<UpdateDecision(const CurrentValue&)> decide) {
  return table_->Update(key, decide);
}

StatusOr<bool> Store::MultiSet(std::span<const std::string_view> keys,
                               std::span<PreparedValue> values, bool only_if_none_exist) {
  return table_->MultiSet(keys, values, only_if_none_exist);
}

Store::RenameResult Store::Rename(std::string_view src, std::string_view dst,
                                  bool only_if_absent) {
  return table_->Rename(src, dst, only_if_absent);
}

bool Store::Exists(std::string_view key) { return table_->Exists(key); }
bool Store::Remove(std::string_view key) { return table_->Remove(key); }
std::optional<int64_t> Store::GetExpiry(std::string_view key) { return table_->GetExpiry(key); }
std::optional<size_t> Store::MemoryUsage(std::string_view key) { return table_->MemoryUsage(key); }

uint64_t Store::Scan(uint64_t cursor, size_t count, FunctionRef<void(std::string_view)> visit) {
  return table_->Scan(cursor, count, visit);
}

void Store::ForEachKey(FunctionRef<void(std::string_view)> visit) { table_->ForEachKey(visit); }
std::optional<std::string> Store::RandomKey() { return table_->RandomKey(); }
size_t Store::Size() const { return table_->Size(); }
void Store::Clear() { table_->Clear(); }
size_t Store::ExpireCycle(size_t budget) { return table_->ExpireCycle(budget); }

void Store::ResetStats() { table_->ResetStats(); }

StoreStats Store::GetStats() const {
  StoreStats stats;
  table_->AddStats(&stats);
  MemoryPool::Stats pool = pool_->GetStats();
  stats.pool_capacity = pool.capacity;
  stats.pool_used = pool.allocated_bytes;
  stats.pool_fragmentation = pool.fragmentation();
  stats.huge_pages = pool.huge_pages;
  return stats;
}

}  // namespace crescent::storage
