// ObjectTable: the Mooncake Store operations (commit of PUT / UPSERT, the put
// lifecycle, QUERY, REMOVE with leases, unmounting a segment).
#include <algorithm>
#include <memory>

#include "storage/object_table.h"
#include "storage/value_memory.h"

namespace crescent::storage {

bool ObjectTable::KeepMountedReplicas(PreparedValue* value) {
  if (value->is_inline()) return true;  // placed in the home segment, never unmounted
  auto& allocations = value->allocations_;
  size_t kept = 0;
  for (const auto& a : allocations) {
    if (a.segment->mounted()) {
      allocations[kept++] = a;
    } else {
      ReleaseValue(a.segment, a.offset, value->size_);
    }
  }
  allocations.resize(kept);
  return kept > 0 || value->size_ == 0;
}

Status ObjectTable::Commit(std::string_view key, PreparedValue* value, const PutOptions& options) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFindAny(shard, key, hash, now);
  if (node != nullptr && !options.overwrite &&
      (node->visible() || PendingOf(shard, node) != nullptr)) {
    return Status(StatusCode::kAlreadyExists);
  }
  if (!KeepMountedReplicas(value)) {
    return Status(StatusCode::kNoSegment, "every segment of the put was unmounted");
  }
  bool ok = false;
  const char* overwrite = nullptr;
  Node* fresh = NewNodeFor(key, value, node, &ok, &overwrite);
  if (!ok) return Status(StatusCode::kOutOfMemory);
  bool inserted = node == nullptr;
  if (node == nullptr) node = LockedInsert(shard, key, hash, fresh);
  uint32_t version = NextVersion();
  Status persisted = LockedPersist(
      node, key, value->contents(),
      DiskRecordMeta{value->soft_pin_until_ms_ > now, value->hard_pin_, options.expire_at_ms, version},
      ByReference(*value));
  if (!persisted.ok()) {
    if (fresh != nullptr && fresh != node) FreeNode(fresh);
    if (inserted) LockedDelete(shard, node);
    return persisted;
  }
  node = LockedAssign(shard, node, value, version, now, fresh, overwrite);
  if (options.expire_at_ms != kNoExpiry && options.expire_at_ms <= now) {
    LockedDiskDelete(node);
    LockedRemove(shard, node);
    return Status::Ok();
  }
  LockedSetExpiry(shard, node, options.expire_at_ms);
  return Status::Ok();
}

StatusOr<uint64_t> ObjectTable::PutStart(std::string_view key, std::shared_ptr<PreparedValue> value,
                                         const PutOptions& options, int64_t deadline_ms) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFindAny(shard, key, hash, now);
  if (node != nullptr && PendingOf(shard, node) != nullptr) {
    return Status(StatusCode::kAlreadyExists, "a put of this object is in progress");
  }
  if (node != nullptr && node->visible() && !options.overwrite) {
    return Status(StatusCode::kAlreadyExists);
  }
  if (node == nullptr) node = LockedInsert(shard, key, hash);
  auto* pending = new PendingPut{NextVersion(), deadline_ms, value->size_, 0, std::move(value), options};
  LockedExt(shard, node).pending = pending;
  shard.pending.insert({deadline_ms, node});
  return pending->put_id;
}

// Ends `node`'s pending put (which the caller has taken out of the indexes): the node
// goes when nothing else keeps it.
void ObjectTable::LockedEndPending(Shard& shard, Node* node) {
  NodeExt* e = ExtOf(shard, node);
  delete e->pending;  // releases what was not committed
  e->pending = nullptr;
  LockedTrimExt(shard, node);
  if (!node->visible()) LockedDelete(shard, node);
}

Status ObjectTable::PutEnd(std::string_view key, uint64_t put_id) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFindAny(shard, key, hash, now);
  PendingPut* pending = node != nullptr ? PendingOf(shard, node) : nullptr;
  if (pending == nullptr || pending->put_id != put_id) {
    return Status(StatusCode::kNotFound, "the put was revoked (timed out or superseded)");
  }
  shard.pending.erase({pending->deadline_ms, node});
  // Out of the node before the commit, which may move the object to another node.
  ExtOf(shard, node)->pending = nullptr;
  std::unique_ptr<PendingPut> owned(pending);  // releases what is not committed
  Status status = Status::Ok();
  if (!KeepMountedReplicas(pending->value.get())) {
    status = Status(StatusCode::kNoSegment, "every segment of the put was unmounted");
  }
  if (status.ok() && node->visible() && !pending->options.overwrite) {
    status = Status(StatusCode::kAlreadyExists);  // created by another writer meanwhile
  }
  if (status.ok()) {
    PreparedValue& v = *pending->value;
    uint32_t version = NextVersion();
    status = LockedPersist(node, key, std::string_view(v.data(), v.size()),
                           DiskRecordMeta{v.soft_pin_until_ms_ > now, v.hard_pin_,
                                          pending->options.expire_at_ms, version},
                           ByReference(v));
    // Pending values are never inline (Store::PutStart): no node to allocate here.
    if (status.ok()) node = LockedAssign(shard, node, &v, version, now, nullptr);
  }
  if (status.ok()) {
    int64_t expire_at = pending->options.expire_at_ms;
    if (expire_at != kNoExpiry && expire_at <= now) {
      LockedDelete(shard, node);
      return Status::Ok();
    }
    LockedSetExpiry(shard, node, expire_at);
  }
  LockedTrimExt(shard, node);
  if (!node->visible()) LockedDelete(shard, node);
  return status;
}

