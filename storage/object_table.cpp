#include "storage/object_table.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <random>

#include "storage/value_memory.h"

namespace crescent::storage {

namespace {

constexpr size_t kMinBuckets = 4;

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFull) | ((v & 0x00FF00FF00FF00FFull) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFull) | ((v & 0x0000FFFF0000FFFFull) << 16);
  return (v >> 32) | (v << 32);
}

// A std::set node of the expiry index, approximately (for memory accounting).
constexpr size_t kExpiryEntryBytes = 48;

}  // namespace

ObjectTable::~ObjectTable() { Clear(); }

uint64_t ObjectTable::Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

ObjectTable::Node* ObjectTable::LockedFind(Shard& shard, std::string_view key, uint64_t hash,
                                           int64_t now) {
  if (shard.buckets.empty()) return nullptr;
  for (Node* n = shard.buckets[hash & (shard.buckets.size() - 1)]; n != nullptr; n = n->next) {
    if (n->hash == hash && n->key() == key) {
      if (n->expire_at_ms != kNoExpiry && n->expire_at_ms <= now) {
        LockedDelete(shard, n);
        ++shard.expired;
        return nullptr;
      }
      return n;
    }
  }
  return nullptr;
}

ObjectTable::Node* ObjectTable::LockedInsert(Shard& shard, std::string_view key, uint64_t hash) {
  size_t bytes = sizeof(Node) + key.size();
  Node* n = static_cast<Node*>(::operator new(bytes));
  n->hash = hash;
  n->offset = 0;
  n->size = 0;
  n->key_len = static_cast<uint32_t>(key.size());
  n->expire_at_ms = kNoExpiry;
  n->version = next_version_.fetch_add(1, std::memory_order_relaxed);
  std::memcpy(n->key_data(), key.data(), key.size());
  ++shard.count;
  shard.node_bytes += bytes;
  LockedMaybeResize(shard);
  Node*& head = shard.buckets[hash & (shard.buckets.size() - 1)];
  n->next = head;
  head = n;
  return n;
}

void ObjectTable::LockedUnlink(Shard& shard, Node* node) {
  Node** link = &shard.buckets[node->hash & (shard.buckets.size() - 1)];
  while (*link != node) link = &(*link)->next;
  *link = node->next;
  --shard.count;
  shard.node_bytes -= sizeof(Node) + node->key_len;
  if (node->expire_at_ms != kNoExpiry) shard.expiries.erase({node->expire_at_ms, node});
}

void ObjectTable::LockedDelete(Shard& shard, Node* node) {
  LockedUnlink(shard, node);
  shard.value_bytes -= node->size;
  ReleaseValue(pool_, node->offset, node->size);
  ::operator delete(node);
  LockedMaybeResize(shard);
}

void ObjectTable::LockedSetExpiry(Shard& shard, Node* node, int64_t expire_at_ms) {
  if (node->expire_at_ms == expire_at_ms) return;
  if (node->expire_at_ms != kNoExpiry) shard.expiries.erase({node->expire_at_ms, node});
  node->expire_at_ms = expire_at_ms;
  if (expire_at_ms != kNoExpiry) shard.expiries.insert({expire_at_ms, node});
}

void ObjectTable::LockedMaybeResize(Shard& shard) {
  size_t n = shard.buckets.size();
  if (n == 0) {
    LockedRehash(shard, kMinBuckets);
  } else if (shard.count > n) {
    LockedRehash(shard, n * 2);
  } else if (n > kMinBuckets && shard.count * 8 < n) {
    LockedRehash(shard, std::max(kMinBuckets, std::bit_ceil(shard.count * 2)));
  }
}

void ObjectTable::LockedRehash(Shard& shard, size_t bucket_count) {
  std::vector<Node*> buckets(bucket_count, nullptr);
  for (Node* head : shard.buckets) {
    while (head != nullptr) {
      Node* next = head->next;
      Node*& slot = buckets[head->hash & (bucket_count - 1)];
      head->next = slot;
      slot = head;
      head = next;
    }
  }
  shard.buckets.swap(buckets);
}

void ObjectTable::LockedAssign(Shard& shard, Node* node, uint64_t offset, uint32_t size) {
  uint64_t old_offset = node->offset;
  uint32_t old_size = node->size;
  shard.value_bytes += size;
  shard.value_bytes -= old_size;
  node->offset = offset;
  node->size = size;
  node->version = next_version_.fetch_add(1, std::memory_order_relaxed);
  ReleaseValue(pool_, old_offset, old_size);
}

