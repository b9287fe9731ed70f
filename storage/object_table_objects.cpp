// ObjectTable: the Mooncake Store operations (commit of PUT / UPSERT, the put
// lifecycle, QUERY, REMOVE with leases, unmounting a segment).
#include <algorithm>

#include "storage/object_table.h"
#include "storage/value_memory.h"

namespace crescent::storage {

bool ObjectTable::KeepMountedReplicas(PreparedValue* value) {
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
  if (node != nullptr && !options.overwrite && (node->visible() || node->pending != nullptr)) {
    return Status(StatusCode::kAlreadyExists);
  }
  if (!KeepMountedReplicas(value)) {
    return Status(StatusCode::kNoSegment, "every segment of the put was unmounted");
  }
  bool inserted = node == nullptr;
  if (node == nullptr) node = LockedInsert(shard, key, hash);
  uint64_t version = next_version_.fetch_add(1, std::memory_order_relaxed);
  Status persisted = LockedPersist(
      node, key, std::string_view(value->data(), value->size()),
      DiskRecordMeta{value->soft_pin_until_ms_ > now, value->hard_pin_, options.expire_at_ms, version});
  if (!persisted.ok()) {
    if (inserted) LockedDelete(shard, node);
    return persisted;
  }
  LockedAssign(shard, node, value, version);
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
  if (node != nullptr && node->pending != nullptr) {
    return Status(StatusCode::kAlreadyExists, "a put of this object is in progress");
  }
  if (node != nullptr && node->visible() && !options.overwrite) {
    return Status(StatusCode::kAlreadyExists);
  }
  if (node == nullptr) node = LockedInsert(shard, key, hash);
  auto* pending = new PendingPut{next_version_.fetch_add(1, std::memory_order_relaxed),
                                 deadline_ms, value->size_, 0, std::move(value), options};
  node->pending = pending;
  shard.pending.insert({deadline_ms, node});
  return pending->put_id;
}

Status ObjectTable::PutEnd(std::string_view key, uint64_t put_id) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFindAny(shard, key, hash, now);
  if (node == nullptr || node->pending == nullptr || node->pending->put_id != put_id) {
    return Status(StatusCode::kNotFound, "the put was revoked (timed out or superseded)");
  }
  PendingPut* pending = node->pending;
  node->pending = nullptr;
  shard.pending.erase({pending->deadline_ms, node});
  Status status = Status::Ok();
  if (!KeepMountedReplicas(pending->value.get())) {
    status = Status(StatusCode::kNoSegment, "every segment of the put was unmounted");
  }
  if (status.ok() && node->visible() && !pending->options.overwrite) {
    status = Status(StatusCode::kAlreadyExists);  // created by another writer meanwhile
  }
  if (status.ok()) {
    PreparedValue& v = *pending->value;
    uint64_t version = next_version_.fetch_add(1, std::memory_order_relaxed);
    status = LockedPersist(node, key, std::string_view(v.data(), v.size()),
                           DiskRecordMeta{v.soft_pin_until_ms_ > now, v.hard_pin_,
                                          pending->options.expire_at_ms, version});
    if (status.ok()) LockedAssign(shard, node, &v, version);
  }
  if (status.ok()) {
    int64_t expire_at = pending->options.expire_at_ms;
    if (expire_at != kNoExpiry && expire_at <= now) {
      delete pending;
      LockedDelete(shard, node);
      return Status::Ok();
    }
    LockedSetExpiry(shard, node, expire_at);
  }
  delete pending;  // releases what was not committed
  if (!node->visible()) LockedDelete(shard, node);
  return status;
}

void ObjectTable::PutRevoke(std::string_view key, uint64_t put_id) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFindAny(shard, key, hash, clock_->NowMs());
  if (node == nullptr || node->pending == nullptr || node->pending->put_id != put_id) return;
  shard.pending.erase({node->pending->deadline_ms, node});
  delete node->pending;
  node->pending = nullptr;
  ++shard.revoked;
  if (!node->visible()) LockedDelete(shard, node);
}

size_t ObjectTable::ReclaimStalePuts() {
  size_t reclaimed = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    int64_t now = clock_->NowMs();
    while (!shard.pending.empty() && shard.pending.begin()->first <= now) {
      Node* node = shard.pending.begin()->second;
      shard.pending.erase(shard.pending.begin());
      delete node->pending;
      node->pending = nullptr;
      ++shard.revoked;
      ++reclaimed;
      if (!node->visible()) LockedDelete(shard, node);
    }
  }
  return reclaimed;
}

