#include "storage/store.h"

#include <algorithm>
#include <cstring>

#include "config/options.h"
#include "storage/disk_tier.h"
#include "storage/memory_pool.h"
#include "storage/object_table.h"
#include "storage/segment.h"
#include "storage/value_memory.h"

namespace crescent::storage {

namespace {

using config::OptionId;

// Eviction frees at least this much when a write finds no room, so that a stream of
// small writes into a full pool does not evict one object per write.
constexpr size_t kMinEvictBytes = 256 * 1024;
constexpr int kAllocateAttempts = 8;
constexpr auto kEvictorPeriod = std::chrono::milliseconds(50);

EvictionParams ReadParams(const config::Config* config) {
  EvictionParams p;
  if (config == nullptr) return p;
  p.policy = static_cast<EvictionParams::Policy>(config->Int(OptionId::kEvictionPolicy));
  p.allow_soft_pinned = config->Bool(OptionId::kAllowEvictSoftPinned);
  p.lease_ms = config->Int(OptionId::kLeaseTtl);
  p.soft_pin_ms = config->Int(OptionId::kSoftPinTtl);
  return p;
}

}  // namespace

StatusOr<std::unique_ptr<Store>> Store::Create(const StoreOptions& options, const Clock* clock) {
  std::unique_ptr<Store> store(new Store(options, clock));
  Status s = store->segments_->Mount(options.segment_name, options.memory_capacity,
                                     options.huge_pages);
  if (!s.ok()) return s;
  store->home_ = store->segments_->Find(options.segment_name);
  store->table_->set_home(store->home_.get());
  if (options.persistence != StoreOptions::Persistence::kOff) {
    s = store->OpenDisk();
    if (!s.ok()) return s;
  }
  if (options.background_eviction) store->evictor_ = std::thread([s = store.get()] { s->EvictorLoop(); });
  return store;
}

Store::Store(const StoreOptions& options, const Clock* clock)
    : options_(options), clock_(clock), segments_(std::make_unique<SegmentRegistry>()),
      table_(std::make_unique<ObjectTable>(clock)) {
  // From the first write on, not from the evictor's first round: what a new key's access
  // record holds depends on the policy (OBJECT FREQ of a key written at start-up).
  table_->set_policy(ReadParams(options.config).policy);
}

Store::~Store() {
  {
    std::lock_guard lock(evictor_mu_);
    evictor_stop_ = true;
  }
  evictor_cv_.notify_all();
  if (evictor_.joinable()) evictor_.join();
  table_.reset();  // releases every value into the pools before they go
  disk_.reset();   // drains its queue (async mode) and closes RocksDB
}

// Opens the SSD tier and finds every persisted, unexpired object again: each becomes a
// disk-only object (its metadata in memory, its value read back on first use).
Status Store::OpenDisk() {
  DiskTier::Options disk_options;
  disk_options.dir = options_.dir;
  disk_options.mode = options_.persistence == StoreOptions::Persistence::kSync
                          ? DiskTier::Mode::kSync
                          : DiskTier::Mode::kAsync;
  disk_options.blob_threshold = options_.disk_blob_threshold;
  disk_options.async_queue_bytes = options_.disk_queue_bytes;
  disk_options.clock = clock_;
  disk_options.log = options_.log;
  auto disk = DiskTier::Open(disk_options);
  if (!disk.ok()) return disk.status();
  disk_ = std::move(disk).value();
  table_->set_disk(disk_.get());
  auto started = std::chrono::steady_clock::now();
  int64_t soft_pin_ms = ReadParams(options_.config).soft_pin_ms;
  // Collected first, inserted after: ForEach's visitor runs under the tier's read lock,
  // and shard locks are never taken inside it (elsewhere the order is shard, then tier).
  struct Loaded {
    std::string key;
    DiskRecordMeta meta;
    size_t size;
  };
  std::vector<Loaded> loaded;
  Status s = disk_->ForEach([&](std::string_view key, const DiskRecordMeta& meta, std::string_view value) {
    loaded.push_back({std::string(key), meta, value.size()});
  });
  for (const Loaded& l : loaded) table_->LoadFromDisk(l.key, l.meta, l.size, soft_pin_ms);
  disk_loaded_objects_ = loaded.size();
  disk_load_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started).count();
  return s;
}

