// ObjectTable: the metadata of every object on this node, split into shards (internal
// to storage/; the rest of the tree uses Store).
//
// Each shard is a chained hash table whose bucket count is a power of two, so that SCAN
// can use Redis's reverse-binary cursor: a key present for a whole scan is returned at
// least once even if the table grows or shrinks between calls. A shard rehashes all at
// once under its lock; shards are small (keys / kShards), so the pause is short.
// A node holds the key, the object's common metadata and, for a small value, the value
// itself; the rest is in an optional extension (see Node). Keys with an expiry are also
// in the shard's expiry index, ordered by deadline, which active expiry walks; nodes with
// an unfinished PutStart are in the shard's pending index, which the stale-put sweep
// walks.
//
// A node is visible (exists for readers) when it holds a committed value. A node whose
// only content is a pending put is invisible, and is removed if the put is revoked, so
// no key is ever left existing without a value.
//
// Locking: one mutex per shard; members of Shard are guarded by Shard::mu. Functions
// named Locked* require the caller to hold that shard's mutex. Pools are entered with a
// shard lock held, never the other way round.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/disk_tier.h"
#include "storage/segment.h"
#include "storage/store.h"

namespace crescent::storage {

// Eviction and lease settings, read once per operation (they may change at run time).
struct EvictionParams {
  enum class Policy { kLru, kLfu, kTtl };
  Policy policy = Policy::kLru;
  bool allow_soft_pinned = true;
  int64_t lease_ms = 10'000;
  int64_t soft_pin_ms = 30 * 60'000;
};

class ObjectTable {
 public:
  static constexpr int kShardBits = 7;
  static constexpr size_t kShards = size_t{1} << kShardBits;

  ObjectTable(const Clock* clock) : clock_(clock), start_ms_(clock->NowMs()) {}
  ~ObjectTable();

  // The SSD tier, when persistence is on: writes go through to it under the key's shard
  // lock (so the disk sees a key's writes in the order memory does), eviction demotes to
  // it, deletes remove from it. Set once, before any other call.
  void set_disk(DiskTier* disk) { disk_ = disk; }
  // The segment that holds inline nodes (small objects: node, key and value in one
  // allocation). It is never unmounted. Set once, before any other call.
  void set_home(Segment* home) { home_ = home; }

  // A hint that `keys` are about to be looked up: brings their buckets, then the first
  // node of each, into the cache, so that the misses of a pipeline of requests overlap
  // instead of each request waiting for its own two. Changes nothing.
  void Prefetch(std::span<const std::string_view> keys);

  enum class ReadResult { kMiss, kHit, kOnDisk };
  // kOnDisk: the object exists but its value is only on disk (`version` says which);
  // the caller reads the disk and may Promote.
  // `touch`: the read updates the node's access record (false: OBJECT's reads).
  ReadResult Get(std::string_view key, FunctionRef<void(const ValueView&)> visit,
                 int64_t lease_ms, uint64_t* version = nullptr, bool touch = true);
  // Gives a disk-only object its memory replica back, if it is still that version.
  bool Promote(std::string_view key, uint64_t version, PreparedValue* value);
  // A disk-only object whose record the disk no longer has (an async write was
  // dropped): it is gone.
  void ForgetDiskOnly(std::string_view key, uint64_t version);
  // Restart: an object found on disk, known by its metadata only.
  void LoadFromDisk(std::string_view key, const DiskRecordMeta& meta, size_t size,
                    int64_t soft_pin_ms);
  // `touch`: update the access record even without a lease (TOUCH).
  bool Exists(std::string_view key, int64_t lease_ms, bool touch = false);
  std::optional<ObjectInfo> Query(std::string_view key, int64_t lease_ms);
  std::optional<int64_t> GetExpiry(std::string_view key);
  std::optional<size_t> MemoryUsage(std::string_view key);
  // Store::Access / SetAccess, under the policy set by set_policy.
  std::optional<AccessInfo> Access(std::string_view key);
  bool SetAccess(std::string_view key, std::optional<int64_t> idle_ms,
                 std::optional<uint32_t> frequency);

