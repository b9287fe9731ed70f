// Store: the one header the rest of the tree sees of storage/. It owns this node's
// segments (memory pools) and the object table, runs eviction, and offers the
// operations that the command layer composes into Redis's and Mooncake Store's
// semantics.
//
// Object model (Mooncake Store's): an object has a key, a value of `size` bytes, a
// version, an XXH3 checksum, one or more replicas on distinct segments, an expiry, a
// lease deadline, a soft-pin deadline and a hard pin. Committed values live in the pools,
// never in heap strings. A write becomes visible whole: its replicas are filled before it is
// committed under the key's shard lock, so a reader sees the complete old value or the
// complete new one.
//
// Leases and eviction (decided here, documented in docs/design.md): reads (GET, EXIST,
// QUERY...) grant a lease of lease-ttl. A leased object cannot be removed without FORCE
// and is evicted only after every unleased candidate; a reply in flight is protected
// by a pin, not by the lease, so even a steady stream of reads of every object cannot
// leave the pool unable to take new puts. Soft-pinned objects go after leased ones, and
// only if allow-evict-soft-pinned; hard-pinned objects are never evicted.
//
// Locking: one mutex per shard of the table; no operation takes a global lock. Order:
// shard locks in ascending index, then pool locks (the innermost). Eviction never runs
// while the caller holds a shard lock.
//
// Time: expiry is absolute Unix milliseconds from the Clock given at creation. An
// expired key is invisible to every operation and its memory is reclaimed by
// ExpireCycle without anyone touching it.
//
// Thread-safe: every public method may be called from any thread.
#pragma once

#include <boost/container/small_vector.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/function_ref.h"
#include "common/status.h"

namespace crescent::config {
class Config;
}

namespace crescent::storage {

class DiskTier;
class MemoryPool;
class Segment;
class SegmentRegistry;
class ObjectTable;

inline constexpr int64_t kNoExpiry = 0;

// A value's bytes as a visitor sees them under the shard lock.
class ValueView {
 public:
  std::string_view bytes() const { return bytes_; }
  // Keeps the bytes alive until the returned token is destroyed, even if the key is
  // overwritten, removed, evicted or its segment unmounted meanwhile. Null when the
  // value is small: the visitor must then copy what it needs before it returns.
  std::shared_ptr<const void> Pin() const;

 private:
  friend class ObjectTable;
  friend class Store;
  std::string_view bytes_;
  Segment* segment_ = nullptr;
  uint64_t offset_ = 0;  // of the allocation (its header) when pinnable
  bool pinnable_ = false;
};

// Where a new value's replicas go (Mooncake's ReplicateConfig). Best effort: a write
// succeeds when at least one replica is placed.
struct ReplicateConfig {
  uint32_t replicas = 1;
  bool soft_pin = false;
  int64_t soft_pin_ms = 0;  // 0: the soft-pin-ttl option
  bool hard_pin = false;
  std::vector<std::string> preferred_segments;
  bool same_node = false;   // every segment of a single node is on the same node
};

// A value copied into one or more segments outside any shard lock, ready to be
// committed to a key; or, when small with one replica (is_inline), held here (from
// Reserve) or left in the caller's buffer (from Prepare) until the commit places it with
// the key's node in the home segment (its node's size depends on the key, which only the
// commit knows). Destroying it uncommitted gives the memory back.
class PreparedValue {
 public:
  PreparedValue() = default;
  PreparedValue(PreparedValue&& other) noexcept;
  PreparedValue& operator=(PreparedValue&& other) noexcept;
  ~PreparedValue();
  size_t size() const { return size_; }
  size_t replicas() const { return is_inline_ ? 1 : allocations_.size(); }
  // Where the value's bytes go (its first replica), for writers that fill it in place;
  // CompleteReplicas copies them to the others. REQUIRES: not made by Prepare (whose
  // inline values point at the caller's bytes).
  char* data() const;
  // The value's bytes, for reading, whatever made it.
  std::string_view contents() const;
  // A small single-replica value: its bytes wait (here, or in Prepare's caller's buffer)
  // until the commit places them in one allocation with the object's node and key (in
  // the home segment).
  bool is_inline() const { return is_inline_; }

