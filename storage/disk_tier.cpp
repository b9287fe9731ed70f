// DiskTier: opening RocksDB, reads, sync writes, DeleteAll, ForEach and stats. The async
// queue lives in disk_tier_async.cpp, health and recovery in disk_tier_recovery.cpp;
// disk_tier_impl.h describes the locks and invariants they share.
#include "storage/disk_tier.h"

#include <cstdarg>
#include <cstdio>

#include <fmt/format.h>
#include <rocksdb/convenience.h>
#include <rocksdb/env.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include "storage/disk_tier_impl.h"

namespace crescent::storage {

using namespace disk_internal;

namespace {

// Forwards RocksDB's info log to the tier's log callback, warnings and worse only.
class ForwardingLogger final : public rocksdb::Logger {
 public:
  explicit ForwardingLogger(std::function<void(std::string_view)> log)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), log_(std::move(log)) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list args) override {
    if (!log_) return;
    char line[1024];
    va_list copy;
    va_copy(copy, args);
    int n = std::vsnprintf(line, sizeof(line), format, copy);
    va_end(copy);
    if (n > 0) log_(std::string_view(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1)));
  }

 private:
  std::function<void(std::string_view)> log_;
};

rocksdb::CompressionType ToRocks(DiskTier::Compression c) {
  switch (c) {
    case DiskTier::Compression::kLz4:
      return rocksdb::kLZ4Compression;
    case DiskTier::Compression::kZstd:
      return rocksdb::kZSTD;
    case DiskTier::Compression::kNone:
      break;
  }
  return rocksdb::kNoCompression;
}

}  // namespace

// ---------------------------------------------------------------- open, close

Status DiskTier::Impl::Open() {
  std::error_code ec;
  std::filesystem::create_directories(o_.dir, ec);
  if (ec) {
    return Status(StatusCode::kIoError,
                  fmt::format("cannot create disk tier directory {}: {}", o_.dir, ec.message()));
  }
  rocksdb::Options& opts = db_options_;
  opts.create_if_missing = true;
  opts.compression = ToRocks(o_.sst_compression);
  opts.enable_blob_files = true;
  opts.min_blob_size = o_.blob_threshold;
  opts.blob_compression_type = ToRocks(o_.blob_compression);
  // Without it, the space of overwritten and deleted blobs would never come back.
  opts.enable_blob_garbage_collection = true;
  opts.write_buffer_size = o_.memtable_bytes;
  // SST blocks (keys and blob indexes) carry XXH3 checksums: Debian's RocksDB computes
  // CRC32c, the default, in software.
  rocksdb::BlockBasedTableOptions table;
  table.checksum = rocksdb::kXXH3;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  opts.compaction_filter = &filter_;
  opts.keep_log_file_num = 4;
  // Recovery is ours (a reopen, see disk_tier_recovery.cpp), not RocksDB's own resume.
  opts.max_bgerror_resume_count = 0;
  // RocksDB's own info log goes to Options::log (warnings and worse), not to a LOG file
  // on the data disk: when that disk is full, RocksDB's writer of its LOG file asserts on
  // the next line (seen with Debian's build), taking the server down with the disk.
  opts.info_log = std::make_shared<ForwardingLogger>(o_.log);
  statistics_ = rocksdb::CreateDBStatistics();
  statistics_->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);  // tickers
  opts.statistics = statistics_;
  if (o_.env != nullptr) opts.env = o_.env;

  rocksdb::DB* raw = nullptr;
  const rocksdb::Status rs = rocksdb::DB::Open(opts, o_.dir, &raw);
  if (!rs.ok()) {
    Log(fmt::format("disk tier: open {} failed: {}", o_.dir, rs.ToString()));
    return Status(CodeOf(rs), fmt::format("cannot open disk tier at {}: {}", o_.dir, Reason(rs)));
  }
  db_.reset(raw);
  write_options_.sync = o_.mode == DiskTier::Mode::kSync;
  if (async()) {
    // The disk tier takes the CPU the request path leaves (see disk_tier.h): RocksDB's
    // flush (HIGH) and compaction (LOW) threads run under SCHED_IDLE (RocksDB applies it
    // when a thread next takes a job); they hold no lock a request thread waits for.
    // Best effort: an Env that cannot (a test's) keeps normal priority.
    (void)opts.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::HIGH,
                                               rocksdb::CpuPriority::kIdle);
    (void)opts.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW,
                                               rocksdb::CpuPriority::kIdle);
    try {
      writer_ = std::thread([this] { WriterLoop(); });
    } catch (const std::system_error&) {
      return Status(StatusCode::kInternal, "cannot start the disk tier writer thread");
    }
  }
  return Status::Ok();
}