  // kOutOfMemory when a kWrite value cannot be placed in `segment`.
  Status Update(std::string_view key, FunctionRef<UpdateDecision(const CurrentValue&)> decide,
                Segment* segment);
  // Commits a prepared value as an object (PUT / UPSERT).
  Status Commit(std::string_view key, PreparedValue* value, const PutOptions& options);
  StatusOr<bool> MultiSet(std::span<const std::string_view> keys,
                          std::span<PreparedValue> values, bool only_if_none_exist);
  Store::RenameResult Rename(std::string_view src, std::string_view dst, bool only_if_absent);

  // Put lifecycle: `value` holds the replicas' allocations, which PutStart keeps.
  StatusOr<uint64_t> PutStart(std::string_view key, std::shared_ptr<PreparedValue> value,
                              const PutOptions& options, int64_t deadline_ms);
  Status PutEnd(std::string_view key, uint64_t put_id);
  void PutRevoke(std::string_view key, uint64_t put_id);
  size_t ReclaimStalePuts();

  bool Remove(std::string_view key);
  Status RemoveObject(std::string_view key, bool force);
  // Keyspace walks (object_table_walk.cpp; semantics in store.h).
  bool RemoveIfVersion(std::string_view key, uint64_t version, bool force);
  size_t RemoveAll(bool force);
  // Drops every replica on `segment` and the objects left with none; returns how many
  // objects went.
  size_t DropSegment(Segment* segment);

  uint64_t Scan(uint64_t cursor, size_t count, FunctionRef<void(std::string_view)> visit);
  // `visit` gets each key with its version, with no lock held; false stops the walk.
  void ForEachKey(FunctionRef<bool(std::string_view key, uint64_t version)> visit);
  std::optional<std::string> RandomKey();
  size_t Size() const;
  // FLUSHALL: memory and disk.
  void Clear();
  size_t ExpireCycle(size_t budget);

  // Evicts by sampling, in the order of the class comment in store.h, until `bytes` are
  // freed from `segment` (any segment when null) or no candidate is left.
  size_t Evict(size_t bytes, Segment* segment, const EvictionParams& params);

  void AddStats(StoreStats* stats) const;
  void ResetStats();
  // The policy decides what a read records in a node (access time or frequency).
  void set_policy(EvictionParams::Policy policy) { policy_.store(policy, std::memory_order_relaxed); }

 private:
  struct Replica {
    Segment* segment;
    uint64_t offset;
  };

  struct PendingPut {
    uint64_t put_id;
    int64_t deadline_ms;
    uint32_t size;
    uint64_t checksum;
    // The allocations being filled, shared with the writer's PutHandle: a revoked put
    // (timeout, unmount) releases them only when the writer lets go too, so a slow
    // writer never scribbles over memory that was given to someone else.
    std::shared_ptr<PreparedValue> value;
    PutOptions options;
  };

  enum NodeFlag : uint8_t { kHasValue = 1, kHardPin = 2, kOnDisk = 4, kInline = 8 };