void Store::EvictorLoop() {
  std::unique_lock lock(evictor_mu_);
  while (!evictor_stop_) {
    evictor_cv_.wait_for(lock, kEvictorPeriod);
    if (evictor_stop_) break;
    lock.unlock();
    double high = 0.90, ratio = 0.05;
    if (options_.config != nullptr) {
      high = options_.config->Double(OptionId::kEvictionHighWatermark);
      ratio = options_.config->Double(OptionId::kEvictionRatio);
    }
    EvictionParams params = ReadParams(options_.config);
    table_->set_policy(params.policy);
    for (const auto& segment : segments_->Mounted()) {
      double capacity = static_cast<double>(segment->pool().capacity());
      double used = static_cast<double>(segment->pool().used_bytes());
      if (used > high * capacity) {
        double target = used - std::max(0.0, high - ratio) * capacity;
        table_->Evict(static_cast<size_t>(target), segment.get(), params);
      }
    }
    ReclaimStalePuts();
    lock.lock();
  }
}

std::optional<uint64_t> Store::AllocateIn(Segment& segment, size_t bytes) {
  EvictionParams params = ReadParams(options_.config);
  for (int attempt = 0; attempt < kAllocateAttempts; ++attempt) {
    if (!segment.mounted()) return std::nullopt;
    if (auto offset = segment.pool().Allocate(bytes)) return offset;
    // Fragmentation can need more than `bytes` freed; ask for more each round.
    size_t want = std::max(bytes, kMinEvictBytes) << attempt;
    if (table_->Evict(want, &segment, params) == 0) break;
  }
  return segment.pool().Allocate(bytes);
}

bool Store::Get(std::string_view key, FunctionRef<void(const ValueView&)> visit, bool lease) {
  return Read(key, visit, lease ? ReadParams(options_.config).lease_ms : 0, true);
}

bool Store::Peek(std::string_view key, FunctionRef<void(const ValueView&)> visit) {
  return Read(key, visit, 0, false);
}

bool Store::Read(std::string_view key, FunctionRef<void(const ValueView&)> visit,
                 int64_t lease_ms, bool touch) {
  uint64_t version = 0;
  auto result = table_->Get(key, visit, lease_ms, &version, touch);
  if (result != ObjectTable::ReadResult::kOnDisk) return result == ObjectTable::ReadResult::kHit;
  if (disk_ == nullptr) return false;
  // A disk-only object: read it with no lock held. The visitor of Read may not call the
  // tier (eviction may), so the bytes are copied out first.
  std::string bytes;
  auto found = disk_->Read(key, [&](const DiskRecordMeta&, std::string_view value) {
    bytes.assign(value);
  });
  if (!found.ok() || !*found) {
    table_->ForgetDiskOnly(key, version);  // the disk lost it (e.g. a dropped async write)
    return false;
  }
  if (options_.promote_on_read && touch) {
    auto promoted = Reserve(bytes.size(), {});
    if (promoted.ok()) {
      std::memcpy(promoted->data(), bytes.data(), bytes.size());
      if (table_->Promote(key, version, &promoted.value()) &&
          table_->Get(key, visit, 0) == ObjectTable::ReadResult::kHit) {
        return true;
      }
    }
  }
  ValueView view;
  view.bytes_ = bytes;
  visit(view);  // not pinnable: the visitor copies
  return true;
}

void Store::Prefetch(std::span<const std::string_view> keys) { table_->Prefetch(keys); }

bool Store::Exists(std::string_view key, bool lease) {
  return table_->Exists(key, lease ? ReadParams(options_.config).lease_ms : 0);
}

bool Store::Touch(std::string_view key) { return table_->Exists(key, 0, /*touch=*/true); }

std::optional<ObjectInfo> Store::Query(std::string_view key, bool lease) {
  return table_->Query(key, lease ? ReadParams(options_.config).lease_ms : 0);
}

bool Store::InlineEligible(size_t size, const ReplicateConfig& config) const {
  if (size == 0 || size > kInlineValueMax || config.replicas > 1) return false;
  // A preference is honoured: inline values can only live in the home segment.
  for (const std::string& name : config.preferred_segments) {
    if (name == home_->name()) return true;
    if (segments_->Find(name) != nullptr) return false;
  }
  return true;
}

bool Store::MakeRoomForNodes(int attempt) {
  if (attempt >= kAllocateAttempts) return false;
  return table_->Evict(kMinEvictBytes << attempt, home_.get(), ReadParams(options_.config)) > 0;
}

