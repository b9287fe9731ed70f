// DiskTier: the SSD tier, one RocksDB database per node that keeps what memory cannot.
//
// The store demotes evicted objects to it (Put), reads it on a memory miss (Get/Read),
// forgets objects when they are deleted (Delete, DeleteAll) and reloads it after a
// restart (ForEach). Values at least `blob_threshold` bytes go to BlobDB's blob files, so
// that compactions move small index entries rather than megabytes of KV-cache tensors.
// Each value is stored as a DiskRecord (storage/disk_record.h): a header with pins,
// expiry, version and an XXH3-64 checksum of the bytes, which every read verifies.
//
// Modes.
//  - kSync: Put/Delete/DeleteAll return once the write-ahead log has the write and it is
//    fsynced. Concurrent callers share fsyncs: RocksDB's write thread makes the first
//    waiting writer the leader of a group, which appends every member's batch to the WAL,
//    fsyncs once and wakes the others (group commit; stats().wal_syncs counts the
//    fsyncs).
//  - kAsync: Put queues key and value in a bounded queue (async_queue_bytes) and
//    returns; one background thread writes the queue in batches (WAL written, not
//    fsynced: a machine crash may lose the last writes, a process crash does not). Put
//    copies the value, unless the caller passes a pin (PutOptions::pin) that keeps its
//    bytes alive: then the value is queued by reference and nothing is copied or
//    checksummed on the caller's thread (the writer thread computes the record's
//    checksum and RocksDB's write batch makes the only copy). When the queue is full,
//    Put returns kBusy at once (or after waiting up to PutOptions::wait_ms for room, which
//    waiting Puts get before non-waiting ones) and counts stats().async_dropped: the
//    object was NOT written and the caller must keep it in memory. A refused Put also
//    queues a delete of the key (deletes are never refused; one is enough while it is
//    the key's newest queued op), so the disk never keeps a copy older than the one the
//    caller holds. Get/Read see queued writes (read-your-writes); ForEach and Count see
//    only what has reached RocksDB (Flush first). Ok from an async Put means "queued",
//    not "on disk": if the later write fails the object is lost from the tier (counted
//    in async_dropped), which a cache allows.
//    The writer thread runs at nice 19 and RocksDB's flush and compaction threads under
//    SCHED_IDLE, and a writer that was preempted during a batch rests afterwards, so that
//    it takes at most Options::contended_cpu_share of a core while the CPU is contended
//    (storage/disk_writer_rest.h): the disk tier takes the CPU the request path leaves.
//    Under a load that saturates the CPU, fewer writes reach the disk (more are refused)
//    rather than every request slowing down; when the load eases, the queue drains at
//    full speed. A thread that needs room (ReserveRoom: a demotion) does not depend on
//    that starved writer: while it waits and no batch is in flight, it writes the next
//    batch itself at its own priority (Stats::helped_batches). Batches are written one
//    at a time, in queue order, whoever writes them.
//
// Faults. A failed write (disk full, I/O error) sets healthy to false, records
// last_error and counts write_errors. While unhealthy every write returns kIoError
// ("disk tier unavailable: no space left on device") without touching the disk, until
// `retry_interval_ms` has passed; then the next write attempts recovery: once a probe
// file in `dir` takes a synced write, the database is closed and reopened (never
// resumed: RocksDB 7.8 reuses the file writer that saw the error, and its next append
// asserts), and the tier is healthy again. RocksDB's own automatic resume is off.
// Reads keep working meanwhile. Keys whose write or delete failed are masked, so that
// no reader sees the stale copy the disk still holds: Get/Read treat them as absent and
// ForEach skips them until the recovery writes deletes for them (a failed DeleteAll
// masks everything in the same way). The mask lives in memory: a restart while the disk
// is still failing can bring such a stale copy back.
//
// Corruption. A record whose checksum or header does not verify is never returned: it
// is deleted, counted (stats().corruptions), reported through Options::log, and the read
// returns "absent". Expired records (expire_at_ms <= clock now) are absent to Get, Read
// and ForEach, and a compaction filter drops them physically.
//
// Errors: RocksDB's statuses are converted here; callers get crescent codes (kIoError,
// kCorruption, kInvalidArgument, kBusy, kInternal) with short texts of this file, never
// RocksDB's text, which goes to Options::log only.
//
// Thread-safe: every public method may be called from any thread, concurrently.
// Ownership: the tier owns the RocksDB instance and its background thread; Options::clock
// and Options::env must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/function_ref.h"
#include "common/status.h"
#include "storage/disk_record.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace crescent::storage {