  // 32 bytes, followed by the key (preceded by its 4-byte length when it is kLongKey
  // bytes or longer) and, for kInline, by the value. What most objects never use (an
  // expiry, a soft pin, several replicas, a pending put, a cached checksum) is in a
  // NodeExt that the node refers to by index, so a small object costs one allocation of
  // 32 bytes plus key plus value, with no separate hash: memory per key is what a cache
  // of small values is judged by.
  //
  // Where a node lives: a kInline node (a value of at most kInlineValueMax bytes with a
  // single replica) is one allocation in the home segment's pool, so small values are in
  // the pool and count against its capacity, node and key included. Every other node
  // (large or replicated values, disk-only objects, pending puts) is on the heap and its
  // value's replicas are in the ext.
  //
  // Times are 32-bit, on the table clock (ms since start, modulo 2^32): `access` as in
  // Redis's LRU clock; `lease_until` compared with wrap-around arithmetic, which is
  // exact while a lease is less than 2^31 ms (24 days) away: leases are clamped to 2^30
  // ms and ExpireCycle clears ended ones every hour, long before they could look
  // current again. Versions are 32-bit too: they tell one write of a key from the next,
  // never compared across more than 2^32 writes.
  struct Node {
    static constexpr uint16_t kLongKey = 0xFFFF;
    Node* next;
    uint32_t size;           // value bytes
    uint32_t access;         // LRU: table clock; LFU: minutes << 8 | counter
    uint32_t lease_until;    // table clock; 0: none
    uint32_t version;        // bumped on every write of the value
    uint32_t ext;            // 1 + index in Shard::exts; 0: none
    uint16_t short_key_len;  // kLongKey: the length precedes the key
    uint8_t flags;
    uint8_t replica_count;   // memory replicas; an inline value is one

    uint32_t key_len() const {
      if (short_key_len != kLongKey) return short_key_len;
      uint32_t n;
      std::memcpy(&n, this + 1, sizeof(n));
      return n;
    }
    char* key_data() {
      return reinterpret_cast<char*>(this + 1) + (short_key_len == kLongKey ? sizeof(uint32_t) : 0);
    }
    std::string_view key() { return {key_data(), key_len()}; }
    char* inline_value() { return key_data() + key_len(); }
    bool visible() const { return flags & kHasValue; }
    bool is_inline() const { return flags & kInline; }
    // The value is in memory (an empty value needs no replica).
    bool in_memory() const { return replica_count > 0 || size == 0; }
  };
  static_assert(sizeof(Node) == 32);
  static size_t NodeBytes(size_t key_len, size_t inline_size) {
    return sizeof(Node) + (key_len >= Node::kLongKey ? sizeof(uint32_t) : 0) + key_len + inline_size;
  }

  struct NodeExt {
    int64_t expire_at_ms = kNoExpiry;  // also in Shard::expiries
    int64_t soft_pin_until_ms = 0;
    uint64_t checksum = 0;             // of a non-inline value; 0 until first asked for
    PendingPut* pending = nullptr;     // an unfinished PutStart (also in Shard::pending)
    std::vector<Replica> replicas;     // a non-inline value's memory replicas
    bool empty() const {
      return expire_at_ms == kNoExpiry && soft_pin_until_ms == 0 && pending == nullptr &&
             replicas.empty();
    }
  };

  struct alignas(64) Shard {
    mutable std::mutex mu;
    std::vector<Node*> buckets;  // power-of-two size, or empty
    size_t count = 0;            // nodes, visible or not
    size_t visible = 0;
    std::set<std::pair<int64_t, Node*>> expiries;
    std::set<std::pair<int64_t, Node*>> pending;  // by put deadline
    std::deque<NodeExt> exts;                     // stable addresses; reused via free_exts
    std::vector<uint32_t> free_exts;
    int64_t leases_swept_ms = 0;
    // Walks in progress over this shard (KEYS, REMOVEREGEX, SCAN...): while there are
    // any, the shard grows but does not shrink, so the reverse-binary cursor of a walk
    // that left the lock between slices never meets a key twice.
    int walkers = 0;
    size_t value_bytes = 0;
    size_t node_bytes = 0;  // heap nodes only: inline ones are counted by their pool
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t expired = 0;
    uint64_t leases = 0;
    uint64_t evicted = 0;
    uint64_t evicted_bytes = 0;
    uint64_t evicted_leased = 0;
    uint64_t evicted_soft_pinned = 0;
    uint64_t revoked = 0;
    uint64_t demoted = 0;
    uint64_t promoted = 0;
  };

