// ObjectTable's node mechanics: allocation (heap or inline in the home pool), the
// extension slots, buckets and rehashing, linking and replacing nodes, dropping and
// assigning values, and what a read records (LRU clock, LFU counter, lease).
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <random>

#include "storage/object_table.h"
#include "storage/value_memory.h"

namespace crescent::storage {

namespace {

constexpr size_t kMinBuckets = 4;
// Leases are kept on the 32-bit table clock, compared with wrap-around arithmetic.
constexpr int64_t kMaxLeaseMs = int64_t{1} << 30;
constexpr uint32_t kLfuInitialCounter = 5;  // Redis's LFU_INIT_VAL

}  // namespace

uint64_t ObjectTable::Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

uint32_t ObjectTable::NextVersion() {
  for (;;) {
    auto v = static_cast<uint32_t>(next_version_.fetch_add(1, std::memory_order_relaxed));
    if (v != 0) return v;
  }
}

ObjectTable::NodeExt& ObjectTable::LockedExt(Shard& shard, Node* node) {
  if (node->ext != 0) return shard.exts[node->ext - 1];
  if (!shard.free_exts.empty()) {
    node->ext = shard.free_exts.back();
    shard.free_exts.pop_back();
  } else {
    shard.exts.emplace_back();
    node->ext = static_cast<uint32_t>(shard.exts.size());
  }
  return shard.exts[node->ext - 1];
}

void ObjectTable::LockedTrimExt(Shard& shard, Node* node) {
  NodeExt* e = ExtOf(shard, node);
  if (e == nullptr || !e->empty()) return;
  // Empty means nothing but the replicas' buffer is left, and that stays: the ext is
  // reused LIFO, mostly by the next large value, which then needs no allocation.
  *e = NodeExt{.replicas = std::move(e->replicas)};
  shard.free_exts.push_back(node->ext);
  node->ext = 0;
}

void ObjectTable::LockedSetSoftPin(Shard& shard, Node* node, int64_t until_ms) {
  if (until_ms == 0 && node->ext == 0) return;
  LockedExt(shard, node).soft_pin_until_ms = until_ms;
  LockedTrimExt(shard, node);
}

namespace {

// Zeroes a node's header and writes its key (with the length before it when long).
template <typename Node>
void InitNode(Node* n, std::string_view key) {
  std::memset(static_cast<void*>(n), 0, sizeof(Node));
  if (key.size() >= Node::kLongKey) {
    n->short_key_len = Node::kLongKey;
    auto len = static_cast<uint32_t>(key.size());
    std::memcpy(n + 1, &len, sizeof(len));
  } else {
    n->short_key_len = static_cast<uint16_t>(key.size());
  }
  std::memcpy(n->key_data(), key.data(), key.size());
}

}  // namespace

ObjectTable::Node* ObjectTable::NewHeapNode(std::string_view key) {
  Node* n = static_cast<Node*>(::operator new(NodeBytes(key.size(), 0)));
  InitNode(n, key);
  return n;
}

ObjectTable::Node* ObjectTable::NewInlineNode(std::string_view key, std::string_view value) {
  if (home_ == nullptr || !home_->mounted()) return nullptr;
  auto offset = home_->pool().Allocate(NodeBytes(key.size(), value.size()));
  if (!offset) return nullptr;
  Node* n = reinterpret_cast<Node*>(home_->pool().At(*offset));
  InitNode(n, key);
  std::memcpy(n->inline_value(), value.data(), value.size());
  n->size = static_cast<uint32_t>(value.size());
  n->flags = kInline;
  home_->replicas.fetch_add(1, std::memory_order_relaxed);
  return n;
}

size_t ObjectTable::NodeAllocationBytes(Node* node) const {
  size_t bytes = NodeBytes(node->key_len(), node->is_inline() ? node->size : 0);
  return node->is_inline() ? home_->pool().AllocationSize(bytes) : bytes;
}

void ObjectTable::FreeNode(Node* node) {
  if (node->is_inline()) {
    home_->replicas.fetch_sub(1, std::memory_order_relaxed);
    home_->pool().Free(reinterpret_cast<char*>(node) - home_->pool().base(),
                       NodeBytes(node->key_len(), node->size));
  } else {
    ::operator delete(node);
  }
}

bool ObjectTable::Overwritable(const Node* node, size_t size) const {
  if (node == nullptr || !node->is_inline() || size == 0 || size > kInlineValueMax) return false;
  size_t key_len = node->key_len();
  return home_->pool().SameSizeClass(NodeBytes(key_len, node->size), NodeBytes(key_len, size));
}

ObjectTable::Node* ObjectTable::NewNodeFor(std::string_view key, PreparedValue* value,
                                           Node* existing, bool* ok, const char** overwrite) {
  *ok = true;
  *overwrite = nullptr;
  if (!value->is_inline()) return nullptr;
  if (Overwritable(existing, value->size())) {
    *overwrite = value->contents().data();
    return existing;
  }
  Node* fresh = NewInlineNode(key, value->contents());
  *ok = fresh != nullptr;
  return fresh;
}

ObjectTable::Node* ObjectTable::LockedFindAny(Shard& shard, std::string_view key, uint64_t hash,
                                              int64_t now) {
  if (shard.buckets.empty()) return nullptr;
  for (Node* n = shard.buckets[hash & (shard.buckets.size() - 1)]; n != nullptr; n = n->next) {
    if (n->key_len() == key.size() && std::memcmp(n->key_data(), key.data(), key.size()) == 0) {
      if (n->visible() && Expired(shard, n, now)) {
        ++shard.expired;
        if (PendingOf(shard, n) == nullptr) {
          LockedDelete(shard, n);
          return nullptr;
        }
        LockedDropValue(shard, n);  // the pending put keeps the node
      }
      return n;
    }
  }
  return nullptr;
}

ObjectTable::Node* ObjectTable::LockedFind(Shard& shard, std::string_view key, uint64_t hash,
                                           int64_t now) {
  Node* n = LockedFindAny(shard, key, hash, now);
  return n != nullptr && n->visible() ? n : nullptr;
}

ObjectTable::Node* ObjectTable::LockedInsert(Shard& shard, std::string_view key, uint64_t hash,
                                             Node* fresh) {
  Node* n = fresh != nullptr ? fresh : NewHeapNode(key);
  ++shard.count;
  shard.node_bytes += HeapBytes(n);
  LockedMaybeResize(shard);
  Node*& head = shard.buckets[hash & (shard.buckets.size() - 1)];
  n->next = head;
  head = n;
  return n;
}

void ObjectTable::LockedUnlink(Shard& shard, Node* node) {
  Node** link = &shard.buckets[Hash(node->key()) & (shard.buckets.size() - 1)];
  while (*link != node) link = &(*link)->next;
  *link = node->next;
  --shard.count;
  shard.node_bytes -= HeapBytes(node);
  int64_t expiry = ExpireOf(shard, node);
  if (expiry != kNoExpiry) shard.expiries.erase({expiry, node});
}

void ObjectTable::LockedReplace(Shard& shard, Node* old, Node* fresh) {
  Node** link = &shard.buckets[Hash(old->key()) & (shard.buckets.size() - 1)];
  while (*link != old) link = &(*link)->next;
  *link = fresh;
  fresh->next = old->next;
  fresh->access = old->access;
  fresh->lease_until = old->lease_until;
  fresh->version = old->version;
  fresh->ext = old->ext;
  old->ext = 0;
  if (NodeExt* e = ExtOf(shard, fresh)) {
    if (e->expire_at_ms != kNoExpiry) {
      shard.expiries.erase({e->expire_at_ms, old});
      shard.expiries.insert({e->expire_at_ms, fresh});
    }
    if (e->pending != nullptr) {
      shard.pending.erase({e->pending->deadline_ms, old});
      shard.pending.insert({e->pending->deadline_ms, fresh});
    }
  }
  shard.node_bytes = shard.node_bytes + HeapBytes(fresh) - HeapBytes(old);
  FreeNode(old);
}

void ObjectTable::LockedReleaseReplicas(Shard& shard, Node* node) {
  if (node->is_inline()) return;
  NodeExt* e = ExtOf(shard, node);
  if (node->replica_count > 0) shard.value_bytes -= node->size;
  if (e != nullptr) {
    for (const Replica& r : e->replicas) {
      r.segment->replicas.fetch_sub(1, std::memory_order_relaxed);
      ReleaseValue(r.segment, r.offset, node->size);
    }
    e->replicas.clear();  // its buffer stays for the next value of this key or ext
    e->checksum = 0;
  }
  node->replica_count = 0;
}

ObjectTable::Node* ObjectTable::LockedReleaseMemory(Shard& shard, Node* node) {
  if (!node->is_inline()) {
    LockedReleaseReplicas(shard, node);
    LockedTrimExt(shard, node);
    return node;
  }
  Node* heap = NewHeapNode(node->key());
  heap->size = node->size;
  heap->flags = static_cast<uint8_t>(node->flags & ~kInline);
  heap->replica_count = 0;
  if (node->visible()) shard.value_bytes -= node->size;
  LockedReplace(shard, node, heap);
  return heap;
}

void ObjectTable::LockedDropValue(Shard& shard, Node* node) {
  if (!node->visible()) return;
  if (node->is_inline()) {
    shard.value_bytes -= node->size;  // the bytes stay in the node until it goes
    node->replica_count = 0;
  } else {
    LockedReleaseReplicas(shard, node);
    node->size = 0;
  }
  node->flags &= static_cast<uint8_t>(~(kHasValue | kHardPin | kOnDisk));
  node->lease_until = 0;
  --shard.visible;
  LockedSetSoftPin(shard, node, 0);
  LockedSetExpiry(shard, node, kNoExpiry);
}

void ObjectTable::LockedDelete(Shard& shard, Node* node) {
  LockedDropValue(shard, node);
  if (PendingPut* pending = PendingOf(shard, node)) {
    shard.pending.erase({pending->deadline_ms, node});
    delete pending;  // releases its allocations
    ExtOf(shard, node)->pending = nullptr;
  }
  LockedUnlink(shard, node);
  LockedTrimExt(shard, node);
  FreeNode(node);
  LockedMaybeResize(shard);
}

void ObjectTable::LockedSetExpiry(Shard& shard, Node* node, int64_t expire_at_ms) {
  int64_t current = ExpireOf(shard, node);
  if (current == expire_at_ms) return;
  if (current != kNoExpiry) shard.expiries.erase({current, node});
  LockedExt(shard, node).expire_at_ms = expire_at_ms;
  if (expire_at_ms != kNoExpiry) shard.expiries.insert({expire_at_ms, node});
  LockedTrimExt(shard, node);
}

void ObjectTable::LockedMaybeResize(Shard& shard) {
  size_t n = shard.buckets.size();
  if (n == 0) {
    LockedRehash(shard, kMinBuckets);
  } else if (shard.count > n) {
    LockedRehash(shard, n * 2);
  } else if (n > kMinBuckets && shard.count * 8 < n && shard.walkers == 0) {
    LockedRehash(shard, std::max(kMinBuckets, std::bit_ceil(shard.count * 2)));
  }
}

void ObjectTable::LockedRehash(Shard& shard, size_t bucket_count) {
  // Nodes keep no hash (memory per key): each key is hashed again.
  std::vector<Node*> buckets(bucket_count, nullptr);
  for (Node* head : shard.buckets) {
    while (head != nullptr) {
      Node* next = head->next;
      Node*& slot = buckets[Hash(head->key()) & (bucket_count - 1)];
      head->next = slot;
      slot = head;
      head = next;
    }
  }
  shard.buckets.swap(buckets);
}

ObjectTable::Node* ObjectTable::LockedAssign(Shard& shard, Node* node, PreparedValue* value,
                                             uint32_t version, int64_t now, Node* fresh,
                                             const char* overwrite) {
  // The new replicas are complete before the old ones go: readers see one or the other.
  // The expiry stays as it is: every caller decides on it.
  int64_t expiry = ExpireOf(shard, node);
  bool on_disk = node->flags & kOnDisk;
  LockedDropValue(shard, node);
  if (value->is_inline()) {
    if (overwrite != nullptr) {
      size_t key_len = node->key_len();
      home_->pool().Resize(reinterpret_cast<char*>(node) - home_->pool().base(),
                           NodeBytes(key_len, node->size), NodeBytes(key_len, value->size_));
      std::memmove(node->inline_value(), overwrite, value->size_);
      node->size = value->size_;
    } else if (fresh != node) {
      LockedReplace(shard, node, fresh);
    }
    node = fresh;
    node->replica_count = 1;
  } else {
    if (node->is_inline()) {
      Node* heap = NewHeapNode(node->key());
      LockedReplace(shard, node, heap);
      node = heap;
    }
    size_t n = value->allocations_.size();
    node->replica_count = static_cast<uint8_t>(n);
    if (n > 0) {
      NodeExt& e = LockedExt(shard, node);
      e.replicas.reserve(n);
      for (const auto& a : value->allocations_) {
        e.replicas.push_back(Replica{a.segment, a.offset});
        a.segment->replicas.fetch_add(1, std::memory_order_relaxed);
      }
      e.checksum = 0;  // computed when first asked for
    }
    value->allocations_.clear();
    node->size = value->size_;
  }
  value->keep_.clear();
  value->inline_bytes_.clear();
  value->borrowed_ = nullptr;
  LockedSetExpiry(shard, node, expiry);
  node->flags |= kHasValue;
  if (on_disk) node->flags |= kOnDisk;  // LockedPersist, when it ran, said so
  if (value->hard_pin_) node->flags |= kHardPin;
  LockedSetSoftPin(shard, node, value->soft_pin_until_ms_);
  node->version = version != 0 ? version : NextVersion();
  node->access = NewAccess(now);
  if (node->replica_count > 0) shard.value_bytes += node->size;
  ++shard.visible;
  return node;
}

uint32_t ObjectTable::NewAccess(int64_t now) const {
  if (policy_.load(std::memory_order_relaxed) == EvictionParams::Policy::kLfu) {
    return (LfuMinutes(now) << 8) | kLfuInitialCounter;
  }
  return TableClock(now);
}

uint32_t ObjectTable::LfuCounter(uint32_t access, int64_t now) const {
  uint32_t counter = access & 0xFF;
  uint32_t idle = (LfuMinutes(now) - (access >> 8)) & 0xFFFFFF;
  return idle >= counter ? 0 : counter - idle;
}

std::optional<AccessInfo> ObjectTable::Access(std::string_view key) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  if (node == nullptr) return std::nullopt;
  AccessInfo info;
  info.frequency_tracked = policy_.load(std::memory_order_relaxed) == EvictionParams::Policy::kLfu;
  if (info.frequency_tracked) {
    info.frequency = LfuCounter(node->access, now);
  } else {
    info.idle_ms = static_cast<uint32_t>(TableClock(now) - node->access);
  }
  return info;
}

