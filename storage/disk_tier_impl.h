// DiskTier::Impl: the state behind storage/disk_tier.h, shared by the files that
// implement it. Private to storage/disk_tier*.cpp; nothing else includes it.
//
//   disk_tier.cpp           open/close, reads, sync writes, DeleteAll, ForEach, stats
//   disk_tier_async.cpp     kAsync: the bounded queue and its writer thread
//   disk_tier_recovery.cpp  RocksDB status conversion, health, the mask, recovery
//
// Write paths. Every RocksDB write goes through Write() (or, for DeleteAll and recovery,
// holds the write gate exclusively):
//   Admit (refuse fast while unhealthy, or recover) -> gate_ shared -> DB::Write ->
//   on failure RecordFailure (healthy = false, mask the keys, back off).
// kSync callers call DB::Write themselves with sync = true; RocksDB's write thread groups
// concurrent callers so that one fsync serves a whole group. kAsync callers append to
// queue_ and the writer thread (WriterLoop) writes up to kMaxBatchBytes per WriteBatch.
//
// Locks, in the order they are taken: recover_mu_ -> gate_ -> db_mu_ -> queue_mu_ ->
// state_mu_. No callback (visitor, log) runs under queue_mu_ or state_mu_.
//  - gate_: writers hold it shared around DB::Write; DeleteAll and recovery hold it
//    exclusively, so that nothing is in flight while they compute the last key, write
//    their deletes, clear the mask or reopen the database. The writer thread holds it
//    shared from popping a batch to finishing its bookkeeping, so DeleteAll never races
//    a batch popped before it cleared the queue. Nobody calls Admit/TryRecover while
//    holding it (TryRecover takes it exclusively).
//  - db_mu_: readers (Read, ForEach, Count, Compact) hold it shared, visitors included
//    (ForEach's runs for the whole scan and may take the caller's locks); a reopen takes
//    it exclusively with try_lock only, backing off when readers are active, so that it
//    never waits on a visitor that waits on a lock its caller holds. db_ is replaced only
//    with both gate_ and db_mu_ held exclusively, so holding either one shared is enough
//    to use db_. db_ is null only after a reopen failed (the tier is then unhealthy and
//    every operation returns kIoError).
//
// The mask. A failed write leaves the disk with an older copy of its keys (or with keys
// a failed delete should have removed), while the caller moves on. masked_ lists such
// keys (mask_all_: everything, after a failed DeleteAll); reads treat them as absent.
// Invariant: a key is masked from the moment its write fails (or is refused while
// unhealthy) until a delete of it has been written. Recovery writes those deletes, under
// the exclusive gate, before anything else, and sets healthy_ only once the mask is
// empty, under state_mu_; a writer that finds the tier unhealthy masks its keys under
// state_mu_ after re-checking healthy_, so no key is added to the mask after recovery
// has emptied it without a later recovery flushing it.
//
// Async read-your-writes. latest_ maps each key with a queued or in-flight operation to
// the newest one; Read consults it before the mask and RocksDB. The writer thread erases
// an entry (if still the newest) only after its batch was written (or, if the write
// failed, after masking the keys), so a reader always finds either the queued value, the
// mask, or the written record.
#pragma once

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "storage/disk_tier.h"
#include "storage/disk_writer_rest.h"

