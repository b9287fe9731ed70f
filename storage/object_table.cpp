// ObjectTable's Redis-style operations, expiry and statistics. Node mechanics are in
// object_table_nodes.cpp, the Mooncake object operations in object_table_objects.cpp,
// keyspace walks (SCAN, KEYS, REMOVEREGEX...) in object_table_walk.cpp, eviction in
// object_table_evict.cpp, the disk tier in object_table_disk.cpp.
#include "storage/object_table.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <random>

#include "storage/value_memory.h"

namespace crescent::storage {

namespace {

constexpr int64_t kLeaseSweepMs = 3'600'000;
// A std::set node of the expiry index, approximately (for memory accounting).
constexpr size_t kIndexEntryBytes = 48;

}  // namespace

// Shutting down forgets memory only: what is on disk stays for the next start.
ObjectTable::~ObjectTable() { ClearMemory(); }

ObjectTable::ReadResult ObjectTable::Get(std::string_view key,
                                         FunctionRef<void(const ValueView&)> visit,
                                         int64_t lease_ms, uint64_t* version, bool touch) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  if (node == nullptr) {
    ++shard.misses;
    return ReadResult::kMiss;
  }
  ++shard.hits;
  if (touch) LockedTouch(shard, node, now, lease_ms);
  if (!node->in_memory()) {
    if (version != nullptr) *version = node->version;
    return ReadResult::kOnDisk;
  }
  visit(MakeView(shard, node));
  return ReadResult::kHit;
}

bool ObjectTable::Exists(std::string_view key, int64_t lease_ms, bool touch) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  if (node != nullptr && (lease_ms > 0 || touch)) LockedTouch(shard, node, now, lease_ms);
  return node != nullptr;
}

Status ObjectTable::Update(std::string_view key,
                           FunctionRef<UpdateDecision(const CurrentValue&)> decide,
                           Segment* segment) {
  using V = UpdateDecision::Value;
  using T = UpdateDecision::Ttl;
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  CurrentValue current;
  std::string disk_copy;  // the value of a disk-only object, read for `decide`
  if (node != nullptr) {
    current.exists = true;
    current.value = LockedValueBytes(shard, node, &disk_copy);
    current.expire_at_ms = ExpireOf(shard, node);
  }
  UpdateDecision d = decide(current);
  // The expiry the object will have, which its disk record must carry.
  int64_t final_expiry = d.ttl == T::kSet     ? d.expire_at_ms
                         : d.ttl == T::kClear ? kNoExpiry
                         : node != nullptr    ? ExpireOf(shard, node)
                                              : kNoExpiry;
  bool writes = d.value == V::kWrite || d.value == V::kWritePrepared;
  uint32_t version = writes ? NextVersion() : 0;

  bool inserted = false;
  switch (d.value) {
    case V::kKeep:
      break;
    case V::kDelete:
      if (node != nullptr) {
        LockedDiskDelete(node);
        LockedRemove(shard, node);
      }
      return Status::Ok();
    case V::kWrite:
    case V::kWritePrepared: {
      // Everything that can fail is done before the key changes: the value's memory
      // (copied from new_value, which may point into the old value), then the disk.
      PreparedValue local;
      PreparedValue* value = d.prepared;
      Node* fresh = nullptr;
      const char* overwrite = nullptr;
      if (d.value == V::kWrite) {
        size_t size = d.new_value.size();
        if (size > UINT32_MAX) return Status(StatusCode::kTooLarge);
        value = &local;
        local.size_ = static_cast<uint32_t>(size);
        if (size > 0 && size <= kInlineValueMax && Overwritable(node, size)) {
          local.is_inline_ = true;
          fresh = node;
          overwrite = d.new_value.data();
        } else if (size > 0 && size <= kInlineValueMax) {
          local.is_inline_ = true;
          fresh = NewInlineNode(key, d.new_value);
          if (fresh == nullptr) return Status(StatusCode::kOutOfMemory);
        } else if (size > 0) {
          if (segment == nullptr || !segment->mounted()) return Status(StatusCode::kOutOfMemory);
          auto offset = segment->pool().Allocate(ValueAllocationBytes(size));
          if (!offset) return Status(StatusCode::kOutOfMemory);
          InitValue(segment, *offset, size);
          local.allocations_.push_back({segment, *offset});
          std::memcpy(ValueBytes(segment, *offset, size), d.new_value.data(), size);
        }
        // A rewritten value keeps the object's pins.
        if (node != nullptr) {
          local.hard_pin_ = node->flags & kHardPin;
          local.soft_pin_until_ms_ = SoftPinOf(shard, node);
        }
      } else {
        bool ok = false;
        fresh = NewNodeFor(key, value, node, &ok, &overwrite);
        if (!ok) return Status(StatusCode::kOutOfMemory);
      }
      std::string_view bytes =
          d.value == V::kWrite ? d.new_value : value->contents();
      if (node == nullptr) node = LockedFindAny(shard, key, hash, now);
      if (node == nullptr) {
        node = LockedInsert(shard, key, hash, fresh);
        inserted = true;
      }
      Status persisted = LockedPersist(
          node, key, bytes,
          DiskRecordMeta{value->soft_pin_until_ms_ > now, value->hard_pin_, final_expiry, version},
          ByReference(*value));
      if (!persisted.ok()) {
        if (fresh != nullptr && fresh != node) FreeNode(fresh);
        if (inserted) LockedDelete(shard, node);
        return persisted;
      }
      node = LockedAssign(shard, node, value, version, now, fresh, overwrite);
      break;
    }
  }
  if (node == nullptr) return Status::Ok();
  if (d.ttl == T::kClear || (inserted && d.ttl == T::kKeep)) {
    LockedSetExpiry(shard, node, kNoExpiry);
  } else if (d.ttl == T::kSet) {
    if (d.expire_at_ms <= now) {
      LockedDiskDelete(node);
      LockedRemove(shard, node);
      return Status::Ok();
    }
    LockedSetExpiry(shard, node, d.expire_at_ms);
  }
  // A TTL change of an unchanged value: the disk record must carry it too.
  if (!writes && d.ttl != T::kKeep && node->visible()) LockedRepersist(shard, node);
  return Status::Ok();
}