bool ObjectTable::SetAccess(std::string_view key, std::optional<int64_t> idle_ms,
                            std::optional<uint32_t> frequency) {
  uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  std::lock_guard lock(shard.mu);
  int64_t now = clock_->NowMs();
  Node* node = LockedFind(shard, key, hash, now);
  if (node == nullptr) return false;
  if (policy_.load(std::memory_order_relaxed) == EvictionParams::Policy::kLfu) {
    if (frequency) node->access = (LfuMinutes(now) << 8) | std::min<uint32_t>(*frequency, 255);
  } else if (idle_ms) {
    // The clock is 32-bit and wraps: an idle time of 2^31 ms or more would soon read as
    // a recent access, so it is kept at just under that (24 days).
    int64_t idle = std::clamp<int64_t>(*idle_ms, 0, INT32_MAX);
    node->access = TableClock(now) - static_cast<uint32_t>(idle);
  }
  return true;
}

void ObjectTable::LockedTouch(Shard& shard, Node* node, int64_t now, int64_t lease_ms) {
  if (policy_.load(std::memory_order_relaxed) == EvictionParams::Policy::kLfu) {
    // Redis's LFU: a logarithmic 8-bit counter (log factor 10) that loses one per idle
    // minute, with the minute of the last access in the upper bits.
    uint32_t counter = LfuCounter(node->access, now);
    thread_local std::minstd_rand rng{std::random_device{}()};
    if (counter < 255) {
      double base = counter > kLfuInitialCounter ? counter - kLfuInitialCounter : 0;
      double p = 1.0 / (base * 10.0 + 1.0);
      if (std::uniform_real_distribution<double>(0, 1)(rng) < p) ++counter;
    }
    node->access = (LfuMinutes(now) << 8) | counter;
  } else {
    node->access = TableClock(now);
  }
  if (lease_ms > 0) {
    uint32_t until = TableClock(now + std::min<int64_t>(lease_ms, kMaxLeaseMs));
    if (until == 0) until = 1;
    if (!Leased(node, now) || static_cast<int32_t>(until - node->lease_until) > 0) {
      node->lease_until = until;
    }
    ++shard.leases;
  }
}