 private:
  friend class ObjectTable;
  friend class Store;
  struct Allocation {
    Segment* segment;
    uint64_t offset;
  };
  void Release();
  // Inline room for two replicas: a value of the usual one or two replicas is prepared
  // without a heap allocation.
  boost::container::small_vector<Allocation, 2> allocations_;
  boost::container::small_vector<std::shared_ptr<Segment>, 2> keep_;  // alive until commit
  mutable std::string inline_bytes_;            // is_inline_ from Reserve: the value
  const char* borrowed_ = nullptr;              // is_inline_ from Prepare: the caller's bytes
  bool is_inline_ = false;
  uint32_t size_ = 0;
  bool hard_pin_ = false;
  int64_t soft_pin_until_ms_ = 0;
};

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
  std::string_view new_value;         // kWrite: copied into the pool under the lock
  PreparedValue* prepared = nullptr;  // kWritePrepared: committed (moved from)
  int64_t expire_at_ms = kNoExpiry;   // Ttl::kSet; a time in the past deletes the key
};

enum class ReplicaKind { kMemory, kDisk };
enum class ReplicaState { kInitialized, kProcessing, kComplete, kFailed, kRemoved };

struct ReplicaInfo {
  std::string segment;
  ReplicaKind kind = ReplicaKind::kMemory;
  ReplicaState state = ReplicaState::kComplete;
};

struct ObjectInfo {
  uint64_t size = 0;
  uint64_t version = 0;
  uint64_t checksum = 0;
  int64_t expire_at_ms = kNoExpiry;
  int64_t lease_until_ms = 0;      // 0 or past: no lease
  int64_t soft_pin_until_ms = 0;   // 0 or past: not soft-pinned
  bool hard_pin = false;
  std::vector<ReplicaInfo> replicas;
};

// How recently or how often a key was used, as OBJECT IDLETIME / FREQ report it. The
// table keeps one or the other, as eviction-policy asks: lfu counts frequency, lru and
// ttl keep the time of the last access.
struct AccessInfo {
  bool frequency_tracked = false;  // lfu
  int64_t idle_ms = 0;             // when !frequency_tracked: since the last access
  uint32_t frequency = 0;          // when frequency_tracked: Redis's logarithmic counter
                                   // (0-255), after its decay of one per idle minute
};

struct SegmentInfo {
  std::string name;
  size_t capacity = 0;
  size_t used = 0;
  int64_t replicas = 0;
};

// Put lifecycle (Mooncake's PutStart / PutEnd / PutRevoke): for writers that fill the
// replicas themselves (a transfer, a socket read). Between PutStart and PutEnd the key
// has a pending put that readers do not see; a put that never ends is revoked by
// ReclaimStalePuts after put-timeout.
struct PutHandle {
  std::string key;
  uint64_t put_id = 0;
  size_t size = 0;
  std::vector<char*> buffers;  // one per replica, each `size` bytes, to be filled
  // Keeps the buffers valid while the handle lives, even if the put is revoked.
  std::shared_ptr<const void> hold;
};

// Keyspace walks (KEYS, SCAN MATCH, QUERYREGEX, REMOVEREGEX) match a client's pattern
// against keys. The pattern's work depends on the client (a regular expression costs up
// to key bytes x program size), so it never runs under a shard lock and each walk has a
// budget: the matcher spends from *budget what matching `key` costs, or may cost, before
// or while it matches, and answers kOverBudget (nothing decided) when the rest of the
// budget cannot cover it.
enum class KeyMatch { kNo, kYes, kOverBudget };
using KeyMatcher = FunctionRef<KeyMatch(std::string_view key, uint64_t* budget)>;

// A key found by a walk, with the version its value had when the walk copied it: a
// removal by walk removes the key only if it still holds that version.
struct MatchedKey {
  std::string key;
  uint64_t version;
};

struct PutOptions {
  ReplicateConfig config;
  bool overwrite = true;             // false: PUT (OBJECT_ALREADY_EXISTS if present)
  int64_t expire_at_ms = kNoExpiry;  // kNoExpiry: none
};