  void ClearMemory();
  static uint64_t Hash(std::string_view key);
  static size_t ShardIndex(uint64_t hash) { return hash >> (64 - kShardBits); }
  Shard& ShardFor(uint64_t hash) { return shards_[ShardIndex(hash)]; }
  Shard& ShardOf(Node* node) { return ShardFor(Hash(node->key())); }
  // Never 0 (LockedAssign's "draw one").
  uint32_t NextVersion();

  // --- Extensions and the fields they hold -------------------------------------------
  NodeExt* ExtOf(Shard& shard, const Node* node) {
    return node->ext != 0 ? &shard.exts[node->ext - 1] : nullptr;
  }
  const NodeExt* ExtOf(const Shard& shard, const Node* node) const {
    return node->ext != 0 ? &shard.exts[node->ext - 1] : nullptr;
  }
  NodeExt& LockedExt(Shard& shard, Node* node);  // created when missing
  void LockedTrimExt(Shard& shard, Node* node);  // freed when it holds nothing
  int64_t ExpireOf(const Shard& shard, const Node* node) const {
    const NodeExt* e = ExtOf(shard, node);
    return e != nullptr ? e->expire_at_ms : kNoExpiry;
  }
  int64_t SoftPinOf(const Shard& shard, const Node* node) const {
    const NodeExt* e = ExtOf(shard, node);
    return e != nullptr ? e->soft_pin_until_ms : 0;
  }
  PendingPut* PendingOf(Shard& shard, const Node* node) {
    NodeExt* e = ExtOf(shard, node);
    return e != nullptr ? e->pending : nullptr;
  }
  void LockedSetSoftPin(Shard& shard, Node* node, int64_t until_ms);
  // The segment of memory replica i (an inline value's is the home segment).
  Segment* ReplicaSegment(Shard& shard, Node* node, size_t i) {
    return node->is_inline() ? home_ : ExtOf(shard, node)->replicas[i].segment;
  }
  uint32_t TableClock(int64_t now) const { return static_cast<uint32_t>(now - start_ms_); }
  bool Leased(const Node* node, int64_t now) const {
    return node->lease_until != 0 && static_cast<int32_t>(node->lease_until - TableClock(now)) > 0;
  }
  int64_t LeaseUntilMs(const Node* node, int64_t now) const {
    return Leased(node, now) ? now + static_cast<int32_t>(node->lease_until - TableClock(now)) : 0;
  }
  bool Expired(const Shard& shard, const Node* node, int64_t now) const {
    int64_t at = ExpireOf(shard, node);
    return at != kNoExpiry && at <= now;
  }

  // --- Nodes ---------------------------------------------------------------------------
  // An unlinked node with no value, on the heap.
  Node* NewHeapNode(std::string_view key);
  // An unlinked kInline node holding `value`, in the home pool; null when it has no room
  // (the caller returns kOutOfMemory before changing anything, and Store evicts).
  Node* NewInlineNode(std::string_view key, std::string_view value);
  // What the node costs outside the pools (Shard::node_bytes): an inline node is in one.
  static size_t HeapBytes(const Node* node) {
    return node->is_inline() ? 0 : NodeBytes(node->key_len(), 0);
  }
  // Frees an unlinked node's memory (not its value's replicas or ext).
  void FreeNode(Node* node);
  size_t NodeAllocationBytes(Node* node) const;