class DiskTier {
  class Impl;

 public:
  enum class Mode : uint8_t { kAsync, kSync };
  enum class Compression : uint8_t { kNone, kLz4, kZstd };

  struct Options {
    std::string dir;  // created (with its parents) when missing
    Mode mode = Mode::kAsync;
    // Values of at least this many bytes go to blob files. > 0.
    size_t blob_threshold = 64 * 1024;
    // KV-cache tensors do not compress, so both are off by default.
    Compression blob_compression = Compression::kNone;
    Compression sst_compression = Compression::kNone;
    // kAsync: bytes (keys plus records: header and value) queued or being written,
    // whether copied or pinned. > 0.
    size_t async_queue_bytes = 64ull << 20;
    // kAsync: the most of one core the writer thread takes while the CPU is contended
    // (it was preempted during its last batch): after such a batch it rests for
    // (1 - share) / share times the batch's CPU time (at most 100 ms), or until a Put
    // waits for room, a Flush or the shutdown. In (0, 1]; 1: it never rests.
    double contended_cpu_share = 0.05;
    // RocksDB's memtable size (also how much WAL RocksDB preallocates).
    size_t memtable_bytes = 64ull << 20;
    // How long an unhealthy tier refuses writes before the next write tries to recover.
    int64_t retry_interval_ms = 1000;
    // Wall clock for expiry (Get and the compaction filter). Required.
    const Clock* clock = nullptr;
    // Receives one line per notable event (corruption, write failure, recovery), with
    // RocksDB's own text where there is one. Called from any thread, so it must be
    // thread-safe. Empty: events are dropped.
    std::function<void(std::string_view)> log;
    // Test hook: an Env whose file system injects faults. Null: RocksDB's default.
    rocksdb::Env* env = nullptr;
  };

  struct Stats {
    uint64_t reads = 0;          // Get/Read calls
    uint64_t read_hits = 0;      // ... that found a live record
    uint64_t writes = 0;         // records written to RocksDB
    uint64_t bytes_written = 0;  // value bytes of those records
    uint64_t bytes_read = 0;     // value bytes returned by hits
    uint64_t deletes = 0;        // Delete calls written to RocksDB
    size_t queue_depth = 0;      // kAsync: operations queued or being written
    size_t queue_bytes = 0;      // kAsync: their bytes
    uint64_t async_dropped = 0;  // kAsync: Puts refused (kBusy, kIoError) or lost by a
                                 // failed write
    uint64_t write_errors = 0;   // RocksDB writes that failed
    uint64_t corruptions = 0;    // records that failed verification (deleted)
    uint64_t expired_compacted = 0;  // expired records dropped by compactions
    uint64_t wal_syncs = 0;      // fsyncs of the write-ahead log (RocksDB's WAL_FILE_SYNCED)
    uint64_t writer_rests = 0;   // kAsync: rests of the writer under CPU contention
    uint64_t helped_batches = 0;  // kAsync: batches written by threads waiting for room
    uint64_t writer_rest_us = 0; // ... and their total length
    size_t masked_keys = 0;      // keys hidden after a failed write (SIZE_MAX: all)
    bool healthy = true;
    std::string last_error;      // empty until the first failure
  };

  // kInvalidArgument for bad options (no dir, no clock, zero sizes, a compression this
  // RocksDB build lacks); kIoError when the directory cannot be created or the database
  // cannot be opened (e.g. another process holds it); kCorruption when it is damaged.
  static StatusOr<std::unique_ptr<DiskTier>> Open(const Options& options);
  // Writes everything still queued (kAsync), stops the writer thread, closes RocksDB.
  ~DiskTier();
  DiskTier(const DiskTier&) = delete;
  DiskTier& operator=(const DiskTier&) = delete;

  // Room in the async queue held for one later Put (ReserveRoom): until a Put takes it or
  // it is destroyed, no other write can use it. Destroying it gives back what no Put took.
  // REQUIRES: destroyed before the tier.
  class Room {
   public:
    Room() = default;
    Room(Room&& other) noexcept;
    Room& operator=(Room&& other) noexcept;
    ~Room();
    // Bytes held (key, record header and value); 0 when none (kSync, or no room came).
    size_t bytes() const { return bytes_; }

   private:
    friend class DiskTier;
    Room(Impl* impl, size_t bytes) : impl_(impl), bytes_(bytes) {}
    void Release();
    Impl* impl_ = nullptr;
    size_t bytes_ = 0;
  };