struct StoreOptions {
  enum class Persistence { kOff, kAsync, kSync };
  size_t memory_capacity = 1ull << 30;
  bool huge_pages = true;
  std::string segment_name = "local";
  int64_t put_timeout_ms = 30'000;
  // Eviction and leases read these from the config when one is given (they may change
  // at run time); the values here serve when it is not.
  const config::Config* config = nullptr;
  bool background_eviction = true;
  // The SSD tier (RocksDB under `dir`). Off: eviction drops objects.
  Persistence persistence = Persistence::kOff;
  std::string dir = "./data";
  size_t disk_blob_threshold = 64 * 1024;
  size_t disk_queue_bytes = 64ull << 20;
  bool promote_on_read = true;  // a value read from disk goes back to memory
  // Where the storage layer reports notable events (disk faults, corruption, reload).
  std::function<void(std::string_view)> log;
};

struct StoreStats {
  size_t keys = 0;
  size_t keys_with_expiry = 0;
  uint64_t expired_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  size_t value_bytes = 0;           // sum of value sizes (one replica each)
  size_t metadata_bytes = 0;        // table nodes, buckets and indexes
  size_t pool_capacity = 0;         // all mounted segments
  size_t pool_used = 0;             // bytes the pools hold for values
  double pool_fragmentation = 0;
  size_t pool_prefaulted_ahead = 0;  // MemoryPool::Stats::prefaulted_ahead_bytes, all pools
  bool huge_pages = false;
  size_t segments = 0;
  uint64_t evicted_objects = 0;
  uint64_t evicted_bytes = 0;
  uint64_t evicted_leased = 0;       // evictions that broke a lease
  uint64_t evicted_soft_pinned = 0;
  uint64_t leases_granted = 0;
  size_t leased_objects = 0;
  size_t soft_pinned_objects = 0;
  size_t hard_pinned_objects = 0;
  size_t pending_puts = 0;
  uint64_t revoked_puts = 0;
  // SSD tier.
  bool disk_enabled = false;
  uint64_t demoted_objects = 0;   // evictions that kept the object on disk
  uint64_t promoted_objects = 0;  // disk reads that brought the value back to memory
  size_t disk_only_objects = 0;
  uint64_t disk_loaded_objects = 0;  // found again at start-up
  int64_t disk_load_ms = 0;
};

class Store {
 public:
  static constexpr size_t kPinThreshold = 16 * 1024;

  static StatusOr<std::unique_ptr<Store>> Create(const StoreOptions& options,
                                                 const Clock* clock);
  ~Store();

  const Clock& clock() const { return *clock_; }

  // --- Reads ---------------------------------------------------------------------
  // Calls `visit` under the key's shard lock if the key exists; returns whether it did.
  // Counts a hit or a miss; grants a lease when `lease`.
  bool Get(std::string_view key, FunctionRef<void(const ValueView&)> visit, bool lease = true);
  // As Get, but the read leaves no trace (OBJECT ENCODING, as Redis's LOOKUP_NOTOUCH):
  // no lease, no update of the access record that OBJECT IDLETIME / FREQ and eviction
  // read, no promotion of a disk-only value. Counts a hit or a miss.
  bool Peek(std::string_view key, FunctionRef<void(const ValueView&)> visit);
  bool Exists(std::string_view key, bool lease = false);
  // TOUCH: as Exists, and the access record (OBJECT IDLETIME / FREQ, eviction order)
  // counts it as a use, as a read does; no lease.
  bool Touch(std::string_view key);
  // A hint that `keys` are about to be looked up (ObjectTable::Prefetch).
  void Prefetch(std::span<const std::string_view> keys);
  std::optional<ObjectInfo> Query(std::string_view key, bool lease = true);
  // Expiry of the key: nullopt when absent, kNoExpiry when it has none.
  std::optional<int64_t> GetExpiry(std::string_view key);
  // Bytes this key costs (metadata plus its pool allocations); nullopt when absent.
  std::optional<size_t> MemoryUsage(std::string_view key);
  // OBJECT IDLETIME / FREQ: the key's access record, read without touching it; nullopt
  // when absent.
  std::optional<AccessInfo> Access(std::string_view key);
  // RESTORE IDLETIME / FREQ: sets the record that the policy keeps, from `idle_ms` (lru,
  // ttl; at most 2^31-1 ms are kept) or `frequency` (lfu, 0-255); the other one is
  // ignored, as Redis ignores it. False when the key is absent.
  bool SetAccess(std::string_view key, std::optional<int64_t> idle_ms,
                 std::optional<uint32_t> frequency);