StatusOr<PreparedValue> Store::Reserve(size_t size, const ReplicateConfig& config,
                                       bool allow_inline) {
  if (size > UINT32_MAX) return Status(StatusCode::kTooLarge);
  if (allow_inline && InlineEligible(size, config)) {
    PreparedValue value = NewInline(size, config);
    value.inline_bytes_.resize(size);
    return value;
  }
  PreparedValue value;
  value.size_ = static_cast<uint32_t>(size);
  ApplyPins(&value, config);
  if (size == 0) return value;
  size_t wanted = std::max<uint32_t>(1, config.replicas);
  size_t alloc_bytes = ValueAllocationBytes(size);
  for (const auto& segment : segments_->PlacementOrder(config.preferred_segments)) {
    if (value.allocations_.size() == wanted) break;
    if (alloc_bytes > segment->pool().capacity()) continue;
    auto offset = AllocateIn(*segment, alloc_bytes);
    if (!offset) continue;
    InitValue(segment.get(), *offset, size);
    value.allocations_.push_back({segment.get(), *offset});
    value.keep_.push_back(segment);
  }
  if (value.allocations_.empty()) {
    return Status(StatusCode::kOutOfMemory, "no segment can hold the value");
  }
  return value;
}

PreparedValue Store::NewInline(size_t size, const ReplicateConfig& config) {
  // Placed at commit, with its node; no pool memory is held until then.
  PreparedValue value;
  value.size_ = static_cast<uint32_t>(size);
  value.is_inline_ = true;
  ApplyPins(&value, config);
  return value;
}

void Store::ApplyPins(PreparedValue* value, const ReplicateConfig& config) {
  value->hard_pin_ = config.hard_pin;
  value->soft_pin_until_ms_ = 0;
  if (config.soft_pin) {
    int64_t ms = config.soft_pin_ms > 0 ? config.soft_pin_ms : ReadParams(options_.config).soft_pin_ms;
    value->soft_pin_until_ms_ = clock_->NowMs() + ms;
  }
}

Status Store::MoveOutOfLine(PreparedValue* value, const ReplicateConfig& config) {
  if (!value->is_inline_) return Status::Ok();
  auto placed = Reserve(value->size_, config, false);
  if (!placed.ok()) return placed.status();
  for (const auto& a : placed->allocations_) {
    std::memcpy(ValueBytes(a.segment, a.offset, value->size_), value->contents().data(),
                value->size_);
  }
  *value = std::move(placed).value();
  return Status::Ok();
}

void Store::CompleteReplicas(PreparedValue* value, const ReplicateConfig& config) {
  if (value->is_inline_ && !InlineEligible(value->size_, config)) {
    // Best effort, as for any replica: on failure the value stays inline (one replica).
    (void)MoveOutOfLine(value, config);
  }
  ApplyPins(value, config);
  if (value->allocations_.empty()) return;
  size_t wanted = std::max<uint32_t>(1, config.replicas);
  size_t alloc_bytes = ValueAllocationBytes(value->size_);
  const char* source = value->contents().data();
  for (const auto& segment : segments_->PlacementOrder(config.preferred_segments)) {
    if (value->allocations_.size() >= wanted) break;
    bool used = false;
    for (const auto& a : value->allocations_) used |= a.segment == segment.get();
    if (used || alloc_bytes > segment->pool().capacity()) continue;
    auto offset = AllocateIn(*segment, alloc_bytes);
    if (!offset) continue;
    InitValue(segment.get(), *offset, value->size_);
    std::memcpy(ValueBytes(segment.get(), *offset, value->size_), source, value->size_);
    value->allocations_.push_back({segment.get(), *offset});
    value->keep_.push_back(segment);
  }
}

Status Store::CommitObject(std::string_view key, PreparedValue* value, const PutOptions& options) {
  for (int attempt = 0;; ++attempt) {
    Status s = table_->Commit(key, value, options);
    if (s.code() != StatusCode::kOutOfMemory || !MakeRoomForNodes(attempt)) return s;
  }
}

StatusOr<PreparedValue> Store::Prepare(std::string_view bytes, const ReplicateConfig& config) {
  if (InlineEligible(bytes.size(), config)) {
    PreparedValue value = NewInline(bytes.size(), config);
    value.borrowed_ = bytes.data();
    return value;
  }
  auto value = Reserve(bytes.size(), config, false);
  if (!value.ok()) return value;
  for (const auto& a : value->allocations_) {
    std::memcpy(ValueBytes(a.segment, a.offset, bytes.size()), bytes.data(), bytes.size());
  }
  return value;
}

