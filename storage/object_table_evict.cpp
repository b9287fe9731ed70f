// ObjectTable: eviction.
//
// Candidates are found by sampling, as Redis does for its maxmemory policies: a few
// random buckets in each of several shards (taken round-robin), then the best eighth
// of the sample by the policy's score is evicted, each re-checked under its shard lock.
// Sampling needs no per-object list pointers (memory per key matters here) and holds
// one shard lock at a time.
//
// Order of eviction, in tiers: (0) objects neither leased nor soft-pinned, (1) leased
// ones, then (2) soft-pinned ones if allowed; hard-pinned objects never. A lease is a
// hint that a client is about to read the object; the bytes of a reply already in
// flight are protected by their pin, so breaking a lease under memory pressure loses no
// data that is being sent. That is what keeps a pool whose every object is read again
// and again able to take new puts.
#include <algorithm>
#include <random>

#include "storage/object_table.h"
#include "storage/value_memory.h"

namespace crescent::storage {

namespace {
constexpr int kSampleTries = 8;        // random buckets looked at per shard
constexpr int kSamplesPerShard = 4;    // candidates taken per shard
constexpr size_t kShardsPerRound = 8;  // shards sampled before choosing, at least
constexpr size_t kMinCandidates = 16;  // more shards while the sample is smaller
// At most, for room in the disk queue. The evicting thread writes batches itself while
// it waits, so a long wait means the writer thread holds a batch and is starved of CPU
// (nice 19 on a saturated machine): waiting for it stalls this thread's clients, giving
// up loses the object. 1 s lost a few objects in the e2e test that shares one CPU with
// a busy process; 10 s is for a machine in that state for long, not for normal load.
constexpr int64_t kDemotionWaitMs = 10'000;
constexpr size_t kKeepOneIn = 8;       // evict the best eighth of a round's sample
}  // namespace

uint64_t ObjectTable::VictimScore(Shard& shard, Node* node, int64_t now) const {
  switch (policy_.load(std::memory_order_relaxed)) {
    case EvictionParams::Policy::kLfu:
      return 255 - LfuCounter(node->access, now);
    case EvictionParams::Policy::kTtl:
      if (int64_t expire_at = ExpireOf(shard, node); expire_at != kNoExpiry) {
        // Nearest expiry first, and any object with a TTL before any without.
        uint64_t remaining = static_cast<uint64_t>(std::max<int64_t>(0, expire_at - now));
        return (uint64_t{1} << 63) + ((uint64_t{1} << 62) - std::min(remaining, uint64_t{1} << 62));
      }
      [[fallthrough]];
    case EvictionParams::Policy::kLru:
      break;
  }
  return static_cast<uint32_t>(TableClock(now) - node->access);  // idle ms, modulo 2^32
}

bool ObjectTable::Evictable(Shard& shard, Node* n, Segment* segment, int tier, int64_t now) {
  // Only objects with memory to give back: a disk-only one has none.
  if (!n->visible() || n->replica_count == 0 || (n->flags & kHardPin)) return false;
  if (tier < 2 && SoftPinOf(shard, n) > now) return false;
  if (tier < 1 && Leased(n, now)) return false;
  if (segment == nullptr) return true;
  for (size_t i = 0; i < n->replica_count; ++i) {
    if (ReplicaSegment(shard, n, i) == segment) return true;
  }
  return false;
}

void ObjectTable::LockedSample(Shard& shard, size_t shard_index, Segment* segment, int tier,
                               int64_t now, Sample* out) {
  if (shard.visible == 0) return;
  thread_local std::minstd_rand rng{std::random_device{}()};
  size_t mask = shard.buckets.size() - 1;
  int taken = 0;
  auto take_from = [&](size_t bucket) {
    for (Node* n = shard.buckets[bucket]; n != nullptr && taken < kSamplesPerShard; n = n->next) {
      if (!Evictable(shard, n, segment, tier, now)) continue;
      ++taken;
      uint64_t score = Expired(shard, n, now) ? UINT64_MAX : VictimScore(shard, n, now);
      std::string_view key = n->key();
      out->candidates.push_back(
          {score, shard_index, n->size, (n->flags & kOnDisk) != 0, out->keys.size(), key.size()});
      out->keys.append(key);
    }
  };
  for (int b = 0; b < kSampleTries && taken < kSamplesPerShard; ++b) take_from(rng() & mask);
  // Nothing in the random buckets: walk the whole shard, so that "no candidate here" is
  // an answer, not bad luck (a tier is only given up on when every shard says so).
  size_t start = rng() & mask;
  for (size_t b = 0; b <= mask && taken == 0; ++b) take_from((start + b) & mask);
}

size_t ObjectTable::Evict(size_t bytes, Segment* segment, const EvictionParams& params) {
  size_t freed = 0;
  Sample sample;
  std::vector<Candidate>& candidates = sample.candidates;
  for (int tier = 0; tier < 3 && freed < bytes; ++tier) {
    if (tier == 2 && !params.allow_soft_pinned) break;
    // A tier is exhausted after sampling every shard without finding a candidate.
    size_t empty_shards = 0;
    while (freed < bytes && empty_shards < kShards) {
      // Sample several shards, and more while the sample is small (a sparse table), so
      // that the choice is among enough candidates; then evict the best few of it.
      sample.clear();
      for (size_t i = 0;
           i < kShards && (i < kShardsPerRound || candidates.size() < kMinCandidates); ++i) {
        size_t index = evict_cursor_.fetch_add(1, std::memory_order_relaxed) % kShards;
        Shard& shard = shards_[index];
        std::lock_guard lock(shard.mu);
        size_t before = candidates.size();
        LockedSample(shard, index, segment, tier, clock_->NowMs(), &sample);
        empty_shards = candidates.size() == before ? empty_shards + 1 : 0;
      }
      if (candidates.empty()) continue;
      std::sort(candidates.begin(), candidates.end(),
                [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
      size_t evict_now = std::max<size_t>(1, candidates.size() / kKeepOneIn);
      for (size_t c = 0; c < evict_now && freed < bytes; ++c) {
        // Back-pressure, before any lock: a demotion waits for room in the disk tier's
        // async queue rather than losing the object (the writer then evicts more
        // slowly: what it writes is not faster than the disk can take it). The room is
        // held for this demotion; declared before the lock, it is given back (if unused)
        // after the lock is released.
        DiskTier::Room room;
        if (disk_ != nullptr && !candidates[c].on_disk) {
          room = disk_->ReserveRoom(candidates[c].key_size + candidates[c].size, kDemotionWaitMs);
        }
        Shard& shard = shards_[candidates[c].shard];
        std::lock_guard lock(shard.mu);
        int64_t now = clock_->NowMs();
        std::string_view key = sample.key(candidates[c]);
        uint64_t hash = Hash(key);
        Node* victim = LockedFindAny(shard, key, hash, now);
        // Re-checked under the lock: it may have been read, pinned or removed meanwhile.
        if (victim == nullptr || !Evictable(shard, victim, segment, tier, now)) continue;
        size_t victim_bytes = 0;
        if (victim->is_inline()) {
          victim_bytes = NodeAllocationBytes(victim);  // node, key and value go together
        } else {
          for (size_t i = 0; i < victim->replica_count; ++i) {
            if (segment == nullptr || ReplicaSegment(shard, victim, i) == segment) {
              victim_bytes += ValueAllocationBytes(victim->size);
            }
          }
        }
        LockedEvict(shard, victim, now, &room);
        freed += victim_bytes;
      }
    }
  }
  return freed;
}

}  // namespace crescent::storage