  // --- Writes ----------------------------------------------------------------------
  // Copies `bytes` into the replicas `config` asks for (evicting if there is no room).
  // kOutOfMemory when not even one replica can be placed. A small value with one
  // replica (is_inline) is not copied here but at the commit, straight from `bytes`
  // into its node (a SET of a small value was a heap allocation and a copy more):
  // REQUIRES: `bytes` outlive the returned value's commit or destruction.
  StatusOr<PreparedValue> Prepare(std::string_view bytes, const ReplicateConfig& config = {});

  // Atomic read-modify-write of one key: `decide` runs under the shard lock and may be
  // called more than once (when memory must first be freed), so it must only compute.
  Status Update(std::string_view key, FunctionRef<UpdateDecision(const CurrentValue&)> decide);

  // Room for `size` bytes in the replicas `config` asks for, not yet filled (evicting
  // to make room). Fill data(), then CompleteReplicas, then commit. A small value with
  // one replica is held inline (see PreparedValue::is_inline) unless `allow_inline` is
  // false (a put whose buffers a writer fills after PutStart).
  StatusOr<PreparedValue> Reserve(size_t size, const ReplicateConfig& config,
                                  bool allow_inline = true);
  // For a value reserved before its config was known (received straight from a
  // socket): applies the config's pins and copies the filled first replica to as many
  // more as it asks for.
  void CompleteReplicas(PreparedValue* value, const ReplicateConfig& config);
  // Commits a filled value as an object (PUT / UPSERT semantics of `options`).
  Status CommitObject(std::string_view key, PreparedValue* value, const PutOptions& options);

  // PUT / UPSERT: writes `value` with the pins and expiry of `options`.
  // kAlreadyExists for PUT of an existing key (or one with a put in progress).
  Status PutObject(std::string_view key, std::string_view value, const PutOptions& options);

  StatusOr<PutHandle> PutStart(std::string_view key, size_t size, const PutOptions& options);
  Status PutEnd(const PutHandle& handle);
  void PutRevoke(const PutHandle& handle);
  size_t ReclaimStalePuts();

  // Writes every pair atomically (all shards involved locked together). With
  // `only_if_none_exist`, writes nothing and returns false if any key exists.
  StatusOr<bool> MultiSet(std::span<const std::string_view> keys,
                          std::span<PreparedValue> values, bool only_if_none_exist);

  enum class RenameResult { kRenamed, kNoSuchKey, kTargetExists, kOutOfMemory };
  RenameResult Rename(std::string_view src, std::string_view dst, bool only_if_absent);

  // DEL: removes whatever leases or pins the key has.
  bool Remove(std::string_view key);
  // REMOVE: kHasLease for a leased object unless `force`; kNotFound when absent.
  Status RemoveObject(std::string_view key, bool force);
  void Clear();

  // --- Iteration and keyspace walks -------------------------------------------------
  // A walk copies a slice of keys (a few buckets of one shard, at most kWalkSliceKeys
  // keys or about kWalkSliceBytes of them) under the shard's lock, releases it, and only
  // then visits or matches them: no lock is ever held while client-controlled work runs,
  // and a lock is held for one slice's copy at most. So a walk is a snapshot per slice,
  // not of the whole keyspace (Redis's KEYS is atomic): a key present and unchanged for
  // the whole walk is visited exactly once; one written or deleted meanwhile may or may
  // not be. Buckets are walked in Redis's reverse-binary order and a shard being walked
  // does not shrink, so neither growth nor shrinking makes a key appear twice.
  static constexpr size_t kWalkSliceKeys = 128;
  static constexpr size_t kWalkSliceBytes = 64 * 1024;

