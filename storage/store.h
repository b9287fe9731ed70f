// Store: the one header the rest of the tree sees of storage/. It owns the memory pool
// (this node's segment) and the object table, and offers the operations that the
// command layer composes into Redis's and Mooncake's semantics.
//
// Values live in the pool, never in heap strings. Metadata (key, size, expiry, version)
// lives in a sharded table; each shard has its own lock, and no operation takes a global
// lock. Lock order: shard locks in ascending shard index, then the pool's locks (the
// innermost). Eviction and pool refills never run while a shard lock is held.
//
// Reads hand out values through a visitor that runs under the shard lock: a small value
// is copied by the visitor into its reply; a large one (>= kPinThreshold) can be pinned,
// which keeps its bytes alive after the lock is released and even after the key is
// overwritten or deleted, so that a reply can be written straight from the pool.
//
// Time: expiry is absolute Unix milliseconds read from the Clock given at creation.
// An expired key is invisible to every operation (lazy expiry) and its memory is
// reclaimed by ExpireCycle (active expiry) without anyone touching it.
//
// Thread-safe: every public method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/function_ref.h"
#include "common/status.h"

namespace crescent::storage {

class MemoryPool;

// A value's bytes as a visitor sees them under the shard lock.
class ValueView {
 public:
  std::string_view bytes() const { return bytes_; }
  // Keeps the bytes alive until the returned token is destroyed; null when the value is
  // small, in which case the visitor must copy what it needs before it returns.
  std::shared_ptr<const void> Pin() const;

 private:
  friend class ObjectTable;
  std::string_view bytes_;
  MemoryPool* pool_ = nullptr;
  uint64_t offset_ = 0;  // of the allocation (its header) when pinnable
  bool pinnable_ = false;
};

// A value copied into the pool outside any shard lock, ready to be committed to a key.
// Destroying it uncommitted gives the memory back.
class PreparedValue {
 public:
  PreparedValue() = default;
  PreparedValue(PreparedValue&& other) noexcept;
  PreparedValue& operator=(PreparedValue&& other) noexcept;
  ~PreparedValue();
  size_t size() const { return size_; }
  char* data() const;  // where the caller may write the bytes (Store::Reserve)

 private:
  friend class ObjectTable;
  friend class Store;
  MemoryPool* pool_ = nullptr;
  uint64_t offset_ = 0;
  uint32_t size_ = 0;
  bool valid_ = false;
};

inline constexpr int64_t kNoExpiry = 0;

// What an Update callback sees of the key, under its shard lock. `value` is valid only
// during the callback.
struct CurrentValue {
  bool exists = false;
  std::string_view value;
  int64_t expire_at_ms = kNoExpiry;
};

// What an Update callback decides.
struct UpdateDecision {
  enum class Value { kKeep, kDelete, kWrite, kWritePrepared };
  enum class Ttl { kKeep, kSet, kClear };
  Value value = Value::kKeep;
  Ttl ttl = Ttl::kKeep;
  std::string_view new_value;       // kWrite: copied into the pool under the lock
  PreparedValue* prepared = nullptr;  // kWritePrepared: committed (moved from)
  int64_t expire_at_ms = kNoExpiry;   // Ttl::kSet; a time in the past deletes the key
};

struct StoreOptions {
  size_t memory_capacity = 1ull << 30;
  bool huge_pages = true;
};

struct StoreStats {
  size_t keys = 0;
  size_t keys_with_expiry = 0;
  uint64_t expired_keys = 0;        // removed because their time passed
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  size_t value_bytes = 0;           // sum of value sizes
  size_t metadata_bytes = 0;        // table nodes, buckets and expiry index
  size_t pool_capacity = 0;
  size_t pool_used = 0;             // bytes the pool holds for values
  double pool_fragmentation = 0;
  bool huge_pages = false;
};

class ObjectTable;

class Store {
 public:
  static constexpr size_t kPinThreshold = 16 * 1024;

  static StatusOr<std::unique_ptr<Store>> Create(const StoreOptions& options,
                                                 const Clock* clock);
  ~Store();

  const Clock& clock() const { return *clock_; }

  // Calls `visit` under the key's shard lock if the key exists; returns whether it did.
  // Counts a hit or a miss.
  bool Get(std::string_view key, FunctionRef<void(const ValueView&)> visit);

  // Copies `bytes` into the pool. kOutOfMemory when the pool cannot hold it.
  StatusOr<PreparedValue> Prepare(std::string_view bytes);
  // Room for `size` bytes, for the caller to fill (e.g. straight from a socket).
  StatusOr<PreparedValue> Reserve(size_t size);

  // Atomic read-modify-write of one key: `decide` runs under the shard lock and may be
  // called more than once (when memory must first be freed), so it must only compute.
  // kOutOfMemory when a kWrite value cannot be placed.
  Status Update(std::string_view key, FunctionRef<UpdateDecision(const CurrentValue&)> decide);

  // Writes every pair atomically (all shards involved locked together). With
  // `only_if_none_exist`, writes nothing and returns false if any key exists.
  StatusOr<bool> MultiSet(std::span<const std::string_view> keys,
                          std::span<PreparedValue> values, bool only_if_none_exist);

  enum class RenameResult { kRenamed, kNoSuchKey, kTargetExists };
  // Moves src's value and TTL to dst, replacing dst (unless only_if_absent).
  RenameResult Rename(std::string_view src, std::string_view dst, bool only_if_absent);

  bool Exists(std::string_view key);
  bool Remove(std::string_view key);
  // Expiry of the key: nullopt when absent, kNoExpiry when it has none.
  std::optional<int64_t> GetExpiry(std::string_view key);
  // Bytes this key costs (metadata plus its pool allocation); nullopt when absent.
  std::optional<size_t> MemoryUsage(std::string_view key);

  // SCAN: visits keys of up to `count` buckets' worth starting at `cursor` and returns
  // the next cursor (0 when done). A key present for the whole iteration is visited at
  // least once, whatever grows or shrinks meanwhile.
  uint64_t Scan(uint64_t cursor, size_t count, FunctionRef<void(std::string_view)> visit);
  void ForEachKey(FunctionRef<void(std::string_view)> visit);
  std::optional<std::string> RandomKey();
  size_t Size() const;
  void Clear();

  // Active expiry: removes up to `budget` expired keys; returns how many it removed.
  size_t ExpireCycle(size_t budget);

  StoreStats GetStats() const;
  // Zeroes the counters (hits, misses, expired keys): CONFIG RESETSTAT.
  void ResetStats();

 private:
  Store(const Clock* clock, std::unique_ptr<MemoryPool> pool);
  const Clock* clock_;
  std::unique_ptr<MemoryPool> pool_;
  std::unique_ptr<ObjectTable> table_;
};

}  // namespace crescent::storage