namespace crescent::storage::disk_internal {

inline rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
inline std::string_view ToView(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Options for the reads that decode records: RocksDB's CRC32c checks are skipped, because
// every record read is verified by its own XXH3 checksum and key tag (disk_record.h),
// which cost a fraction of Debian's software CRC32c. Compaction still checks RocksDB's.
inline rocksdb::ReadOptions RecordReadOptions() {
  rocksdb::ReadOptions options;
  options.verify_checksums = false;
  return options;
}

int64_t SteadyNowMs();

// The short, stable text a client may see for a RocksDB failure, and its code.
std::string_view Reason(const rocksdb::Status& s);
StatusCode CodeOf(const rocksdb::Status& s);

// Keys are binary; logs get a printable, bounded rendering.
std::string PrintableKey(std::string_view key);

// Drops records whose expiry has passed, reading only the header's expire_at_ms. With
// BlobDB, RocksDB fetches a blob's value for the filter (FilterBlobByKey is left
// undetermined), so large records expire the same way. One instance serves every
// compaction thread: it only reads the clock and bumps an atomic.
class ExpiryFilter final : public rocksdb::CompactionFilter {
 public:
  explicit ExpiryFilter(const Clock* clock) : clock_(clock) {}
  Decision FilterV2(int level, const rocksdb::Slice& key, ValueType type,
                    const rocksdb::Slice& value, std::string* new_value,
                    std::string* skip_until) const override;
  const char* Name() const override { return "crescent.ExpiryFilter"; }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  const Clock* clock_;
  mutable std::atomic<uint64_t> dropped_{0};
};

// A shared mutex whose exclusive side cannot be starved by a stream of shared holders
// (glibc's rwlock prefers readers): a would-be exclusive holder raises a flag and keeps
// the turnstile while it waits, and shared holders that see the flag queue behind it on
// the turnstile. Without a waiting exclusive holder, shared locking costs one atomic load
// more than the plain rwlock.
class FairSharedMutex {
 public:
  void lock_shared() {
    if (exclusive_waiting_.load(std::memory_order_acquire)) {
      std::lock_guard turn(turnstile_);
    }
    rw_.lock_shared();
  }
  void unlock_shared() { rw_.unlock_shared(); }
  void lock() {
    std::lock_guard turn(turnstile_);
    exclusive_waiting_.store(true, std::memory_order_release);
    rw_.lock();
    exclusive_waiting_.store(false, std::memory_order_release);
  }
  void unlock() { rw_.unlock(); }
  // Exclusive without waiting: false when anyone holds or is taking the lock.
  bool try_lock() {
    std::unique_lock turn(turnstile_, std::try_to_lock);
    return turn.owns_lock() && rw_.try_lock();
  }

 private:
  std::atomic<bool> exclusive_waiting_{false};
  std::mutex turnstile_;
  std::shared_mutex rw_;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One queued write of the async mode. Immutable once queued; shared between queue_,
// latest_ and readers. A Put holds its value either by reference (`pin` keeps the
// caller's bytes alive and unchanged) or as its own copy; the record's header (and its
// checksum) is computed by the writer thread, which hands header and value to RocksDB as
// two slices.
struct PendingOp {
  bool is_delete = false;
  std::string key;
  DiskRecordMeta meta;                // Put only
  std::shared_ptr<const void> pin;    // Put by reference: keeps `pinned` alive
  std::string_view pinned;
  std::string copy;                   // Put by copy
  uint64_t seq = 0;                   // position in the queue, for Flush
  std::string_view value() const { return pin ? pinned : std::string_view(copy); }
  // What the queue bound counts: key plus the record as it will be written.
  size_t bytes() const {
    return key.size() + (is_delete ? 0 : kDiskRecordHeaderSize + value().size());
  }
};
using PendingPtr = std::shared_ptr<const PendingOp>;

}  // namespace crescent::storage::disk_internal

namespace crescent::storage {

class DiskTier::Impl {
 public:
  explicit Impl(const DiskTier::Options& options) : o_(options), filter_(options.clock) {}
  ~Impl();

  Status Open();
  // Bytes of room reserved (0: none); ReleaseRoom gives back what no Put took.
  size_t ReserveRoom(size_t bytes, int64_t wait_ms);
  void ReleaseRoom(size_t bytes);
  // `room`: bytes of a Room taken by this Put (ReserveRoom), given back if not used;
  // always 0 in kSync, where ReserveRoom reserves nothing.
  Status Put(std::string_view key, std::string_view value, const DiskRecordMeta& meta,
             const DiskTier::PutOptions& options, size_t room);
  // `visit` sees the record's value and its (verified) checksum.
  StatusOr<bool> Read(std::string_view key, FunctionRef<void(const DecodedDiskRecord&)> visit);
  Status Delete(std::string_view key);
  Status DeleteAll();
  Status ForEach(
      FunctionRef<void(std::string_view, const DiskRecordMeta&, std::string_view)> visit);
  uint64_t Count();
  Status Flush();
  void DiscardQueueOnClose() {
    std::lock_guard l(queue_mu_);
    discard_queue_on_close_ = true;
  }
  Status Compact();
  DiskTier::Stats GetStats() const;
  bool healthy() const { return healthy_.load(std::memory_order_acquire); }
  Status PutRaw(std::string_view key, std::string_view encoded);
  StatusOr<uint64_t> CountRaw();

 private:
  using Keys = std::span<const std::string_view>;
  using PendingPtr = disk_internal::PendingPtr;
  bool async() const { return o_.mode == DiskTier::Mode::kAsync; }
  void Log(std::string_view line) const {
    if (o_.log) o_.log(line);
  }
  // Logs RocksDB's text and returns a crescent Status with our own.
  Status Convert(const rocksdb::Status& s, std::string_view what) const;
  Status Unavailable() const;

  // --- disk_tier.cpp: corrupt records ---
  void DropCorrupt(std::string_view key, std::string_view why);
  // Whether the record now under `key` still fails verification.
  bool StillCorrupt(std::string_view key);

  // --- disk_tier_recovery.cpp: health and mask ---
  // Admit, then DB::Write under the shared gate; a failure is recorded.
  Status Write(rocksdb::WriteBatch* batch, Keys keys, std::string_view what);
  // Ok when the caller may write now (healthy, or just recovered). Otherwise masks
  // `keys` (everything when `all`) and returns kIoError.
  Status Admit(Keys keys, bool all);
  // kAsync's Put and Delete: true (and `keys` masked) when the tier is unhealthy and
  // still backing off; after the back-off the op is queued and the writer recovers.
  bool FailFast(Keys keys);
  // One thread at a time, once the back-off has passed. Returns whether healthy.
  bool TryRecover();
  bool ProbeDirectory();
  rocksdb::Status Reopen();
  Status RecordFailure(const rocksdb::Status& s, Keys keys, bool all, std::string_view what);
  void BackOff(const rocksdb::Status& s, std::string_view what);
  void MaskLocked(Keys keys, bool all);
  Status UnavailableLocked() const;
  bool IsMasked(std::string_view key) const;
  // REQUIRES: gate_ held exclusively.
  rocksdb::Status AddDeleteEverything(rocksdb::WriteBatch* batch);

  // --- disk_tier_async.cpp ---
  Status PutAsync(std::string_view key, std::string_view value, const DiskRecordMeta& meta,
                  const DiskTier::PutOptions& options, size_t room);
  // REQUIRES: queue_mu_ held. Queues a delete of `key` unless the newest queued op of the
  // key already is one (that delete leaves the disk without the key all the same).
  void EnqueueDeleteLocked(std::string_view key);
  // REQUIRES: l holds queue_mu_. Whether `need` bytes fit in the queue now, or (wait_ms
  // > 0) within wait_ms; may release l while waiting. Non-waiting callers get no room
  // while anyone waits. With `may_write` (the caller holds no lock of its own) the caller
  // writes batches itself while it waits and no batch is in flight (WriteNextBatch).
  bool WaitForRoomLocked(std::unique_lock<std::mutex>& l, size_t need, int64_t wait_ms,
                         bool may_write);
  // Writes the next batch of the queue (up to kMaxBatchBytes), on the calling thread;
  // false, having written nothing, when another batch is in flight or the queue is empty.
  // `batch` is the caller's buffer (it may be replaced). REQUIRES: the caller holds
  // neither gate_ nor queue_mu_, nor any lock that releasing a pin takes.
  bool WriteNextBatch(std::unique_ptr<rocksdb::WriteBatch>& batch);
  // Lowers the calling thread's CPU priority (nice kDiskTierNice).
  static void LowerThisThreadPriority();
  Status DeleteAsync(std::string_view key);
  void EnqueueLocked(std::shared_ptr<disk_internal::PendingOp> op);
  void ClearQueueLocked();
  PendingPtr FindQueued(std::string_view key) const;
  void WriterLoop();
  // After a batch: rests while the CPU is contended (ContendedRest), unless someone
  // waits on the queue.
  void RestIfContended(const disk_internal::ThreadUsage& before,
                       const disk_internal::ThreadUsage& after);
  void FlushQueue();


  const DiskTier::Options& o_;
  disk_internal::ExpiryFilter filter_;  // before db_: RocksDB uses it until db_ is closed
  rocksdb::Options db_options_;         // as opened; reused by Reopen
  std::shared_ptr<rocksdb::Statistics> statistics_;
  std::unique_ptr<rocksdb::DB> db_;     // see db_mu_ above
  rocksdb::WriteOptions write_options_;

  std::atomic<uint64_t> reads_{0}, read_hits_{0}, writes_{0}, bytes_written_{0},
      bytes_read_{0}, deletes_{0}, async_dropped_{0}, write_errors_{0}, corruptions_{0},
      writer_rests_{0}, writer_rest_us_{0}, helped_batches_{0};

  // Health. healthy_, retry_at_ms_ and any_masked_ are written under state_mu_ and may be
  // read without it (fast paths that re-check under the lock before acting).
  std::atomic<bool> healthy_{true};
  std::atomic<int64_t> retry_at_ms_{0};  // steady clock: when a write may try to recover
  std::atomic<bool> any_masked_{false};  // masked_ non-empty or mask_all_
  mutable std::mutex state_mu_;
  std::unordered_set<std::string, disk_internal::StringHash, std::equal_to<>>
      masked_;              // GUARDED_BY(state_mu_)
  bool mask_all_ = false;   // GUARDED_BY(state_mu_)
  std::string last_error_;  // GUARDED_BY(state_mu_)
  std::mutex recover_mu_;   // one recovery attempt at a time (try_lock only)
  disk_internal::FairSharedMutex gate_;
  mutable disk_internal::FairSharedMutex db_mu_;

  // Async queue: all GUARDED_BY(queue_mu_).
  mutable std::mutex queue_mu_;
  std::condition_variable work_cv_;     // queue_ non-empty, or stopping_
  std::condition_variable drained_cv_;  // completed_seq_ advanced
  std::condition_variable rest_cv_;     // stopping_, room_waiters_ or flush_waiters_ rose
  std::deque<PendingPtr> queue_;
  std::unordered_map<std::string, PendingPtr, disk_internal::StringHash, std::equal_to<>>
      latest_;
  size_t pending_ops_ = 0;      // queued plus in flight
  size_t pending_bytes_ = 0;    // their bytes
  size_t reserved_bytes_ = 0;   // room held (not in the queue): Rooms, and Puts copying
                                // their value
  size_t room_waiters_ = 0;     // Puts waiting for room (PutOptions::wait_ms)
  size_t flush_waiters_ = 0;    // Flush calls waiting for the queue to drain
  // A batch is being written (by the writer or a helper): batches go one at a time, so
  // they reach RocksDB in queue order. Set and cleared with gate_ held shared.
  bool batch_in_flight_ = false;
  uint64_t enqueued_seq_ = 0;   // seq of the last op queued
  uint64_t completed_seq_ = 0;  // every op up to this seq has been attempted
  bool stopping_ = false;
  bool discard_queue_on_close_ = false;  // GUARDED_BY(queue_mu_): SHUTDOWN NOSAVE
  std::thread writer_;
};

}  // namespace crescent::storage