  // SCAN: visits the keys of up to `count` buckets starting at `cursor`; returns the
  // next cursor (0 when done). A key present for the whole iteration is visited at
  // least once, whatever grows or shrinks meanwhile. `visit` runs with no lock held.
  uint64_t Scan(uint64_t cursor, size_t count, FunctionRef<void(std::string_view)> visit);
  // Visits every visible key (see the walk above). `visit` runs with no lock held.
  void ForEachKey(FunctionRef<void(std::string_view)> visit);
  // KEYS, QUERYREGEX: every key `match` accepts, with the version it was matched at.
  // kOverBudget when `budget` ran out first (the walk stops there).
  StatusOr<std::vector<MatchedKey>> MatchKeys(KeyMatcher match, uint64_t budget);
  // REMOVEREGEX: matches the whole keyspace first (so that running out of budget
  // removes nothing: kOverBudget), then removes each matched key that still holds the
  // version it was matched at (a key re-written meanwhile by another client stays) and,
  // without `force`, is not leased. Returns how many went.
  StatusOr<size_t> RemoveMatching(KeyMatcher match, uint64_t budget, bool force);
  // Removes `key` if it still holds `version` and (without `force`) is not leased.
  bool RemoveIfVersion(std::string_view key, uint64_t version, bool force);
  // REMOVEALL: removes every object (leased ones only with `force`), a slice per lock
  // hold; objects written after the walk passed their bucket stay. Returns how many went.
  size_t RemoveAll(bool force);
  std::optional<std::string> RandomKey();
  size_t Size() const;

  // --- Segments --------------------------------------------------------------------
  Status MountSegment(std::string name, size_t capacity);
  // Drops the segment's replicas and the objects that had no other; returns how many
  // objects were dropped.
  StatusOr<size_t> UnmountSegment(std::string_view name);
  std::vector<SegmentInfo> Segments() const;

  // --- Maintenance -----------------------------------------------------------------
  // Active expiry: removes up to `budget` expired keys; returns how many it removed.
  size_t ExpireCycle(size_t budget);
  // Evicts, in policy order, until `bytes` are freed or nothing more may go. Returns
  // the bytes freed. Also run by the background evictor above the high watermark.
  size_t Evict(size_t bytes);

  StoreStats GetStats() const;
  void ResetStats();
  // The SSD tier, or null when persistence is off (its own Stats for INFO and metrics).
  DiskTier* disk() const { return disk_.get(); }

 private:
  Store(const StoreOptions& options, const Clock* clock);
  // Allocates `bytes` for a replica in `segment`, evicting to make room.
  std::optional<uint64_t> AllocateIn(Segment& segment, size_t bytes);
  // After a table operation found no room for an inline node under its lock: frees some
  // in the home segment (no lock held). False when nothing could be evicted.
  bool MakeRoomForNodes(int attempt);
  // Whether a value of `size` bytes placed by `config` is held inline.
  bool InlineEligible(size_t size, const ReplicateConfig& config) const;
  // Gives an inline value real allocations (when its config turns out to need more than
  // one replica or another segment).
  Status MoveOutOfLine(PreparedValue* value, const ReplicateConfig& config);
  void EvictorLoop();
  // Get and Peek: `touch` updates the access record (and may promote from disk).
  bool Read(std::string_view key, FunctionRef<void(const ValueView&)> visit, int64_t lease_ms,
            bool touch);

  void ApplyPins(PreparedValue* value, const ReplicateConfig& config);
  // An inline value of `size` bytes (REQUIRES: InlineEligible), its bytes not yet set.
  PreparedValue NewInline(size_t size, const ReplicateConfig& config);
  Status OpenDisk();

  StoreOptions options_;
  const Clock* clock_;
  std::unique_ptr<SegmentRegistry> segments_;
  std::shared_ptr<Segment> home_;  // the first segment: holds inline nodes, never unmounted
  std::unique_ptr<DiskTier> disk_;  // outlives table_, which writes through to it
  std::unique_ptr<ObjectTable> table_;
  uint64_t disk_loaded_objects_ = 0;
  int64_t disk_load_ms_ = 0;

  std::mutex evictor_mu_;
  std::condition_variable evictor_cv_;
  bool evictor_stop_ = false;  // GUARDED_BY(evictor_mu_)
  std::thread evictor_;
};

}  // namespace crescent::storage
