// DiskTier, kAsync: the bounded queue and the one thread that writes it.
//
// Put queues the value by reference when the caller pins it (PutOptions::pin), else it
// copies it outside any lock of the tier (with its room reserved meanwhile); either way
// only if key, header and value fit in async_queue_bytes. Nothing else happens on the
// caller's thread: the writer thread computes each record's header (and the value's
// checksum, the one pass over the bytes besides RocksDB's copy) and hands header and
// value to the WriteBatch as two slices. The bound counts every op from enqueue until
// its batch has been written, so memory held by the tier (copies, or pool memory kept
// by pins) never exceeds it by more than the (never refused, and coalesced) deletes'
// keys. The writer takes up to kMaxBatchBytes of ops per WriteBatch (WAL written, not
// fsynced), runs at nice 19 and, when it was preempted during a batch, rests before the
// next (storage/disk_writer_rest.h). See disk_tier_impl.h for how this interacts with
// DeleteAll (the gate) and with reads (latest_).
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "storage/disk_tier_impl.h"

namespace crescent::storage {

using namespace disk_internal;

namespace {

// At most this many bytes per WriteBatch (at least one op), so that entries leave
// latest_ and the queue's bytes are released progressively.
constexpr size_t kMaxBatchBytes = 4u << 20;
// The writer's WriteBatch keeps a buffer of this size for its life.
constexpr size_t kBatchBuffer = kMaxBatchBytes + (64u << 10);

// The writer thread's nice value (RocksDB's flush and compaction threads run under
// SCHED_IDLE: disk_tier.cpp, Open).
constexpr int kDiskTierNice = 19;

Status Closing() { return Status(StatusCode::kInternal, "disk tier is closing"); }

}  // namespace

void DiskTier::Impl::LowerThisThreadPriority() {
  // Linux: the nice value is per thread. Raising it needs no privilege; a failure only
  // leaves the normal priority. Not SCHED_IDLE, as RocksDB's threads: this thread takes
  // locks that request threads wait for (the queue's, the memory pool's when a pin is
  // released), and an idle-class thread preempted while holding one stalls them until
  // the CPU goes idle.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kDiskTierNice);
}

bool DiskTier::Impl::WaitForRoomLocked(std::unique_lock<std::mutex>& l, size_t need,
                                       int64_t wait_ms, bool may_write) {
  if (need > o_.async_queue_bytes) return false;  // would never fit
  auto fits = [&] { return pending_bytes_ + reserved_bytes_ + need <= o_.async_queue_bytes; };
  // Waiting Puts (demotions) get the room first.
  if (wait_ms <= 0) return room_waiters_ == 0 && fits();
  ++room_waiters_;
  rest_cv_.notify_one();  // a resting writer resumes
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  bool room = false;
  for (;;) {
    if (stopping_) break;
    if (fits()) {
      room = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (may_write && !batch_in_flight_ && !queue_.empty()) {
      // The caller writes the next batch itself, at its own priority: a thread that
      // needs room does not wait for a writer that rests or that a busy CPU starves
      // (nice 19). Batches still go one at a time, in queue order.
      l.unlock();
      auto batch = std::make_unique<rocksdb::WriteBatch>();
      const bool wrote = WriteNextBatch(batch);
      l.lock();
      if (wrote) helped_batches_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    (void)drained_cv_.wait_until(l, deadline);
  }
  --room_waiters_;
  return room;
}

size_t DiskTier::Impl::ReserveRoom(size_t bytes, int64_t wait_ms) {
  if (!async()) return 0;
  const size_t need = bytes + kDiskRecordHeaderSize;
  std::unique_lock l(queue_mu_);
  if (stopping_ || !WaitForRoomLocked(l, need, wait_ms, /*may_write=*/true)) return 0;
  reserved_bytes_ += need;
  return need;
}

void DiskTier::Impl::ReleaseRoom(size_t bytes) {
  {
    std::lock_guard l(queue_mu_);
    reserved_bytes_ -= bytes;
  }
  drained_cv_.notify_all();
}

Status DiskTier::Impl::PutAsync(std::string_view key, std::string_view value,
                                const DiskRecordMeta& meta, const DiskTier::PutOptions& options,
                                size_t room) {
  const std::string_view keys[] = {key};
  if (FailFast(keys)) {
    if (room > 0) ReleaseRoom(room);
    async_dropped_.fetch_add(1, std::memory_order_relaxed);
    return Unavailable();
  }
  auto op = std::make_shared<PendingOp>();
  op->key = std::string(key);
  op->meta = meta;
  const bool by_reference = options.pin != nullptr;
  if (by_reference) {
    op->pin = options.pin;
    op->pinned = value;
  }
  const size_t need = key.size() + kDiskRecordHeaderSize + value.size();
  bool refused = false;
  {
    std::unique_lock l(queue_mu_);
    // The room is given back first: either the Put is queued in it (the queue's bytes
    // then count it) or it was too small and the Put competes as if it had none.
    reserved_bytes_ -= room;
    if (room > 0 && room != need) drained_cv_.notify_all();
    if (stopping_) return Closing();
    // No batch is written here: the caller may hold locks that a pin's release needs.
    refused = room < need && !WaitForRoomLocked(l, need, options.wait_ms, /*may_write=*/false);
    if (!refused && !by_reference) {
      // Copy without the lock, the room reserved meanwhile: a full queue was found out
      // before paying for the copy, which a refused write would throw away.
      reserved_bytes_ += need;
      l.unlock();
      op->copy.assign(value);
      l.lock();
      reserved_bytes_ -= need;
      if (stopping_) return Closing();
    }
    if (refused) {
      // Not written: queue a delete instead, so that an older copy on disk cannot
      // outlive the one the caller keeps in memory.
      EnqueueDeleteLocked(key);
    } else {
      EnqueueLocked(std::move(op));
    }
  }
  work_cv_.notify_one();
  if (refused) {
    async_dropped_.fetch_add(1, std::memory_order_relaxed);
    return Status(StatusCode::kBusy, "disk tier write queue is full");
  }
  return Status::Ok();
}

Status DiskTier::Impl::DeleteAsync(std::string_view key) {
  const std::string_view keys[] = {key};
  if (FailFast(keys)) return Unavailable();
  {
    std::lock_guard l(queue_mu_);
    if (stopping_) return Closing();
    EnqueueDeleteLocked(key);  // deletes are never refused
  }
  work_cv_.notify_one();
  return Status::Ok();
}

void DiskTier::Impl::EnqueueDeleteLocked(std::string_view key) {
  // The newest op of the key is a delete (queued, or in flight: if that write fails the
  // key is masked until a delete of it is written): after it the disk holds nothing for
  // the key, and nothing newer is queued. A second delete would change nothing.
  if (auto it = latest_.find(key); it != latest_.end() && it->second->is_delete) return;
  auto op = std::make_shared<PendingOp>();
  op->is_delete = true;
  op->key = std::string(key);
  EnqueueLocked(std::move(op));
}

void DiskTier::Impl::EnqueueLocked(std::shared_ptr<PendingOp> op) {
  op->seq = ++enqueued_seq_;
  pending_ops_ += 1;
  pending_bytes_ += op->bytes();
  PendingPtr shared = std::move(op);
  if (auto it = latest_.find(shared->key); it != latest_.end()) {
    it->second = shared;
  } else {
    latest_.emplace(shared->key, shared);
  }
  queue_.push_back(std::move(shared));
}

// REQUIRES: gate_ held exclusively (no batch in flight), queue_mu_ held.
void DiskTier::Impl::ClearQueueLocked() {
  queue_.clear();
  latest_.clear();
  pending_ops_ = 0;
  pending_bytes_ = 0;
  completed_seq_ = enqueued_seq_;
}

PendingPtr DiskTier::Impl::FindQueued(std::string_view key) const {
  std::lock_guard l(queue_mu_);
  auto it = latest_.find(key);
  return it == latest_.end() ? nullptr : it->second;
}

void DiskTier::Impl::WriterLoop() {
  LowerThisThreadPriority();
  (void)::pthread_setname_np(::pthread_self(), "disk-writer");
  // One batch for the thread's life: Clear keeps its buffer, so the usual batch does not
  // fault in fresh pages every time (with 64 KiB values that was a third of the thread's
  // CPU). A batch grown past that size by one large value is not kept.
  auto batch = std::make_unique<rocksdb::WriteBatch>(kBatchBuffer);
  for (;;) {
    {
      std::unique_lock l(queue_mu_);
      work_cv_.wait(l, [&] { return !batch_in_flight_ && (!queue_.empty() || stopping_); });
      if (queue_.empty()) return;  // stopping, and everything was written
      if (stopping_ && discard_queue_on_close_) return;  // SHUTDOWN NOSAVE
    }
    const ThreadUsage before = ThreadUsage::OfThisThread();
    if (!WriteNextBatch(batch)) continue;  // emptied by DeleteAll, or a helper's turn
    RestIfContended(before, ThreadUsage::OfThisThread());
  }
}

bool DiskTier::Impl::WriteNextBatch(std::unique_ptr<rocksdb::WriteBatch>& batch) {
  bool admitted = healthy() || TryRecover();

  std::shared_lock gate(gate_);  // released on return: DeleteAll never waits for a rest
  std::vector<PendingPtr> ops;
  size_t batch_bytes = 0;
  {
    std::lock_guard l(queue_mu_);
    if (batch_in_flight_) return false;
    while (!queue_.empty() &&
           (ops.empty() || batch_bytes + queue_.front()->bytes() <= kMaxBatchBytes)) {
      batch_bytes += queue_.front()->bytes();
      ops.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (ops.empty()) return false;  // DeleteAll emptied the queue meanwhile
    batch_in_flight_ = true;
  }
  std::vector<std::string_view> keys;
  keys.reserve(ops.size());
  size_t puts = 0, put_bytes = 0, dels = 0;
  for (const PendingPtr& op : ops) {
    keys.push_back(op->key);
    if (op->is_delete) {
      ++dels;
    } else {
      ++puts;
      put_bytes += op->value().size();
    }
  }
  if (!admitted) {
    std::lock_guard l(state_mu_);
    admitted = healthy_.load(std::memory_order_relaxed);
    if (!admitted) MaskLocked(keys, false);  // refused while backing off
  }
  bool written = false;
  if (admitted) {
    batch->Clear();
    rocksdb::Status rs;
    for (const PendingPtr& op : ops) {
      if (!rs.ok()) break;
      if (op->is_delete) {
        rs = batch->Delete(op->key);
        continue;
      }
      // Header and value as two slices: the batch's copy is the only one.
      char header[kDiskRecordHeaderSize];
      EncodeDiskRecordHeader(op->meta, op->key, op->value(), header);
      const rocksdb::Slice key_part = ToSlice(op->key);
      const rocksdb::Slice value_parts[] = {rocksdb::Slice(header, sizeof header),
                                            ToSlice(op->value())};
      rs = batch->Put(rocksdb::SliceParts(&key_part, 1), rocksdb::SliceParts(value_parts, 2));
    }
    if (rs.ok()) {
      rs = db_ ? db_->Write(write_options_, batch.get())
               : rocksdb::Status::IOError("database closed");
    }
    if (batch->GetDataSize() > kBatchBuffer) {
      batch = std::make_unique<rocksdb::WriteBatch>(kBatchBuffer);
    }
    if (rs.ok()) {
      written = true;
    } else {
      (void)RecordFailure(rs, keys, false, "async write");
    }
  }
  if (written) {
    writes_.fetch_add(puts, std::memory_order_relaxed);
    bytes_written_.fetch_add(put_bytes, std::memory_order_relaxed);
    deletes_.fetch_add(dels, std::memory_order_relaxed);
  } else {
    async_dropped_.fetch_add(puts, std::memory_order_relaxed);
  }
  const uint64_t last_seq = ops.back()->seq;
  const size_t done_ops = ops.size();
  size_t done_bytes = 0;
  {
    std::lock_guard l(queue_mu_);
    for (const PendingPtr& op : ops) {
      auto it = latest_.find(op->key);
      if (it != latest_.end() && it->second == op) latest_.erase(it);
      done_bytes += op->bytes();
    }
  }
  // The ops go (with their pins and copies, unless a reader still holds one) before
  // their room is given back and before Flush returns, and not under queue_mu_: a pin's
  // release frees pool memory under the pool's own lock.
  keys.clear();
  ops.clear();
  {
    std::lock_guard l(queue_mu_);
    pending_ops_ -= done_ops;
    pending_bytes_ -= done_bytes;
    completed_seq_ = std::max(completed_seq_, last_seq);
    batch_in_flight_ = false;
  }
  drained_cv_.notify_all();
  work_cv_.notify_one();  // the writer, if a helper wrote this batch
  return true;
}

void DiskTier::Impl::RestIfContended(const ThreadUsage& before, const ThreadUsage& after) {
  const auto rest = ContendedRest(before, after, o_.contended_cpu_share);
  if (rest.count() == 0) return;
  const auto start = std::chrono::steady_clock::now();
  {
    std::unique_lock l(queue_mu_);
    // Someone waiting on the queue (a demotion for room, Flush, shutdown) ends the rest.
    rest_cv_.wait_for(l, rest,
                      [&] { return stopping_ || room_waiters_ > 0 || flush_waiters_ > 0; });
  }
  writer_rests_.fetch_add(1, std::memory_order_relaxed);
  writer_rest_us_.fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count(),
                            std::memory_order_relaxed);
}

void DiskTier::Impl::FlushQueue() {
  std::unique_lock l(queue_mu_);
  const uint64_t target = enqueued_seq_;
  ++flush_waiters_;
  rest_cv_.notify_one();
  drained_cv_.wait(l, [&] { return completed_seq_ >= target; });
  --flush_waiters_;
}

}  // namespace crescent::storage