void ObjectTable::PutRevoke(std::string_view key, uint64_t put_id) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFindAny(shard, key, hash, clock_->NowMs());
  PendingPut* pending = node != nullptr ? PendingOf(shard, node) : nullptr;
  if (pending == nullptr || pending->put_id != put_id) return;
  shard.pending.erase({pending->deadline_ms, node});
  ++shard.revoked;
  LockedEndPending(shard, node);
}

size_t ObjectTable::ReclaimStalePuts() {
  size_t reclaimed = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    int64_t now = clock_->NowMs();
    while (!shard.pending.empty() && shard.pending.begin()->first <= now) {
      Node* node = shard.pending.begin()->second;
      shard.pending.erase(shard.pending.begin());
      ++shard.revoked;
      ++reclaimed;
      LockedEndPending(shard, node);
    }
  }
  return reclaimed;
}

uint64_t ObjectTable::LockedChecksum(Shard& shard, Node* node) {
  if (node->is_inline()) return Checksum(node->inline_value(), node->size);
  NodeExt* e = ExtOf(shard, node);
  if (e != nullptr && e->checksum != 0) return e->checksum;
  std::string scratch;
  std::string_view bytes = LockedValueBytes(shard, node, &scratch);
  uint64_t sum = Checksum(bytes.data(), bytes.size());
  // Cached only where an ext already exists: a disk-only object does not get one for it.
  if (e != nullptr) e->checksum = sum;
  return sum;
}

void ObjectTable::LockedFillInfo(Shard& shard, Node* node, ObjectInfo* info) {
  int64_t now = clock_->NowMs();
  info->size = node->size;
  info->version = node->version;
  info->checksum = LockedChecksum(shard, node);
  info->expire_at_ms = ExpireOf(shard, node);
  info->lease_until_ms = LeaseUntilMs(node, now);
  info->soft_pin_until_ms = SoftPinOf(shard, node);
  info->hard_pin = node->flags & kHardPin;
  for (size_t i = 0; i < node->replica_count; ++i) {
    info->replicas.push_back({ReplicaSegment(shard, node, i)->name(), ReplicaKind::kMemory,
                              ReplicaState::kComplete});
  }
  if (node->flags & kOnDisk) {
    info->replicas.push_back({"disk", ReplicaKind::kDisk, ReplicaState::kComplete});
  }
  if (PendingPut* pending = PendingOf(shard, node)) {
    for (const auto& a : pending->value->allocations_) {
      info->replicas.push_back({a.segment->name(), ReplicaKind::kMemory, ReplicaState::kProcessing});
    }
  }
}

std::optional<ObjectInfo> ObjectTable::Query(std::string_view key, int64_t lease_ms) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  if (node == nullptr) return std::nullopt;
  if (lease_ms > 0) LockedTouch(shard, node, now, lease_ms);
  ObjectInfo info;
  LockedFillInfo(shard, node, &info);
  return info;
}

Status ObjectTable::RemoveObject(std::string_view key, bool force) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  if (node == nullptr) return Status(StatusCode::kNotFound);
  if (!force && Leased(node, now)) return Status(StatusCode::kHasLease);
  LockedDiskDelete(node);
  LockedRemove(shard, node);
  return Status::Ok();
}

size_t ObjectTable::DropSegment(Segment* segment) {
  size_t dropped = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    std::vector<Node*> nodes;
    for (Node* head : shard.buckets) {
      for (Node* n = head; n != nullptr; n = n->next) nodes.push_back(n);
    }
    for (Node* n : nodes) {
      // A pending put with an allocation there is revoked: it can no longer complete.
      if (PendingPut* pending = PendingOf(shard, n)) {
        const auto& allocations = pending->value->allocations_;
        bool uses = std::any_of(allocations.begin(), allocations.end(),
                                [&](const auto& a) { return a.segment == segment; });
        if (uses) {
          shard.pending.erase({pending->deadline_ms, n});
          ++shard.revoked;
          bool visible = n->visible();
          LockedEndPending(shard, n);
          if (!visible) continue;  // deleted with its put
        }
      }
      // Inline values live in the home segment, which is never unmounted.
      if (!n->visible() || n->is_inline() || n->replica_count == 0) continue;
      // Keep the replicas on other segments, in order.
      NodeExt& e = *ExtOf(shard, n);
      std::vector<Replica> kept;
      for (const Replica& r : e.replicas) {
        if (r.segment == segment) {
          segment->replicas.fetch_sub(1, std::memory_order_relaxed);
          ReleaseValue(r.segment, r.offset, n->size);
        } else {
          kept.push_back(r);
        }
      }
      if (kept.size() == e.replicas.size()) continue;
      e.replicas = std::move(kept);
      n->replica_count = static_cast<uint8_t>(e.replicas.size());
      if (n->replica_count > 0) continue;
      shard.value_bytes -= n->size;
      if (n->flags & kOnDisk) {
        // Still on disk: the object stays, its value is read from there next time.
        LockedTrimExt(shard, n);
        continue;
      }
      // The replicas were released above; the node goes with no replica left to release.
      ++dropped;
      LockedRemove(shard, n);
    }
  }
  return dropped;
}

}  // namespace crescent::storage