uint64_t ObjectTable::LockedChecksum(Node* node) {
  if (node->checksum == 0) {
    std::string scratch;
    std::string_view bytes = LockedValueBytes(node, &scratch);
    node->checksum = Checksum(bytes.data(), bytes.size());
  }
  return node->checksum;
}

void ObjectTable::LockedFillInfo(Node* node, ObjectInfo* info) {
  info->size = node->size;
  info->version = node->version;
  info->checksum = LockedChecksum(node);
  info->expire_at_ms = node->expire_at_ms;
  info->lease_until_ms = node->lease_until_ms;
  info->soft_pin_until_ms = node->soft_pin_until_ms;
  info->hard_pin = node->flags & kHardPin;
  for (size_t i = 0; i < node->replica_count; ++i) {
    info->replicas.push_back({node->replica(i).segment->name(), ReplicaKind::kMemory,
                              ReplicaState::kComplete});
  }
  if (node->flags & kOnDisk) {
    info->replicas.push_back({"disk", ReplicaKind::kDisk, ReplicaState::kComplete});
  }
  if (node->pending != nullptr) {
    for (const auto& a : node->pending->value->allocations_) {
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
  LockedFillInfo(node, &info);
  return info;
}

Status ObjectTable::RemoveObject(std::string_view key, bool force) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  if (node == nullptr) return Status(StatusCode::kNotFound);
  if (!force && node->lease_until_ms > now) return Status(StatusCode::kHasLease);
  LockedDiskDelete(node);
  LockedRemove(shard, node);
  return Status::Ok();
}

size_t ObjectTable::RemoveIf(FunctionRef<bool(std::string_view)> match, bool force) {
  size_t removed = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    int64_t now = clock_->NowMs();
    std::vector<Node*> victims;
    for (Node* head : shard.buckets) {
      for (Node* n = head; n != nullptr; n = n->next) {
        if (!n->visible() || Expired(n, now)) continue;
        if (!force && n->lease_until_ms > now) continue;
        if (match(n->key())) victims.push_back(n);
      }
    }
    for (Node* n : victims) {
      LockedDiskDelete(n);
      LockedRemove(shard, n);
    }
    removed += victims.size();
  }
  return removed;
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
      if (n->pending != nullptr) {
        const auto& allocations = n->pending->value->allocations_;
        bool uses = std::any_of(allocations.begin(), allocations.end(),
                                [&](const auto& a) { return a.segment == segment; });
        if (uses) {
          shard.pending.erase({n->pending->deadline_ms, n});
          delete n->pending;
          n->pending = nullptr;
          ++shard.revoked;
          if (!n->visible()) {
            LockedDelete(shard, n);
            continue;
          }
        }
      }
      if (!n->visible()) continue;
      // Keep the replicas on other segments, in order.
      std::vector<Replica> kept;
      for (size_t i = 0; i < n->replica_count; ++i) {
        Replica& r = n->replica(i);
        if (r.segment == segment) {
          segment->replicas.fetch_sub(1, std::memory_order_relaxed);
          ReleaseValue(r.segment, r.offset, n->size);
        } else {
          kept.push_back(r);
        }
      }
      if (kept.size() == n->replica_count) continue;
      if (kept.empty() && n->size > 0 && (n->flags & kOnDisk)) {
        // Still on disk: the object stays, its value is read from there next time.
        delete[] n->more;
        n->more = nullptr;
        n->replica_count = 0;
        shard.value_bytes -= n->size;
        continue;
      }
      if (kept.empty() && n->size > 0) {
        // The replicas were released above; the node goes with no replica left to release.
        n->replica_count = 0;
        shard.value_bytes -= n->size;
        ++dropped;
        LockedRemove(shard, n);
        continue;
      }
      delete[] n->more;
      n->more = nullptr;
      n->replica_count = static_cast<uint8_t>(kept.size());
      if (kept.size() > 1) n->more = new Replica[kept.size() - 1];
      for (size_t i = 0; i < kept.size(); ++i) n->replica(i) = kept[i];
    }
  }
  return dropped;
}

}  // namespace crescent::storage
