// ObjectTable's keyspace walks: SCAN, ForEachKey (KEYS, QUERYREGEX, REMOVEREGEX match
// what it visits), the removals that follow a walk, and REMOVEALL.
//
// A walk never runs its caller's work under a shard lock: it copies a slice (a few
// buckets, at most Store::kWalkSliceKeys keys or about Store::kWalkSliceBytes) under the
// lock, releases it, then hands the copies over. The evictor, active expiry and the
// other I/O threads so wait for one slice's memcpy at most, never for a client's
// regular expression. Between slices the shard may change: buckets are visited in
// Redis's reverse-binary order, which misses no key present throughout however the
// table grows, and a shard with walkers does not shrink (Shard::walkers), so a key is
// not visited twice either.
#include <algorithm>

#include "storage/object_table.h"

namespace crescent::storage {

namespace {

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFull) | ((v & 0x00FF00FF00FF00FFull) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFull) | ((v & 0x0000FFFF0000FFFFull) << 16);
  return (v >> 32) | (v << 32);
}

// Redis's reverse-binary increment of a bucket cursor over a table of mask + 1 buckets.
uint64_t NextBucket(uint64_t v, uint64_t mask) {
  v |= ~mask;
  v = ReverseBits(v);
  ++v;
  return ReverseBits(v);
}

}  // namespace

class ObjectTable::WalkGuard {
 public:
  explicit WalkGuard(Shard& shard) : shard_(shard) {
    std::lock_guard lock(shard_.mu);
    ++shard_.walkers;
  }
  // A shrink deferred meanwhile happens at the shard's next insert or delete.
  ~WalkGuard() {
    std::lock_guard lock(shard_.mu);
    --shard_.walkers;
  }
  WalkGuard(const WalkGuard&) = delete;
  WalkGuard& operator=(const WalkGuard&) = delete;

 private:
  Shard& shard_;
};

void ObjectTable::LockedCopySlice(Shard& shard, uint64_t* v, size_t max_buckets,
                                  size_t* visited, KeySlice* out) {
  // A shard without keys has nothing to return: skipping it keeps a walk of an empty or
  // sparse keyspace short without weakening the guarantee.
  if (shard.visible == 0 || shard.buckets.empty()) {
    *v = 0;
    return;
  }
  int64_t now = clock_->NowMs();
  uint64_t mask = shard.buckets.size() - 1;
  do {
    for (Node* n = shard.buckets[*v & mask]; n != nullptr; n = n->next) {
      if (!n->visible() || Expired(shard, n, now)) continue;
      std::string_view key = n->key();
      out->entries.push_back({out->keys.size(), key.size(), n->version});
      out->keys.append(key);
    }
    *v = NextBucket(*v, mask);
    ++*visited;
  } while (*v != 0 && *visited < max_buckets && out->entries.size() < Store::kWalkSliceKeys &&
           out->keys.size() < Store::kWalkSliceBytes);
}

uint64_t ObjectTable::Scan(uint64_t cursor, size_t count,
                           FunctionRef<void(std::string_view)> visit) {
  // cursor = bucket_cursor * kShards + shard; bucket_cursor follows Redis's
  // reverse-binary increment over the shard's mask.
  size_t shard_index = cursor % kShards;
  uint64_t v = cursor / kShards;
  size_t visited = 0;
  KeySlice slice;
  while (shard_index < kShards) {
    Shard& shard = shards_[shard_index];
    {
      WalkGuard walk(shard);
      do {
        slice.clear();
        {
          std::lock_guard lock(shard.mu);
          LockedCopySlice(shard, &v, count, &visited, &slice);
        }
        for (const auto& e : slice.entries) visit(slice.key(e));
      } while (v != 0 && visited < count);
    }
    if (v != 0) return v * kShards + shard_index;
    ++shard_index;
    if (visited >= count) break;
  }
  return shard_index >= kShards ? 0 : shard_index;  // v == 0: next shard from its start
}

void ObjectTable::ForEachKey(FunctionRef<bool(std::string_view, uint64_t)> visit) {
  KeySlice slice;
  for (Shard& shard : shards_) {
    WalkGuard walk(shard);
    uint64_t v = 0;
    size_t visited = 0;
    do {
      slice.clear();
      {
        std::lock_guard lock(shard.mu);
        LockedCopySlice(shard, &v, SIZE_MAX, &visited, &slice);
      }
      for (const auto& e : slice.entries) {
        if (!visit(slice.key(e), e.version)) return;
      }
    } while (v != 0);
  }
}

bool ObjectTable::RemoveIfVersion(std::string_view key, uint64_t version, bool force) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  // Another value than the one matched (re-written, or deleted and written again since):
  // the walk's decision was about the old one.
  if (node == nullptr || node->version != version) return false;
  if (!force && Leased(node, now)) return false;
  LockedDiskDelete(node);
  LockedRemove(shard, node);
  return true;
}

size_t ObjectTable::RemoveAll(bool force) {
  size_t removed = 0;
  std::vector<Node*> victims;
  for (Shard& shard : shards_) {
    WalkGuard walk(shard);  // the deletes below never shrink the table under the cursor
    uint64_t v = 0;
    do {
      std::lock_guard lock(shard.mu);
      if (shard.visible == 0 || shard.buckets.empty()) break;
      int64_t now = clock_->NowMs();
      uint64_t mask = shard.buckets.size() - 1;
      victims.clear();
      do {
        for (Node* n = shard.buckets[v & mask]; n != nullptr; n = n->next) {
          if (!n->visible() || Expired(shard, n, now)) continue;
          if (!force && Leased(n, now)) continue;
          victims.push_back(n);
        }
        v = NextBucket(v, mask);
      } while (v != 0 && victims.size() < Store::kWalkSliceKeys);
      for (Node* n : victims) {
        LockedDiskDelete(n);
        LockedRemove(shard, n);
      }
      removed += victims.size();
    } while (v != 0);
  }
  return removed;
}

}  // namespace crescent::storage