Status Store::Update(std::string_view key,
                     FunctionRef<UpdateDecision(const CurrentValue&)> decide) {
  // A value computed under the lock (APPEND, INCR...) goes to the home segment; only when
  // that has no room is the emptiest one looked up (PlacementOrder is not free: it
  // copies and sorts the mounted list, which SET must not pay for).
  Segment* segment = home_.get();
  for (int attempt = 0; attempt < kAllocateAttempts; ++attempt) {
    if (attempt > 0) {
      auto order = segments_->PlacementOrder({});
      segment = order.empty() ? home_.get() : order.front().get();
    }
    Status s = table_->Update(key, decide, segment);
    if (s.code() != StatusCode::kOutOfMemory) return s;
    EvictionParams params = ReadParams(options_.config);
    // No room for the new value (or its inline node, in the home segment): free some
    // (no shard lock is held here) and retry.
    size_t freed = table_->Evict(kMinEvictBytes << attempt, segment, params);
    if (segment != home_.get()) freed += table_->Evict(kMinEvictBytes << attempt, home_.get(), params);
    if (freed == 0) return s;
  }
  return Status(StatusCode::kOutOfMemory);
}

Status Store::PutObject(std::string_view key, std::string_view value, const PutOptions& options) {
  Status status;
  // A segment unmounted between placement and commit takes the put's replicas with it;
  // placing again on the segments that remain is what the client would do anyway. The
  // last attempt puts a replica in the home segment, which is never unmounted, so that
  // segments coming and going faster than a put commits cannot make it fail.
  constexpr int kAttempts = 3;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    ReplicateConfig config = options.config;
    if (attempt == kAttempts - 1) {
      config.preferred_segments.insert(config.preferred_segments.begin(), home_->name());
    }
    auto prepared = Prepare(value, config);
    if (!prepared.ok()) return prepared.status();
    status = CommitObject(key, &prepared.value(), options);
    if (status.code() != StatusCode::kNoSegment) return status;
  }
  return status;
}

StatusOr<PutHandle> Store::PutStart(std::string_view key, size_t size, const PutOptions& options) {
  // Room first (no lock held), then the pending put is registered under the shard lock.
  // Never inline: the writer fills the buffers after PutStart, where no node can move.
  auto reserved = Reserve(size, options.config, false);
  if (!reserved.ok()) return reserved.status();
  auto value = std::make_shared<PreparedValue>(std::move(reserved).value());
  PutHandle handle;
  handle.key = std::string(key);
  handle.size = size;
  for (const auto& a : value->allocations_) {
    handle.buffers.push_back(ValueBytes(a.segment, a.offset, size));
  }
  handle.hold = value;
  auto put_id = table_->PutStart(key, value, options, clock_->NowMs() + options_.put_timeout_ms);
  if (!put_id.ok()) return put_id.status();
  handle.put_id = *put_id;
  return handle;
}

Status Store::PutEnd(const PutHandle& handle) { return table_->PutEnd(handle.key, handle.put_id); }
void Store::PutRevoke(const PutHandle& handle) { table_->PutRevoke(handle.key, handle.put_id); }
size_t Store::ReclaimStalePuts() { return table_->ReclaimStalePuts(); }

StatusOr<bool> Store::MultiSet(std::span<const std::string_view> keys,
                               std::span<PreparedValue> values, bool only_if_none_exist) {
  for (int attempt = 0;; ++attempt) {
    auto applied = table_->MultiSet(keys, values, only_if_none_exist);
    if (applied.ok() || applied.status().code() != StatusCode::kOutOfMemory ||
        !MakeRoomForNodes(attempt)) {
      return applied;
    }
  }
}

Store::RenameResult Store::Rename(std::string_view src, std::string_view dst,
                                  bool only_if_absent) {
  for (int attempt = 0;; ++attempt) {
    RenameResult r = table_->Rename(src, dst, only_if_absent);
    if (r != RenameResult::kOutOfMemory || !MakeRoomForNodes(attempt)) return r;
  }
}

bool Store::Remove(std::string_view key) { return table_->Remove(key); }
Status Store::RemoveObject(std::string_view key, bool force) { return table_->RemoveObject(key, force); }
bool Store::RemoveIfVersion(std::string_view key, uint64_t version, bool force) {
  return table_->RemoveIfVersion(key, version, force);
}
size_t Store::RemoveAll(bool force) { return table_->RemoveAll(force); }
std::optional<int64_t> Store::GetExpiry(std::string_view key) { return table_->GetExpiry(key); }
std::optional<size_t> Store::MemoryUsage(std::string_view key) { return table_->MemoryUsage(key); }