std::vector<std::unique_lock<std::mutex>> ObjectTable::LockShardsOf(
    std::span<const uint64_t> hashes) {
  std::vector<size_t> indexes;
  indexes.reserve(hashes.size());
  for (uint64_t h : hashes) indexes.push_back(ShardIndex(h));
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(indexes.size());
  for (size_t i : indexes) locks.emplace_back(shards_[i].mu);
  return locks;
}

StatusOr<bool> ObjectTable::MultiSet(std::span<const std::string_view> keys,
                                     std::span<PreparedValue> values, bool only_if_none_exist) {
  std::vector<uint64_t> hashes;
  hashes.reserve(keys.size());
  for (auto k : keys) hashes.push_back(Hash(k));
  auto locks = LockShardsOf(hashes);
  int64_t now = clock_->NowMs();
  if (only_if_none_exist) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (LockedFind(ShardFor(hashes[i]), keys[i], hashes[i], now) != nullptr) return false;
    }
  }
  // Every inline node first: a pool without room fails the whole MSET before any key
  // changes.
  // (No overwriting in place here: a key may appear twice.)
  std::vector<Node*> fresh(keys.size(), nullptr);
  for (size_t i = 0; i < keys.size(); ++i) {
    bool ok = false;
    const char* unused = nullptr;
    fresh[i] = NewNodeFor(keys[i], &values[i], nullptr, &ok, &unused);
    if (!ok) {
      for (Node* n : fresh) {
        if (n != nullptr) FreeNode(n);
      }
      return Status(StatusCode::kOutOfMemory);
    }
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    Shard& shard = ShardFor(hashes[i]);
    Node* node = LockedFindAny(shard, keys[i], hashes[i], now);
    bool inserted = node == nullptr;
    if (inserted) node = LockedInsert(shard, keys[i], hashes[i], fresh[i]);
    uint32_t version = NextVersion();
    // MSET is not rolled back when the disk refuses a later key in sync mode: the keys
    // before it are written, as a pipeline of SETs would have written them.
    Status persisted = LockedPersist(node, keys[i], values[i].contents(),
                                     DiskRecordMeta{false, false, kNoExpiry, version},
                                     ByReference(values[i]));
    if (!persisted.ok()) {
      for (size_t j = i; j < keys.size(); ++j) {
        if (fresh[j] != nullptr && !(j == i && inserted)) FreeNode(fresh[j]);
      }
      if (inserted) LockedDelete(shard, node);
      return persisted;
    }
    node = LockedAssign(shard, node, &values[i], version, now, fresh[i]);
    LockedSetExpiry(shard, node, kNoExpiry);
  }
  return true;
}

