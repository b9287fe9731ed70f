// ObjectTable: the metadata of every object on this node, split into shards (internal
// to storage/; the rest of the tree uses Store).
//
// Each shard is a chained hash table whose bucket count is a power of two, so that SCAN
// can use Redis's reverse-binary cursor: a key present for a whole scan is returned at
// least once even if the table grows or shrinks between calls. A shard rehashes all at
// once under its lock; shards are small (keys / kShards), so the pause is short.
// A node holds the key inline and the value's place in the pool; keys with an expiry are
// also in the shard's expiry index, ordered by deadline, which is what active expiry
// walks.
//
// Locking: one mutex per shard; members of Shard are guarded by Shard::mu. Functions
// named Locked* require the caller to hold the shard's mutex. The pool is only entered
// with a shard lock held, never the other way round.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/memory_pool.h"
#include "storage/store.h"

namespace crescent::storage {

class ObjectTable {
 public:
  static constexpr int kShardBits = 7;
  static constexpr size_t kShards = size_t{1} << kShardBits;

  ObjectTable(MemoryPool* pool, const Clock* clock) : pool_(pool), clock_(clock) {}
  ~ObjectTable();

  bool Get(std::string_view key, FunctionRef<void(const ValueView&)> visit);
  Status Update(std::string_view key, FunctionRef<UpdateDecision(const CurrentValue&)> decide);
  StatusOr<bool> MultiSet(std::span<const std::string_view> keys,
                          std::span<PreparedValue> values, bool only_if_none_exist);
  Store::RenameResult Rename(std::string_view src, std::string_view dst, bool only_if_absent);
  bool Exists(std::string_view key);
  bool Remove(std::string_view key);
  std::optional<int64_t> GetExpiry(std::string_view key);
  std::optional<size_t> MemoryUsage(std::string_view key);
  uint64_t Scan(uint64_t cursor, size_t count, FunctionRef<void(std::string_view)> visit);
  void ForEachKey(FunctionRef<void(std::string_view)> visit);
  std::optional<std::string> RandomKey();
  size_t Size() const;
  void Clear();
  size_t ExpireCycle(size_t budget);
  void AddStats(StoreStats* stats) const;
  void ResetStats();

 private:
  struct Node {
    Node* next;
    uint64_t hash;
    uint64_t offset;        // of the value's pool allocation
    uint32_t size;          // value bytes
    uint32_t key_len;
    int64_t expire_at_ms;   // kNoExpiry or absolute Unix ms
    uint64_t version;       // bumped on every write of the value
    char* key_data() { return reinterpret_cast<char*>(this + 1); }
    std::string_view key() { return {key_data(), key_len}; }
  };

  struct alignas(64) Shard {
    mutable std::mutex mu;
    std::vector<Node*> buckets;  // power-of-two size, or empty
    size_t count = 0;
    std::set<std::pair<int64_t, Node*>> expiries;
    size_t value_bytes = 0;
    size_t node_bytes = 0;
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t expired = 0;
  };

  static uint64_t Hash(std::string_view key);
  static size_t ShardIndex(uint64_t hash) { return hash >> (64 - kShardBits); }
  Shard& ShardFor(uint64_t hash) { return shards_[ShardIndex(hash)]; }

  // Finds a live node; an expired one is deleted on the way (lazy expiry).
  Node* LockedFind(Shard& shard, std::string_view key, uint64_t hash, int64_t now);
  Node* LockedInsert(Shard& shard, std::string_view key, uint64_t hash);
  void LockedUnlink(Shard& shard, Node* node);
  void LockedDelete(Shard& shard, Node* node);  // unlink, release value, free node
  void LockedSetExpiry(Shard& shard, Node* node, int64_t expire_at_ms);
  void LockedMaybeResize(Shard& shard);
  void LockedRehash(Shard& shard, size_t bucket_count);
  // Gives `node` a new value (the allocation at offset), releasing the old one.
  void LockedAssign(Shard& shard, Node* node, uint64_t offset, uint32_t size);
  ValueView MakeView(Node* node) const;
  std::vector<std::unique_lock<std::mutex>> LockShardsOf(std::span<const uint64_t> hashes);

  MemoryPool* pool_;
  const Clock* clock_;
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> next_version_{1};
  std::atomic<size_t> expire_cursor_{0};
};

}  // namespace crescent::storage