ValueView ObjectTable::MakeView(Shard& shard, Node* node) {
  ValueView view;
  if (node->replica_count == 0) {
    view.bytes_ = std::string_view("", 0);
    return view;
  }
  if (node->is_inline()) {
    view.bytes_ = std::string_view(node->inline_value(), node->size);
    return view;
  }
  const Replica& r = ExtOf(shard, node)->replicas.front();
  view.bytes_ = std::string_view(ValueBytes(r.segment, r.offset, node->size), node->size);
  view.segment_ = r.segment;
  view.offset_ = r.offset;
  view.pinnable_ = IsLargeValue(node->size);
  return view;
}

void ObjectTable::Prefetch(std::span<const std::string_view> keys) {
  constexpr size_t kMaxKeys = 32;
  uint64_t hashes[kMaxKeys];
  const size_t n = std::min(keys.size(), kMaxKeys);
  // Two passes: every bucket first, then every node the buckets point to; the loads of
  // one pass overlap. The shard lock only guards the bucket array against a resize.
  for (size_t i = 0; i < n; ++i) {
    hashes[i] = Hash(keys[i]);
    Shard& shard = ShardFor(hashes[i]);
    std::lock_guard lock(shard.mu);
    if (!shard.buckets.empty()) {
      __builtin_prefetch(&shard.buckets[hashes[i] & (shard.buckets.size() - 1)]);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    Shard& shard = ShardFor(hashes[i]);
    std::lock_guard lock(shard.mu);
    if (shard.buckets.empty()) continue;
    if (const Node* head = shard.buckets[hashes[i] & (shard.buckets.size() - 1)]) {
      __builtin_prefetch(head);
    }
  }
}

}  // namespace crescent::storage