ValueView ObjectTable::MakeView(Node* node) const {
  ValueView view;
  view.bytes_ = std::string_view(node->size == 0 ? "" : ValueBytes(pool_, node->offset, node->size),
                                 node->size);
  view.pool_ = pool_;
  view.offset_ = node->offset;
  view.pinnable_ = IsLargeValue(node->size);
  return view;
}

bool ObjectTable::Get(std::string_view key, FunctionRef<void(const ValueView&)> visit) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr) {
    ++shard.misses;
    return false;
  }
  ++shard.hits;
  visit(MakeView(node));
  return true;
}

Status ObjectTable::Update(std::string_view key,
                           FunctionRef<UpdateDecision(const CurrentValue&)> decide) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  CurrentValue current;
  if (node != nullptr) {
    current.exists = true;
    current.value = MakeView(node).bytes();
    current.expire_at_ms = node->expire_at_ms;
  }
  UpdateDecision d = decide(current);

  using V = UpdateDecision::Value;
  using T = UpdateDecision::Ttl;
  switch (d.value) {
    case V::kKeep:
      break;
    case V::kDelete:
      if (node != nullptr) LockedDelete(shard, node);
      return Status::Ok();
    case V::kWrite: {
      uint64_t offset = 0;
      size_t size = d.new_value.size();
      if (size > UINT32_MAX) return Status(StatusCode::kTooLarge);
      if (size > 0) {
        auto allocated = pool_->Allocate(ValueAllocationBytes(size));
        if (!allocated) return Status(StatusCode::kOutOfMemory);
        offset = *allocated;
        if (IsLargeValue(size)) LargeValueRefs(pool_, offset)->store(1, std::memory_order_relaxed);
        std::memcpy(ValueBytes(pool_, offset, size), d.new_value.data(), size);
      }
      // The new bytes are in place before the old ones are released: new_value may
      // point into the old value.
      bool inserted = node == nullptr;
      if (inserted) node = LockedInsert(shard, key, hash);
      LockedAssign(shard, node, offset, static_cast<uint32_t>(size));
      if (!inserted && d.ttl == T::kKeep) break;
      if (inserted && d.ttl == T::kKeep) d.ttl = T::kClear;
      break;
    }
    case V::kWritePrepared: {
      PreparedValue& p = *d.prepared;
      if (node == nullptr) node = LockedInsert(shard, key, hash);
      LockedAssign(shard, node, p.offset_, p.size_);
      p.valid_ = false;
      break;
    }
  }
  if (node == nullptr) return Status::Ok();
  if (d.ttl == T::kClear) {
    LockedSetExpiry(shard, node, kNoExpiry);
  } else if (d.ttl == T::kSet) {
    if (d.expire_at_ms <= now) {
      LockedDelete(shard, node);
    } else {
      LockedSetExpiry(shard, node, d.expire_at_ms);
    }
  }
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
  for (size_t i = 0; i < keys.size(); ++i) {
    Shard& shard = ShardFor(hashes[i]);
    Node* node = LockedFind(shard, keys[i], hashes[i], now);
    if (node == nullptr) node = LockedInsert(shard, keys[i], hashes[i]);
    LockedAssign(shard, node, values[i].offset_, values[i].size_);
    values[i].valid_ = false;
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
  if (to != nullptr) LockedDelete(dst_shard, to);
  // The key lives inline in the node, so the value moves to a new node.
  int64_t expire_at = from->expire_at_ms;
  uint64_t offset = from->offset;
  uint32_t size = from->size;
  LockedUnlink(src_shard, from);
  src_shard.value_bytes -= size;
  ::operator delete(from);
  LockedMaybeResize(src_shard);
  Node* moved = LockedInsert(dst_shard, dst, hashes[1]);
  LockedAssign(dst_shard, moved, offset, size);
  LockedSetExpiry(dst_shard, moved, expire_at);
  return Store::RenameResult::kRenamed;
}

bool ObjectTable::Exists(std::string_view key) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  return LockedFind(shard, key, hash, clock_->NowMs()) != nullptr;
}

bool ObjectTable::Remove(std::string_view key) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr) return false;
  LockedDelete(shard, node);
  return true;
}

std::optional<int64_t> ObjectTable::GetExpiry(std::string_view key) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr) return std::nullopt;
  return node->expire_at_ms;
}

std::optional<size_t> ObjectTable::MemoryUsage(std::string_view key) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  Node* node = LockedFind(shard, key, hash, clock_->NowMs());
  if (node == nullptr) return std::nullopt;
  size_t bytes = sizeof(Node) + node->key_len + sizeof(Node*);
  if (node->size > 0) bytes += pool_->AllocationSize(ValueAllocationBytes(node->size));
  if (node->expire_at_ms != kNoExpiry) bytes += kExpiryEntryBytes;
  return bytes;
}