  // How Put may take the value (kAsync; kSync writes before it returns and ignores them).
  struct PutOptions {
    // Keeps `value`'s bytes alive and unchanged until it is destroyed (for instance
    // ValueView::Pin()). With it the value is queued by reference, not copied; the tier
    // drops the pin once the write was attempted (or refused). Null: Put copies.
    std::shared_ptr<const void> pin;
    // When the queue is full, wait up to this long for room before refusing with kBusy.
    // For writes that must not be lost, such as demotions of evicted objects. The caller
    // may hold its own locks: the writer thread takes none of them. 0: refuse at once.
    int64_t wait_ms = 0;
    // Room reserved for this Put. When it holds enough, the Put is queued without any
    // further check or wait, and takes the room (what is left over is given back);
    // otherwise it is given back first and the Put proceeds as without it.
    Room* room = nullptr;
  };

  // Stores `value` under `key`, replacing any older record.
  // kSync: Ok once durable. kAsync: Ok once queued; kBusy when the queue is full.
  // Both: kIoError while the tier is unhealthy.
  Status Put(std::string_view key, std::string_view value, const DiskRecordMeta& meta);
  Status Put(std::string_view key, std::string_view value, const DiskRecordMeta& meta,
             const PutOptions& options);

  // kAsync: waits up to `wait_ms` until the queue has room for a Put of `bytes` of key
  // plus value, and holds that room for it (PutOptions::room); an empty Room when none
  // came in time. While it waits it writes queued batches itself when no other is in
  // flight. kSync: an empty Room at once (a sync Put needs none). For a caller that
  // waits before taking locks of its own, then Puts under them without waiting again.
  // REQUIRES: the caller holds no lock that releasing a PutOptions::pin takes (the
  // memory pool's), nor any lock of a visitor of Read or ForEach.
  Room ReserveRoom(size_t bytes, int64_t wait_ms);

  // The live record under `key` (copied), or nullopt when absent, expired, masked or
  // corrupt. An error only when RocksDB cannot be read (kIoError).
  StatusOr<std::optional<DiskRecord>> Get(std::string_view key);
  // Like Get without the copy: calls `visit` with a view of the value that is valid only
  // during the call (e.g. to copy it straight into the memory pool). Returns whether it did.
  // REQUIRES: `visit` does not call this tier (it runs under the tier's read lock). It
  // may take the caller's own locks.
  StatusOr<bool> Read(std::string_view key,
                      FunctionRef<void(const DiskRecordMeta&, std::string_view)> visit);

  // Removes `key`. Readers stop seeing it at once, even when this returns kIoError (the
  // key is then masked). kSync: Ok once durable. kAsync: Ok once queued (never kBusy).
  // Both: kIoError while the tier is unhealthy.
  Status Delete(std::string_view key);
  // Removes every record, including queued writes; a write that races with it may or
  // may not survive. Synchronous in both modes.
  Status DeleteAll();

  // Visits every live record in key order, for a restart: skips expired, masked and
  // corrupt records (the corrupt ones are deleted and counted). `value` is valid only
  // during the call. Does not see writes still queued. REQUIRES: `visit` does not call
  // this tier (as for Read).
  Status ForEach(
      FunctionRef<void(std::string_view key, const DiskRecordMeta&, std::string_view value)>
          visit);

  // RocksDB's estimate of the number of records (includes expired and deleted ones
  // until compaction drops them).
  uint64_t Count() const;

  // kAsync: waits until every write queued before the call has been attempted.
  // Returns kIoError when the tier is unhealthy afterwards. kSync: just the health.
  Status Flush();
  // SHUTDOWN NOSAVE: at close, the async writes not yet attempted are dropped instead
  // of written (async persistence promises no durability). Any thread.
  void DiscardQueueOnClose();

  // A full manual compaction: expired records and deleted values go now rather than
  // eventually. For tests and administration; blocks until done.
  Status Compact();

  Stats GetStats() const;
  bool healthy() const;
  Mode mode() const { return options_.mode; }

  // Test-only: writes `encoded` as the raw RocksDB value of `key`, bypassing the
  // encoding (to plant corrupt records).
  Status PutRawForTest(std::string_view key, std::string_view encoded);
  // Test-only: counts the keys RocksDB still holds, with no expiry, mask or checksum
  // check (to see what compaction removed physically).
  StatusOr<uint64_t> CountRawForTest();

 private:
  explicit DiskTier(const Options& options);

  Options options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crescent::storage
