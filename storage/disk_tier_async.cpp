// DiskTier, kAsync: the bounded queue and the one thread that writes it.
//
// Put encodes the record (the copy that lets the caller free its buffer) outside any
// lock, then appends it under queue_mu_ if its bytes fit in async_queue_bytes. The
// bound counts every op from enqueue until its batch has been written, so memory held
// by the tier never exceeds it by more than the (never refused) deletes' keys. The
// writer takes up to kMaxBatchBytes of ops per WriteBatch (WAL written, not fsynced).
// See disk_tier_impl.h for how this interacts with DeleteAll (the gate) and with reads
// (latest_).
#include <algorithm>
#include <sys/resource.h>
#include <unistd.h>
#include <cstdlib>
#include <vector>

#include "storage/disk_tier_impl.h"

namespace crescent::storage {

using namespace disk_internal;

namespace {

// At most this many bytes per WriteBatch (at least one op), so that entries leave
// latest_ and the queue's bytes are released progressively.
constexpr size_t kMaxBatchBytes = 4u << 20;

Status Closing() { return Status(StatusCode::kInternal, "disk tier is closing"); }

}  // namespace

Status DiskTier::Impl::PutAsync(std::string_view key, std::string_view value,
                                const DiskRecordMeta& meta) {
  const std::string_view keys[] = {key};
  if (FailFast(keys)) {
    async_dropped_.fetch_add(1, std::memory_order_relaxed);
    return Unavailable();
  }
  auto op = std::make_shared<PendingOp>();
  op->key = std::string(key);
  // A full queue refuses the write: find that out before paying for the encoding (a copy
  // and a checksum of the whole value), which a refused write would throw away.
  bool refused = false;
  {
    std::lock_guard l(queue_mu_);
    refused = pending_bytes_ + key.size() + kDiskRecordHeaderSize + value.size() >
              o_.async_queue_bytes;
  }
  if (!refused) op->encoded = EncodeDiskRecord(meta, value);
  {
    std::lock_guard l(queue_mu_);
    if (stopping_) return Closing();
    if (refused || pending_bytes_ + op->bytes() > o_.async_queue_bytes) {
      // Not written: queue a delete instead, so that an older copy on disk cannot
      // outlive the one the caller keeps in memory.
      refused = true;
      op->is_delete = true;
      op->encoded = std::string();
    }
    EnqueueLocked(std::move(op));
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
  auto op = std::make_shared<PendingOp>();
  op->is_delete = true;
  op->key = std::string(key);
  {
    std::lock_guard l(queue_mu_);
    if (stopping_) return Closing();
    EnqueueLocked(std::move(op));  // deletes are never refused
  }
  work_cv_.notify_one();
  return Status::Ok();
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
  if (getenv("H4_NICE")) setpriority(PRIO_PROCESS, gettid(), 19);
  for (;;) {
    {
      std::unique_lock l(queue_mu_);
      work_cv_.wait(l, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything was written
    }
    bool admitted = healthy() || TryRecover();

    std::shared_lock gate(gate_);
    std::vector<PendingPtr> ops;
    size_t batch_bytes = 0;
    {
      std::lock_guard l(queue_mu_);
      while (!queue_.empty() &&
             (ops.empty() || batch_bytes + queue_.front()->bytes() <= kMaxBatchBytes)) {
        batch_bytes += queue_.front()->bytes();
        ops.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (ops.empty()) continue;  // DeleteAll emptied the queue meanwhile
    std::vector<std::string_view> keys;
    keys.reserve(ops.size());
    size_t puts = 0, put_bytes = 0, dels = 0;
    for (const PendingPtr& op : ops) {
      keys.push_back(op->key);
      if (op->is_delete) {
        ++dels;
      } else {
        ++puts;
        put_bytes += op->encoded.size() - kDiskRecordHeaderSize;
      }
    }
    if (!admitted) {
      std::lock_guard l(state_mu_);
      admitted = healthy_.load(std::memory_order_relaxed);
      if (!admitted) MaskLocked(keys, false);  // refused while backing off
    }
    bool written = false;
    if (admitted) {
      rocksdb::WriteBatch batch;
      rocksdb::Status rs;
      for (const PendingPtr& op : ops) {
        if (!rs.ok()) break;
        rs = op->is_delete ? batch.Delete(op->key) : batch.Put(op->key, op->encoded);
      }
      if (rs.ok()) {
        rs = db_ ? db_->Write(write_options_, &batch) : rocksdb::Status::IOError("database closed");
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
    {
      std::lock_guard l(queue_mu_);
      for (const PendingPtr& op : ops) {
        auto it = latest_.find(op->key);
        if (it != latest_.end() && it->second == op) latest_.erase(it);
        pending_ops_ -= 1;
        pending_bytes_ -= op->bytes();
      }
      completed_seq_ = std::max(completed_seq_, ops.back()->seq);
    }
    drained_cv_.notify_all();
  }
}

void DiskTier::Impl::FlushQueue() {
  std::unique_lock l(queue_mu_);
  const uint64_t target = enqueued_seq_;
  drained_cv_.wait(l, [&] { return completed_seq_ >= target; });
}

}  // namespace crescent::storage