DiskTier::Impl::~Impl() {
  if (writer_.joinable()) {
    {
      std::lock_guard l(queue_mu_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    rest_cv_.notify_all();
    drained_cv_.notify_all();  // Puts waiting for room give up
    writer_.join();  // the writer drains the queue before it returns
  }
  if (db_) {
    const rocksdb::Status rs = db_->Close();
    if (!rs.ok()) Log(fmt::format("disk tier: close failed: {}", rs.ToString()));
  }
}

// ---------------------------------------------------------------- writes

Status DiskTier::Impl::Put(std::string_view key, std::string_view value,
                           const DiskRecordMeta& meta, const DiskTier::PutOptions& options,
                           size_t room) {
  if (async()) return PutAsync(key, value, meta, options, room);
  // Header and value go to RocksDB as two slices: the WriteBatch's copy is the only one.
  char header[kDiskRecordHeaderSize];
  EncodeDiskRecordHeader(meta, key, value, header);
  const rocksdb::Slice key_part = ToSlice(key);
  const rocksdb::Slice value_parts[] = {rocksdb::Slice(header, sizeof header), ToSlice(value)};
  rocksdb::WriteBatch batch;
  if (auto rs = batch.Put(rocksdb::SliceParts(&key_part, 1), rocksdb::SliceParts(value_parts, 2));
      !rs.ok()) {
    return Convert(rs, "put");
  }
  const std::string_view keys[] = {key};
  if (Status s = Write(&batch, keys, "put"); !s.ok()) return s;
  writes_.fetch_add(1, std::memory_order_relaxed);
  bytes_written_.fetch_add(value.size(), std::memory_order_relaxed);
  return Status::Ok();
}

Status DiskTier::Impl::Delete(std::string_view key) {
  if (async()) return DeleteAsync(key);
  rocksdb::WriteBatch batch;
  if (auto rs = batch.Delete(ToSlice(key)); !rs.ok()) return Convert(rs, "delete");
  const std::string_view keys[] = {key};
  if (Status s = Write(&batch, keys, "delete"); !s.ok()) return s;
  deletes_.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status DiskTier::Impl::DeleteAll() {
  if (async()) {
    // Queued writes are older than this DeleteAll: drop them, even if the delete below
    // cannot be written (readers would otherwise still find them in latest_). None is in
    // flight while the gate is held exclusively.
    {
      std::lock_guard gate(gate_);
      std::lock_guard l(queue_mu_);
      ClearQueueLocked();
    }
    drained_cv_.notify_all();
  }
  if (Status s = Admit({}, true); !s.ok()) return s;
  std::lock_guard gate(gate_);
  rocksdb::WriteBatch batch;
  rocksdb::Status rs = AddDeleteEverything(&batch);
  if (rs.ok() && batch.Count() > 0) rs = db_->Write(write_options_, &batch);
  if (!rs.ok()) return RecordFailure(rs, {}, true, "delete all");
  // Every stale copy the mask hid is gone with the rest.
  std::lock_guard l(state_mu_);
  masked_.clear();
  mask_all_ = false;
  any_masked_.store(false, std::memory_order_release);
  return Status::Ok();
}

Status DiskTier::Impl::PutRaw(std::string_view key, std::string_view encoded) {
  rocksdb::WriteBatch batch;
  if (auto rs = batch.Put(ToSlice(key), ToSlice(encoded)); !rs.ok()) return Convert(rs, "put");
  const std::string_view keys[] = {key};
  return Write(&batch, keys, "raw put");
}

Status DiskTier::Impl::Flush() {
  if (async()) FlushQueue();
  if (healthy()) return Status::Ok();
  return Unavailable();
}

// ---------------------------------------------------------------- reads

StatusOr<bool> DiskTier::Impl::Read(std::string_view key,
                                    FunctionRef<void(const DecodedDiskRecord&)> visit) {
  reads_.fetch_add(1, std::memory_order_relaxed);
  const int64_t now = o_.clock->NowMs();
  if (async()) {
    if (PendingPtr op = FindQueued(key)) {
      if (op->is_delete || DiskRecordExpired(op->meta.expire_at_ms, now)) return false;
      // The op (and its pin) stays alive while `op` is held; its bytes never change.
      DecodedDiskRecord d{op->meta, op->value(), DiskRecordChecksum(op->value())};
      visit(d);
      read_hits_.fetch_add(1, std::memory_order_relaxed);
      bytes_read_.fetch_add(d.value.size(), std::memory_order_relaxed);
      return true;
    }
  }
  if (IsMasked(key)) return false;

  std::optional<std::string> corrupt;  // why; dropped after the read lock is released
  {
    std::shared_lock readers(db_mu_);
    if (!db_) return Unavailable();
    rocksdb::PinnableSlice raw;
    const rocksdb::Status rs =
        db_->Get(RecordReadOptions(), db_->DefaultColumnFamily(), ToSlice(key), &raw);
    if (rs.IsNotFound()) return false;
    if (rs.IsCorruption()) {  // a structural fault RocksDB noticed (its checksums are off)
      corrupt = rs.ToString();
    } else if (!rs.ok()) {
      return Convert(rs, "read");
    } else if (auto d = DecodeDiskRecord(key, ToView(raw), /*verify_checksum=*/true); !d.ok()) {
      corrupt = d.status().message();
    } else {
      if (DiskRecordExpired(d->meta.expire_at_ms, now)) return false;
      visit(*d);
      read_hits_.fetch_add(1, std::memory_order_relaxed);
      bytes_read_.fetch_add(d->value.size(), std::memory_order_relaxed);
      return true;
    }
  }
  DropCorrupt(key, *corrupt);
  return false;
}

// Counts, logs and deletes a record that failed verification. In kAsync the delete is
// queued (ordered with the writes) unless a write of the key is already queued, which
// replaces the record anyway (and, when it is this function's own earlier delete, means
// the record was already counted). In kSync a Put racing with this delete may be deleted
// too: the next read is then a miss, never wrong bytes.
void DiskTier::Impl::DropCorrupt(std::string_view key, std::string_view why) {
  if (async()) {
    {
      std::lock_guard l(queue_mu_);
      if (stopping_ || latest_.find(key) != latest_.end()) return;
      EnqueueDeleteLocked(key);
    }
    work_cv_.notify_one();
  }
  corruptions_.fetch_add(1, std::memory_order_relaxed);
  Log(fmt::format("disk tier: dropping corrupt record '{}': {}", PrintableKey(key), why));
  if (async()) return;
  rocksdb::WriteBatch batch;
  if (!batch.Delete(ToSlice(key)).ok()) return;
  const std::string_view keys[] = {key};
  (void)Write(&batch, keys, "delete of a corrupt record");  // a failure masks the key
}

bool DiskTier::Impl::StillCorrupt(std::string_view key) {
  std::shared_lock readers(db_mu_);
  if (!db_) return false;
  rocksdb::PinnableSlice raw;
  const rocksdb::Status rs =
      db_->Get(RecordReadOptions(), db_->DefaultColumnFamily(), ToSlice(key), &raw);
  if (rs.IsCorruption()) return true;
  return rs.ok() && !DecodeDiskRecord(key, ToView(raw), /*verify_checksum=*/true).ok();
}

Status DiskTier::Impl::ForEach(
    FunctionRef<void(std::string_view, const DiskRecordMeta&, std::string_view)> visit) {
  const int64_t now = o_.clock->NowMs();
  std::vector<std::pair<std::string, std::string>> corrupt;  // key, why
  {
    std::shared_lock readers(db_mu_);
    if (!db_) return Unavailable();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(RecordReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = ToView(it->key());
      if (IsMasked(key)) continue;
      auto d = DecodeDiskRecord(key, ToView(it->value()), /*verify_checksum=*/true);
      if (!d.ok()) {
        corrupt.emplace_back(std::string(key), d.status().message());
        continue;
      }
      if (DiskRecordExpired(d->meta.expire_at_ms, now)) continue;
      visit(key, d->meta, d->value);
    }
    if (!it->status().ok()) return Convert(it->status(), "scan");
  }
  for (const auto& [key, why] : corrupt) {
    // The iterator's view may be older than a delete or overwrite of the key since.
    if (StillCorrupt(key)) DropCorrupt(key, why);
  }
  return Status::Ok();
}

uint64_t DiskTier::Impl::Count() {
  std::shared_lock readers(db_mu_);
  uint64_t n = 0;
  if (!db_ || !db_->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &n)) return 0;
  return n;
}

StatusOr<uint64_t> DiskTier::Impl::CountRaw() {
  std::shared_lock readers(db_mu_);
  if (!db_) return Unavailable();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  if (!it->status().ok()) return Convert(it->status(), "scan");
  return n;
}

Status DiskTier::Impl::Compact() {
  std::shared_lock readers(db_mu_);
  if (!db_) return Unavailable();
  rocksdb::CompactRangeOptions cro;
  // Rewrite the last level too: that is where old expired records sit.
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const rocksdb::Status rs = db_->CompactRange(cro, nullptr, nullptr);
  if (!rs.ok()) return Convert(rs, "compaction");
  return Status::Ok();
}

DiskTier::Stats DiskTier::Impl::GetStats() const {
  DiskTier::Stats s;
  s.reads = reads_.load(std::memory_order_relaxed);
  s.read_hits = read_hits_.load(std::memory_order_relaxed);
  s.writes = writes_.load(std::memory_order_relaxed);
  s.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  s.bytes_read = bytes_read_.load(std::memory_order_relaxed);
  s.deletes = deletes_.load(std::memory_order_relaxed);
  s.async_dropped = async_dropped_.load(std::memory_order_relaxed);
  s.write_errors = write_errors_.load(std::memory_order_relaxed);
  s.corruptions = corruptions_.load(std::memory_order_relaxed);
  s.writer_rests = writer_rests_.load(std::memory_order_relaxed);
  s.helped_batches = helped_batches_.load(std::memory_order_relaxed);
  s.writer_rest_us = writer_rest_us_.load(std::memory_order_relaxed);
  s.expired_compacted = filter_.dropped();
  s.wal_syncs = statistics_->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  {
    std::lock_guard l(queue_mu_);
    s.queue_depth = pending_ops_;
    s.queue_bytes = pending_bytes_;
  }
  std::lock_guard l(state_mu_);
  s.masked_keys = mask_all_ ? SIZE_MAX : masked_.size();
  s.healthy = healthy_.load(std::memory_order_relaxed);
  s.last_error = last_error_;
  return s;
}

// ---------------------------------------------------------------- DiskTier

StatusOr<std::unique_ptr<DiskTier>> DiskTier::Open(const Options& options) {
  auto invalid = [](const char* what) { return Status(StatusCode::kInvalidArgument, what); };
  if (options.dir.empty()) return invalid("disk tier: dir is required");
  if (options.clock == nullptr) return invalid("disk tier: a clock is required");
  if (options.blob_threshold == 0) return invalid("disk tier: blob threshold must be positive");
  if (options.async_queue_bytes == 0) return invalid("disk tier: queue size must be positive");
  if (options.memtable_bytes == 0) return invalid("disk tier: memtable size must be positive");
  if (!(options.contended_cpu_share > 0 && options.contended_cpu_share <= 1)) {
    return invalid("disk tier: the writer's contended CPU share must be in (0, 1]");
  }
  if (options.retry_interval_ms < 0) return invalid("disk tier: retry interval must be >= 0");
  const auto supported = rocksdb::GetSupportedCompressions();
  for (Compression c : {options.blob_compression, options.sst_compression}) {
    const auto type = ToRocks(c);
    if (type != rocksdb::kNoCompression &&
        std::find(supported.begin(), supported.end(), type) == supported.end()) {
      return invalid("disk tier: this RocksDB build lacks the requested compression");
    }
  }
  std::unique_ptr<DiskTier> tier(new DiskTier(options));
  if (Status s = tier->impl_->Open(); !s.ok()) return s;
  return tier;
}

DiskTier::DiskTier(const Options& options)
    : options_(options), impl_(std::make_unique<Impl>(options_)) {}

DiskTier::~DiskTier() = default;

Status DiskTier::Put(std::string_view key, std::string_view value, const DiskRecordMeta& meta) {
  return impl_->Put(key, value, meta, PutOptions{}, 0);
}

Status DiskTier::Put(std::string_view key, std::string_view value, const DiskRecordMeta& meta,
                     const PutOptions& options) {
  Room* room = options.room;
  const size_t held = room != nullptr && room->impl_ == impl_.get() ? std::exchange(room->bytes_, 0) : 0;
  return impl_->Put(key, value, meta, options, held);
}

DiskTier::Room DiskTier::ReserveRoom(size_t bytes, int64_t wait_ms) {
  return Room(impl_.get(), impl_->ReserveRoom(bytes, wait_ms));
}

DiskTier::Room::Room(Room&& other) noexcept
    : impl_(std::exchange(other.impl_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DiskTier::Room& DiskTier::Room::operator=(Room&& other) noexcept {
  if (this != &other) {
    Release();
    impl_ = std::exchange(other.impl_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

DiskTier::Room::~Room() { Release(); }

void DiskTier::Room::Release() {
  if (bytes_ > 0) impl_->ReleaseRoom(std::exchange(bytes_, 0));
}

StatusOr<std::optional<DiskRecord>> DiskTier::Get(std::string_view key) {
  std::optional<DiskRecord> out;
  auto found = impl_->Read(key, [&](const DecodedDiskRecord& d) {
    out.emplace();
    out->meta = d.meta;
    out->value.assign(d.value);
    out->checksum = d.checksum;
  });
  if (!found.ok()) return found.status();
  return out;
}

StatusOr<bool> DiskTier::Read(std::string_view key,
                              FunctionRef<void(const DiskRecordMeta&, std::string_view)> visit) {
  return impl_->Read(key, [&](const DecodedDiskRecord& d) { visit(d.meta, d.value); });
}

Status DiskTier::Delete(std::string_view key) { return impl_->Delete(key); }
Status DiskTier::DeleteAll() { return impl_->DeleteAll(); }

Status DiskTier::ForEach(
    FunctionRef<void(std::string_view, const DiskRecordMeta&, std::string_view)> visit) {
  return impl_->ForEach(visit);
}

uint64_t DiskTier::Count() const { return impl_->Count(); }
Status DiskTier::Flush() { return impl_->Flush(); }
void DiskTier::DiscardQueueOnClose() { impl_->DiscardQueueOnClose(); }
Status DiskTier::Compact() { return impl_->Compact(); }
DiskTier::Stats DiskTier::GetStats() const { return impl_->GetStats(); }
bool DiskTier::healthy() const { return impl_->healthy(); }

Status DiskTier::PutRawForTest(std::string_view key, std::string_view encoded) {
  return impl_->PutRaw(key, encoded);
}

StatusOr<uint64_t> DiskTier::CountRawForTest() { return impl_->CountRaw(); }

}  // namespace crescent::storage