  // A visible, unexpired node; an expired one is deleted on the way (lazy expiry).
  Node* LockedFind(Shard& shard, std::string_view key, uint64_t hash, int64_t now);
  // Any node of the key, visible or only pending (after the same expiry check).
  Node* LockedFindAny(Shard& shard, std::string_view key, uint64_t hash, int64_t now);
  // Links `fresh` (an inline node for the key) or, when null, a new heap node.
  Node* LockedInsert(Shard& shard, std::string_view key, uint64_t hash, Node* fresh = nullptr);
  void LockedUnlink(Shard& shard, Node* node);
  // `fresh` (unlinked, same key) takes `old`'s place: its bucket position, ext and index
  // entries, header fields. `old` is freed; its value must have been released or moved.
  void LockedReplace(Shard& shard, Node* old, Node* fresh);
  // Unlinks and frees the node with its value, ext and any pending put.
  void LockedDelete(Shard& shard, Node* node);
  // Releases the node's committed value (not the node); it becomes invisible. An inline
  // node keeps its allocation until it is deleted or replaced.
  void LockedDropValue(Shard& shard, Node* node);
  // The object goes: the node too, unless a pending put still needs it.
  void LockedRemove(Shard& shard, Node* node) {
    if (PendingOf(shard, node) != nullptr) {
      LockedDropValue(shard, node);
    } else {
      LockedDelete(shard, node);
    }
  }
  // Releases the value's memory replicas; the object stays (on disk). An inline node is
  // replaced by a heap node: returns the node that now stands for the object.
  Node* LockedReleaseMemory(Shard& shard, Node* node);
  // Ends the node's pending put (already out of Shard::pending); deletes an invisible node.
  void LockedEndPending(Shard& shard, Node* node);
  // Releases a non-inline value's replicas (not the node).
  void LockedReleaseReplicas(Shard& shard, Node* node);
  void LockedSetExpiry(Shard& shard, Node* node, int64_t expire_at_ms);
  void LockedMaybeResize(Shard& shard);
  void LockedRehash(Shard& shard, size_t bucket_count);
  // Gives `node` the value held by `value` (consumed), releasing the old one, and
  // returns the node that now holds it. For an inline value `fresh` is its node from
  // NewInlineNode (`node` itself when it was just linked); otherwise null.
  // `version` 0: a new one is drawn.
  // `overwrite`: `fresh` is the inline node that already held the key's value, and the
  // new bytes (`overwrite`, value->size() of them, which may point into the old ones)
  // are written over the old in place (see Overwritable).
  Node* LockedAssign(Shard& shard, Node* node, PreparedValue* value, uint32_t version,
                     int64_t now, Node* fresh, const char* overwrite = nullptr);
  // Whether `node`, an inline node, can take a new value of `size` bytes in place: its
  // allocation's size class fits it too. Readers copy inline values under the shard
  // lock, so they still see the old or the new value, and the pool is not touched.
  bool Overwritable(const Node* node, size_t size) const;
  // The inline node a prepared value needs (null when it is not inline): `existing`
  // when Overwritable (with *overwrite set to the bytes), else a new one, with `ok`
  // false when the home pool has no room for it.
  Node* NewNodeFor(std::string_view key, PreparedValue* value, Node* existing, bool* ok,
                   const char** overwrite);
  // Disk tier (object_table_disk.cpp). Writes `bytes` as the key's record; on failure
  // in sync mode returns kIoError and the caller must not commit. Sets kOnDisk.
  Status LockedPersist(Node* node, std::string_view key, std::string_view bytes,
                       const DiskRecordMeta& meta, const DiskTier::PutOptions& options = {});
  // How the async disk queue may take a prepared value: by reference (a pin of its first
  // replica) when it is large, so the request thread copies nothing; else by copy.
  DiskTier::PutOptions ByReference(const PreparedValue& value) const;
  // Persists what the node holds now (after a TTL or pin change).
  void LockedRepersist(Shard& shard, Node* node);
  void LockedDiskDelete(Node* node);
  // The node's value bytes: from memory, or read from disk into `scratch`.
  std::string_view LockedValueBytes(Shard& shard, Node* node, std::string* scratch);
  DiskRecordMeta MetaOf(const Shard& shard, const Node* node, int64_t expire_at_ms,
                        uint32_t version) const;
  // Eviction of one node: demoted to disk when it can be (in `room`, reserved for it in
  // the async queue, when it holds any), deleted otherwise.
  void LockedEvict(Shard& shard, Node* node, int64_t now, DiskTier::Room* room);
  void LockedTouch(Shard& shard, Node* node, int64_t now, int64_t lease_ms);
  void LockedFillInfo(Shard& shard, Node* node, ObjectInfo* info);
  // The value's checksum, computed on first use: writes stay one copy, and only QUERY
  // and the disk tier pay for hashing (an inline value's is not cached).
  uint64_t LockedChecksum(Shard& shard, Node* node);
  // Releases the allocations of `value` that sit on unmounted segments; false when none
  // is left for a non-empty value.
  static bool KeepMountedReplicas(PreparedValue* value);
  ValueView MakeView(Shard& shard, Node* node);
  std::vector<std::unique_lock<std::mutex>> LockShardsOf(std::span<const uint64_t> hashes);
  // What a new value's `access` starts at: now for LRU; for LFU, Redis's initial
  // counter (5) so that a new object is not the first victim.
  uint32_t NewAccess(int64_t now) const;
  // LFU: the node's counter after the decay of one per idle minute (Redis's).
  uint32_t LfuCounter(uint32_t access, int64_t now) const;
  uint32_t LfuMinutes(int64_t now) const {
    return static_cast<uint32_t>((now - start_ms_) / 60000) & 0xFFFFFF;
  }
  // Clears ended leases, so that the 32-bit comparison never sees one older than
  // 2^31 ms (run by ExpireCycle, at most every kLeaseSweepMs per shard).
  void LockedSweepLeases(Shard& shard, int64_t now);
  // Eviction helpers (object_table_evict.cpp).
  struct Candidate {
    uint64_t score;  // larger: evict first
    size_t shard;
    size_t size;     // value bytes, when sampled
    bool on_disk;    // when sampled: a demotion then writes nothing
    size_t key_offset;  // of its key in Sample::keys
    size_t key_size;
  };
  // One round's candidates. Their keys are copied into one buffer whose capacity the
  // rounds of an Evict call share: a std::string per candidate was a heap allocation
  // each, since keys such as KV-cache block keys are longer than a string's inline room.
  struct Sample {
    std::vector<Candidate> candidates;
    std::string keys;
    std::string_view key(const Candidate& c) const { return {keys.data() + c.key_offset, c.key_size}; }
    void clear() {
      candidates.clear();
      keys.clear();
    }
  };
  // A slice of a walk (object_table_walk.cpp): keys copied under the shard lock into
  // one buffer (a std::string per key would be an allocation each), visited after it.
  struct KeySlice {
    struct Entry {
      size_t offset;
      size_t size;
      uint64_t version;
    };
    std::vector<Entry> entries;
    std::string keys;
    std::string_view key(const Entry& e) const { return {keys.data() + e.offset, e.size}; }
    void clear() {
      entries.clear();
      keys.clear();
    }
  };
  // Copies the visible, unexpired keys of buckets from cursor *v on (reverse-binary
  // order) until the slice is full, *v wraps to 0 (the shard is done) or `max_buckets`
  // were visited (counted in *visited). REQUIRES: shard.mu held and shard.walkers > 0.
  void LockedCopySlice(Shard& shard, uint64_t* v, size_t max_buckets, size_t* visited,
                       KeySlice* out);
  // Registers a walk over `shard` for as long as it lives (see Shard::walkers).
  class WalkGuard;
  bool Evictable(Shard& shard, Node* node, Segment* segment, int tier, int64_t now);
  void LockedSample(Shard& shard, size_t shard_index, Segment* segment, int tier, int64_t now,
                    Sample* out);
  uint64_t VictimScore(Shard& shard, Node* node, int64_t now) const;

  const Clock* clock_;
  const int64_t start_ms_;
  DiskTier* disk_ = nullptr;
  Segment* home_ = nullptr;
  std::atomic<EvictionParams::Policy> policy_{EvictionParams::Policy::kLru};
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> next_version_{1};
  std::atomic<size_t> expire_cursor_{0};
  std::atomic<size_t> evict_cursor_{0};
};

}  // namespace crescent::storage