uint64_t ObjectTable::Scan(uint64_t cursor, size_t count,
                           FunctionRef<void(std::string_view)> visit) {
  // cursor = bucket_cursor * kShards + shard; bucket_cursor follows Redis's
  // reverse-binary increment over the shard's mask.
  size_t shard_index = cursor % kShards;
  uint64_t v = cursor / kShards;
  size_t visited = 0;
  while (shard_index < kShards) {
    Shard& shard = shards_[shard_index];
    {
      std::lock_guard lock(shard.mu);
      int64_t now = clock_->NowMs();
      if (!shard.buckets.empty()) {
        uint64_t mask = shard.buckets.size() - 1;
        do {
          for (Node* n = shard.buckets[v & mask]; n != nullptr; n = n->next) {
            if (n->expire_at_ms == kNoExpiry || n->expire_at_ms > now) visit(n->key());
          }
          v |= ~mask;
          v = ReverseBits(v);
          ++v;
          v = ReverseBits(v);
          ++visited;
        } while (v != 0 && visited < count);
      } else {
        v = 0;
      }
    }
    if (v != 0) return v * kShards + shard_index;
    ++shard_index;
    if (visited >= count) break;
  }
  return shard_index >= kShards ? 0 : shard_index;  // v == 0: next shard from its start
}

void ObjectTable::ForEachKey(FunctionRef<void(std::string_view)> visit) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    int64_t now = clock_->NowMs();
    for (Node* head : shard.buckets) {
      for (Node* n = head; n != nullptr; n = n->next) {
        if (n->expire_at_ms == kNoExpiry || n->expire_at_ms > now) visit(n->key());
      }
    }
  }
}

std::optional<std::string> ObjectTable::RandomKey() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Pick shards at random until one has keys, then a random non-empty bucket; expired
  // keys met on the way are reclaimed. Bounded so an all-expired table cannot spin.
  for (int attempt = 0; attempt < 64 && Size() > 0; ++attempt) {
    size_t start = rng() % kShards;
    for (size_t i = 0; i < kShards; ++i) {
      Shard& shard = shards_[(start + i) % kShards];
      std::lock_guard lock(shard.mu);
      if (shard.count == 0) continue;
      int64_t now = clock_->NowMs();
      size_t mask = shard.buckets.size() - 1;
      for (;;) {
        Node* head = shard.buckets[rng() & mask];
        if (head == nullptr) continue;
        size_t len = 0;
        for (Node* n = head; n != nullptr; n = n->next) ++len;
        Node* pick = head;
        for (size_t k = rng() % len; k > 0; --k) pick = pick->next;
        if (pick->expire_at_ms != kNoExpiry && pick->expire_at_ms <= now) {
          LockedDelete(shard, pick);
          ++shard.expired;
          break;  // try again from another shard
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
    total += shard.count;
  }
  return total;
}

void ObjectTable::Clear() {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (Node* head : shard.buckets) {
      while (head != nullptr) {
        Node* next = head->next;
        ReleaseValue(pool_, head->offset, head->size);
        ::operator delete(head);
        head = next;
      }
    }
    shard.buckets.clear();
    shard.buckets.shrink_to_fit();
    shard.expiries.clear();
    shard.count = 0;
    shard.value_bytes = 0;
    shard.node_bytes = 0;
  }
}

size_t ObjectTable::ExpireCycle(size_t budget) {
  size_t removed = 0;
  size_t start = expire_cursor_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < kShards && removed < budget; ++i) {
    Shard& shard = shards_[(start + i) % kShards];
    std::lock_guard lock(shard.mu);
    int64_t now = clock_->NowMs();
    while (removed < budget && !shard.expiries.empty() &&
           shard.expiries.begin()->first <= now) {
      LockedDelete(shard, shard.expiries.begin()->second);
      ++shard.expired;
      ++removed;
    }
  }
  return removed;
}

void ObjectTable::ResetStats() {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    shard.hits = 0;
    shard.misses = 0;
    shard.expired = 0;
  }
}

void ObjectTable::AddStats(StoreStats* stats) const {
  stats->metadata_bytes += sizeof(ObjectTable);
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    stats->keys += shard.count;
    stats->keys_with_expiry += shard.expiries.size();
    stats->expired_keys += shard.expired;
    stats->keyspace_hits += shard.hits;
    stats->keyspace_misses += shard.misses;
    stats->value_bytes += shard.value_bytes;
    stats->metadata_bytes += shard.node_bytes + shard.buckets.capacity() * sizeof(Node*) +
                             shard.expiries.size() * kExpiryEntryBytes;
  }
}

}  // namespace crescent::storage