Store::RenameResult ObjectTable::Rename(std::string_view src, std::string_view dst,
                                        bool only_if_absent) {
  uint64_t hashes[2] = {Hash(src), Hash(dst)};
  auto locks = LockShardsOf(hashes);
  int64_t now = clock_->NowMs();
  Shard& src_shard = ShardFor(hashes[0]);
  Shard& dst_shard = ShardFor(hashes[1]);
  Node* from = LockedFind(src_shard, src, hashes[0], now);
  if (from == nullptr) return Store::RenameResult::kNoSuchKey;
  Node* to = LockedFind(dst_shard, dst, hashes[1], now);
  if (to != nullptr && only_if_absent) return Store::RenameResult::kTargetExists;
  if (from == to) return Store::RenameResult::kRenamed;
  // The key is part of the node, so the object moves to a new node: an inline one
  // holds a copy of the value (placed before anything changes), a heap one takes the
  // replicas as they are.
  Node* fresh = nullptr;
  if (from->is_inline()) {
    fresh = NewInlineNode(dst, std::string_view(from->inline_value(), from->size));
    if (fresh == nullptr) return Store::RenameResult::kOutOfMemory;
  }
  if (to != nullptr) LockedRemove(dst_shard, to);
  // On disk the record moves too: written under the new key, removed under the old.
  if (disk_ != nullptr && (from->flags & kOnDisk)) {
    std::string scratch;
    std::string_view bytes = LockedValueBytes(src_shard, from, &scratch);
    Status s = disk_->Put(dst, bytes, MetaOf(src_shard, from, ExpireOf(src_shard, from), from->version));
    if (s.ok() || disk_->mode() == DiskTier::Mode::kAsync) (void)disk_->Delete(src);
    if (!s.ok()) from->flags &= static_cast<uint8_t>(~kOnDisk);
    if (!s.ok() && !from->in_memory()) {
      // Nowhere to keep the value under its new name: the rename fails cleanly.
      if (fresh != nullptr) FreeNode(fresh);
      return Store::RenameResult::kNoSuchKey;
    }
  } else if (disk_ != nullptr) {
    (void)disk_->Delete(dst);
  }
  Node* moved = LockedFindAny(dst_shard, dst, hashes[1], now);
  if (moved == nullptr) {
    moved = LockedInsert(dst_shard, dst, hashes[1], fresh);
  } else if (fresh != nullptr) {
    LockedReplace(dst_shard, moved, fresh);  // a pending put's node: it keeps its ext
    moved = fresh;
  } else if (moved->is_inline()) {
    Node* heap = NewHeapNode(dst);
    LockedReplace(dst_shard, moved, heap);
    moved = heap;
  }
  int64_t expire_at = ExpireOf(src_shard, from);
  NodeExt* from_ext = ExtOf(src_shard, from);
  if (!from->is_inline() && from_ext != nullptr && !from_ext->replicas.empty()) {
    NodeExt& e = LockedExt(dst_shard, moved);
    e.replicas = std::move(from_ext->replicas);
    e.checksum = from_ext->checksum;
    from_ext->replicas.clear();
  }
  moved->replica_count = from->replica_count;
  moved->size = from->size;
  moved->version = from->version;
  moved->access = from->access;
  moved->lease_until = from->lease_until;
  moved->flags = static_cast<uint8_t>((from->flags & ~kInline) | (moved->flags & kInline));
  LockedSetSoftPin(dst_shard, moved, SoftPinOf(src_shard, from));
  if (from->replica_count > 0) dst_shard.value_bytes += from->size;
  ++dst_shard.visible;
  // Detach the value from the old node so that removing it releases nothing of it (an
  // inline node's bytes go with the node).
  if (from->replica_count > 0) src_shard.value_bytes -= from->size;
  if (!from->is_inline()) from->size = 0;
  from->replica_count = 0;
  from->flags &= kInline;
  --src_shard.visible;
  LockedSetSoftPin(src_shard, from, 0);
  LockedSetExpiry(src_shard, from, kNoExpiry);
  if (PendingOf(src_shard, from) == nullptr) LockedDelete(src_shard, from);
  LockedSetExpiry(dst_shard, moved, expire_at);
  return Store::RenameResult::kRenamed;
}

bool ObjectTable::Remove(std::string_view key) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr) return false;
  LockedDiskDelete(node);
  LockedRemove(shard, node);
  return true;
}

std::optional<int64_t> ObjectTable::GetExpiry(std::string_view key) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr) return std::nullopt;
  return ExpireOf(shard, node);
}

std::optional<size_t> ObjectTable::MemoryUsage(std::string_view key) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr) return std::nullopt;
  size_t bytes = NodeAllocationBytes(node) + sizeof(Node*);
  if (NodeExt* e = ExtOf(shard, node)) {
    bytes += sizeof(NodeExt) + e->replicas.capacity() * sizeof(Replica);
    for (const Replica& r : e->replicas) {
      bytes += r.segment->pool().AllocationSize(ValueAllocationBytes(node->size));
    }
    if (e->expire_at_ms != kNoExpiry) bytes += kIndexEntryBytes;
  }
  return bytes;
}

