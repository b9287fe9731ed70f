// ObjectTable and the SSD tier: write-through under the shard lock, demotion on
// eviction, promotion on reads, and the reload after a restart.
//
// Why under the shard lock: two writers of one key commit to memory in the lock's
// order; writing the disk inside the same critical section gives the disk that order
// too, so it can never keep an older value than memory. In sync mode this holds the
// shard for an fsync (shared with every concurrent writer by group commit); that is the
// price of a reply that promises durability.
#include <cstring>

#include "storage/object_table.h"
#include "storage/value_memory.h"

namespace crescent::storage {

DiskRecordMeta ObjectTable::MetaOf(const Shard& shard, const Node* node, int64_t expire_at_ms,
                                   uint32_t version) const {
  return DiskRecordMeta{SoftPinOf(shard, node) > clock_->NowMs(), (node->flags & kHardPin) != 0,
                        expire_at_ms, version};
}

Status ObjectTable::LockedPersist(Node* node, std::string_view key, std::string_view bytes,
                                  const DiskRecordMeta& meta, const DiskTier::PutOptions& options) {
  if (disk_ == nullptr) return Status::Ok();
  node->flags &= static_cast<uint8_t>(~kOnDisk);
  Status s = disk_->Put(key, bytes, meta, options);
  if (s.ok()) {
    node->flags |= kOnDisk;
    return s;
  }
  // Sync mode promised durability: the write fails. Async mode serves from memory; the
  // tier counted the dropped write and holds no stale copy of the key.
  if (disk_->mode() == DiskTier::Mode::kSync) return s;
  return Status::Ok();
}

DiskTier::PutOptions ObjectTable::ByReference(const PreparedValue& value) const {
  DiskTier::PutOptions options;
  if (disk_ == nullptr || disk_->mode() != DiskTier::Mode::kAsync || value.is_inline() ||
      value.allocations_.empty() || !IsLargeValue(value.size_)) {
    return options;
  }
  const auto& first = value.allocations_.front();
  ValueView view;
  view.bytes_ = value.contents();
  view.segment_ = first.segment;
  view.offset_ = first.offset;
  view.pinnable_ = true;
  options.pin = view.Pin();
  return options;
}

void ObjectTable::LockedRepersist(Shard& shard, Node* node) {
  if (disk_ == nullptr) return;
  std::string scratch;
  std::string_view bytes = LockedValueBytes(shard, node, &scratch);
  (void)LockedPersist(node, node->key(), bytes,
                      MetaOf(shard, node, ExpireOf(shard, node), node->version));
}

void ObjectTable::LockedDiskDelete(Node* node) {
  if (disk_ == nullptr) return;
  (void)disk_->Delete(node->key());
  node->flags &= static_cast<uint8_t>(~kOnDisk);
}

std::string_view ObjectTable::LockedValueBytes(Shard& shard, Node* node, std::string* scratch) {
  if (node->in_memory()) return MakeView(shard, node).bytes();
  scratch->clear();
  if (disk_ != nullptr) {
    auto found = disk_->Read(node->key(), [&](const DiskRecordMeta&, std::string_view value) {
      scratch->assign(value);
    });
    (void)found;
  }
  return *scratch;
}

void ObjectTable::LockedEvict(Shard& shard, Node* node, int64_t now, DiskTier::Room* room) {
  ++shard.evicted;
  shard.evicted_bytes += node->size;
  if (Leased(node, now)) ++shard.evicted_leased;
  if (SoftPinOf(shard, node) > now) ++shard.evicted_soft_pinned;
  if (disk_ != nullptr && !(node->flags & kOnDisk)) {
    // Not on disk yet (an async write was dropped, or the tier was down): try now. A
    // large value is queued by reference (its pin), not copied. Evict reserved room for
    // it before taking this lock; only when none came (or the value grew meanwhile) is
    // a short wait allowed here, under the lock.
    ValueView view = MakeView(shard, node);
    DiskTier::PutOptions options;
    options.pin = view.Pin();
    options.room = room;
    options.wait_ms = 10;
    (void)LockedPersist(node, node->key(), view.bytes(),
                        MetaOf(shard, node, ExpireOf(shard, node), node->version), options);
  }
  if (node->flags & kOnDisk) {
    LockedReleaseMemory(shard, node);  // demoted: the object stays, on disk
    ++shard.demoted;
    return;
  }
  LockedRemove(shard, node);
}

bool ObjectTable::Promote(std::string_view key, uint64_t version, PreparedValue* value) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr || node->in_memory() || node->version != static_cast<uint32_t>(version) ||
      node->size != value->size()) {
    return false;
  }
  if (value->is_inline()) {
    // No room for the node: the reader is served from the disk copy all the same.
    Node* fresh = NewInlineNode(key, value->contents());
    if (fresh == nullptr) return false;
    fresh->flags = static_cast<uint8_t>(node->flags | kInline);
    LockedReplace(shard, node, fresh);
    node = fresh;
    node->replica_count = 1;
  } else {
    size_t n = value->allocations_.size();
    node->replica_count = static_cast<uint8_t>(n);
    if (n > 0) {
      NodeExt& e = LockedExt(shard, node);
      for (const auto& a : value->allocations_) {
        e.replicas.push_back(Replica{a.segment, a.offset});
        a.segment->replicas.fetch_add(1, std::memory_order_relaxed);
      }
    }
    value->allocations_.clear();
  }
  value->keep_.clear();
  if (node->replica_count > 0) shard.value_bytes += node->size;
  ++shard.promoted;
  return true;
}

void ObjectTable::ForgetDiskOnly(std::string_view key, uint64_t version) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr || node->in_memory() || node->version != static_cast<uint32_t>(version)) return;
  LockedRemove(shard, node);
}

void ObjectTable::LoadFromDisk(std::string_view key, const DiskRecordMeta& meta, size_t size,
                               int64_t soft_pin_ms) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFindAny(shard, key, hash, now);
  if (node != nullptr) return;  // already known (a write since start-up wins)
  node = LockedInsert(shard, key, hash);
  node->size = static_cast<uint32_t>(size);
  node->flags = kHasValue | kOnDisk | (meta.hard_pin ? kHardPin : 0);
  LockedSetSoftPin(shard, node, meta.soft_pin ? now + soft_pin_ms : 0);
  node->version = static_cast<uint32_t>(meta.version);
  node->access = NewAccess(now);
  ++shard.visible;
  LockedSetExpiry(shard, node, meta.expire_at_ms);
  uint64_t next = next_version_.load(std::memory_order_relaxed);
  while (meta.version >= next &&
         !next_version_.compare_exchange_weak(next, meta.version + 1, std::memory_order_relaxed)) {
  }
}

}  // namespace crescent::storage