// The table follows the configured policy here too (not only at the next eviction), so
// that what OBJECT reports and the policy it is checked against agree.
std::optional<AccessInfo> Store::Access(std::string_view key) {
  table_->set_policy(ReadParams(options_.config).policy);
  return table_->Access(key);
}

bool Store::SetAccess(std::string_view key, std::optional<int64_t> idle_ms,
                      std::optional<uint32_t> frequency) {
  table_->set_policy(ReadParams(options_.config).policy);
  return table_->SetAccess(key, idle_ms, frequency);
}

uint64_t Store::Scan(uint64_t cursor, size_t count, FunctionRef<void(std::string_view)> visit) {
  return table_->Scan(cursor, count, visit);
}

void Store::ForEachKey(FunctionRef<void(std::string_view)> visit) {
  table_->ForEachKey([&](std::string_view key, uint64_t) {
    visit(key);
    return true;
  });
}

StatusOr<std::vector<MatchedKey>> Store::MatchKeys(KeyMatcher match, uint64_t budget) {
  std::vector<MatchedKey> found;
  bool over = false;
  table_->ForEachKey([&](std::string_view key, uint64_t version) {
    KeyMatch m = match(key, &budget);
    if (m == KeyMatch::kYes) found.push_back({std::string(key), version});
    over = m == KeyMatch::kOverBudget;
    return !over;
  });
  if (over) return Status(StatusCode::kOverBudget);
  return found;
}

StatusOr<size_t> Store::RemoveMatching(KeyMatcher match, uint64_t budget, bool force) {
  auto found = MatchKeys(match, budget);
  if (!found.ok()) return found.status();
  size_t removed = 0;
  for (const MatchedKey& m : *found) removed += table_->RemoveIfVersion(m.key, m.version, force);
  return removed;
}
std::optional<std::string> Store::RandomKey() { return table_->RandomKey(); }
size_t Store::Size() const { return table_->Size(); }
void Store::Clear() {
  table_->Clear();
  for (const auto& segment : segments_->Mounted()) segment->pool().Trim();
}
size_t Store::ExpireCycle(size_t budget) { return table_->ExpireCycle(budget); }

size_t Store::Evict(size_t bytes) {
  EvictionParams params = ReadParams(options_.config);
  table_->set_policy(params.policy);
  return table_->Evict(bytes, nullptr, params);
}

Status Store::MountSegment(std::string name, size_t capacity) {
  return segments_->Mount(std::move(name), capacity, options_.huge_pages);
}

StatusOr<size_t> Store::UnmountSegment(std::string_view name) {
  if (name == home_->name()) {
    return Status(StatusCode::kInvalidArgument,
                  "segment '" + std::string(name) + "' is this node's own and holds its small objects; it cannot be unmounted");
  }
  std::shared_ptr<Segment> segment = segments_->Detach(name);
  if (segment == nullptr) {
    return Status(StatusCode::kSegmentNotFound, "no segment named '" + std::string(name) + "'");
  }
  return table_->DropSegment(segment.get());
}

std::vector<SegmentInfo> Store::Segments() const {
  std::vector<SegmentInfo> out;
  for (const auto& s : segments_->Mounted()) {
    out.push_back({s->name(), s->pool().capacity(), s->pool().used_bytes(),
                   s->replicas.load(std::memory_order_relaxed)});
  }
  return out;
}

StoreStats Store::GetStats() const {
  StoreStats stats;
  table_->AddStats(&stats);
  size_t requested = 0, held = 0;
  for (const auto& s : segments_->Mounted()) {
    MemoryPool::Stats pool = s->pool().GetStats();
    stats.pool_capacity += pool.capacity;
    stats.pool_used += pool.allocated_bytes;
    stats.huge_pages = stats.huge_pages || pool.huge_pages;
    stats.pool_prefaulted_ahead += pool.prefaulted_ahead_bytes;
    requested += pool.requested_bytes;
    held += pool.slab_page_bytes + pool.large_bytes;
    ++stats.segments;
  }
  stats.disk_enabled = disk_ != nullptr;
  stats.disk_loaded_objects = disk_loaded_objects_;
  stats.disk_load_ms = disk_load_ms_;
  stats.pool_fragmentation =
      held == 0 ? 0.0 : 1.0 - static_cast<double>(requested) / static_cast<double>(held);
  return stats;
}

void Store::ResetStats() { table_->ResetStats(); }

}  // namespace crescent::storage