std::optional<std::string> ObjectTable::RandomKey() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Random shards until one has visible keys, then random buckets; expired keys met on
  // the way are reclaimed. Bounded, so an all-expired table cannot spin.
  for (int attempt = 0; attempt < 64 && Size() > 0; ++attempt) {
    size_t start = rng() % kShards;
    for (size_t i = 0; i < kShards; ++i) {
      Shard& shard = shards_[(start + i) % kShards];
      std::lock_guard lock(shard.mu);
      if (shard.visible == 0) continue;
      int64_t now = clock_->NowMs();
      size_t mask = shard.buckets.size() - 1;
      for (int tries = 0; tries < 1000; ++tries) {
        Node* head = shard.buckets[rng() & mask];
        size_t len = 0;
        for (Node* n = head; n != nullptr; n = n->next) len += n->visible() ? 1 : 0;
        if (len == 0) continue;
        size_t k = rng() % len;
        Node* pick = head;
        for (;; pick = pick->next) {
          if (pick->visible() && k-- == 0) break;
        }
        if (Expired(shard, pick, now)) {
          std::string key(pick->key());
          LockedFind(shard, key, Hash(key), now);  // reclaims it
          break;
        }
        return std::string(pick->key());
      }
      break;
    }
  }
  return std::nullopt;
}

size_t ObjectTable::Size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    total += shard.visible;
  }
  return total;
}

void ObjectTable::Clear() {
  if (disk_ != nullptr) (void)disk_->DeleteAll();
  ClearMemory();
}

void ObjectTable::ClearMemory() {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    std::vector<Node*> all;
    for (Node* head : shard.buckets) {
      for (Node* n = head; n != nullptr; n = n->next) all.push_back(n);
    }
    for (Node* n : all) LockedDelete(shard, n);
  }
}

size_t ObjectTable::ExpireCycle(size_t budget) {
  size_t removed = 0;
  size_t start = expire_cursor_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < kShards && removed < budget; ++i) {
    Shard& shard = shards_[(start + i) % kShards];
    std::lock_guard lock(shard.mu);
    int64_t now = clock_->NowMs();
    if (now - shard.leases_swept_ms >= kLeaseSweepMs) LockedSweepLeases(shard, now);
    while (removed < budget && !shard.expiries.empty() &&
           shard.expiries.begin()->first <= now) {
      Node* node = shard.expiries.begin()->second;
      ++shard.expired;
      LockedRemove(shard, node);
      ++removed;
    }
  }
  return removed;
}

void ObjectTable::LockedSweepLeases(Shard& shard, int64_t now) {
  shard.leases_swept_ms = now;
  for (Node* head : shard.buckets) {
    for (Node* n = head; n != nullptr; n = n->next) {
      if (n->lease_until != 0 && !Leased(n, now)) n->lease_until = 0;
    }
  }
}

void ObjectTable::ResetStats() {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    shard.hits = shard.misses = shard.expired = shard.leases = 0;
    shard.evicted = shard.evicted_bytes = shard.evicted_leased = shard.evicted_soft_pinned = 0;
    shard.revoked = 0;
    shard.demoted = shard.promoted = 0;
  }
}

void ObjectTable::AddStats(StoreStats* stats) const {
  stats->metadata_bytes += sizeof(ObjectTable);
  int64_t now = clock_->NowMs();
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    stats->keys += shard.visible;
    stats->keys_with_expiry += shard.expiries.size();
    stats->expired_keys += shard.expired;
    stats->keyspace_hits += shard.hits;
    stats->keyspace_misses += shard.misses;
    stats->value_bytes += shard.value_bytes;
    stats->metadata_bytes += shard.node_bytes + shard.buckets.capacity() * sizeof(Node*) +
                             shard.exts.size() * sizeof(NodeExt) +
                             (shard.expiries.size() + shard.pending.size()) * kIndexEntryBytes;
    stats->leases_granted += shard.leases;
    stats->evicted_objects += shard.evicted;
    stats->evicted_bytes += shard.evicted_bytes;
    stats->evicted_leased += shard.evicted_leased;
    stats->evicted_soft_pinned += shard.evicted_soft_pinned;
    stats->pending_puts += shard.pending.size();
    stats->revoked_puts += shard.revoked;
    stats->demoted_objects += shard.demoted;
    stats->promoted_objects += shard.promoted;
    for (Node* head : shard.buckets) {
      for (Node* n = head; n != nullptr; n = n->next) {
        if (!n->visible()) continue;
        if (!n->in_memory()) ++stats->disk_only_objects;
        if (Leased(n, now)) ++stats->leased_objects;
        if (SoftPinOf(shard, n) > now) ++stats->soft_pinned_objects;
        if (n->flags & kHardPin) ++stats->hard_pinned_objects;
      }
    }
  }
}

}  // namespace crescent::storage
