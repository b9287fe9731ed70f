// DiskTier: RocksDB status conversion, the health state, the mask of keys whose disk
// copy is stale, and recovery. See disk_tier_impl.h for the locking and the mask's
// invariant.
//
// How RocksDB 7.8 behaves after a failed write (seen with a fault-injecting file system
// and a full tmpfs, see disk_tier_test.cpp):
//  - ENOSPC: the database stops taking writes ("background error") and its
//    SstFileManager retries the recovery itself, every 5 s while space is short; a manual
//    Resume() answers Busy while that runs, returns the error once it has given up, and
//    succeeds once space is back.
//  - other retryable I/O errors: a RocksDB thread retries every second; Resume() is
//    Busy meanwhile.
//  - non-retryable I/O errors (e.g. EIO): fatal; Resume() never succeeds, only closing
//    and reopening the database does.
// A recovery attempt reopens the database (see TryRecover for why never Resume()), but
// only after a probe file in the directory took a synced write, so that a disk that
// still fails keeps its (readable) database open, and only when no reader holds the
// database (try_lock), so that recovery never waits on a ForEach visitor.
#include <fmt/format.h>
#include <rocksdb/env.h>

#include <chrono>
#include <vector>

#include "storage/disk_tier_impl.h"

namespace crescent::storage {
namespace disk_internal {

int64_t SteadyNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string_view Reason(const rocksdb::Status& s) {
  if (s.IsNoSpace()) return "no space left on device";
  if (s.IsIOError()) return "I/O error";
  if (s.IsCorruption()) return "data corruption";
  if (s.IsInvalidArgument() || s.IsNotSupported()) return "invalid configuration";
  if (s.IsShutdownInProgress()) return "shutting down";
  return "internal error";
}

StatusCode CodeOf(const rocksdb::Status& s) {
  if (s.IsIOError()) return StatusCode::kIoError;  // includes NoSpace and PathNotFound
  if (s.IsCorruption()) return StatusCode::kCorruption;
  if (s.IsInvalidArgument() || s.IsNotSupported()) return StatusCode::kInvalidArgument;
  return StatusCode::kInternal;
}

std::string PrintableKey(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (key.size() > 64) out += fmt::format("... ({} bytes)", key.size());
  return out;
}

rocksdb::CompactionFilter::Decision ExpiryFilter::FilterV2(
    int /*level*/, const rocksdb::Slice& /*key*/, ValueType type, const rocksdb::Slice& value,
    std::string* /*new_value*/, std::string* /*skip_until*/) const {
  if (type != ValueType::kValue) return Decision::kKeep;
  const auto expire_at = PeekDiskRecordExpiry(ToView(value));
  if (expire_at && DiskRecordExpired(*expire_at, clock_->NowMs())) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return Decision::kRemove;
  }
  return Decision::kKeep;
}

}  // namespace disk_internal

using namespace disk_internal;

Status DiskTier::Impl::Convert(const rocksdb::Status& s, std::string_view what) const {
  Log(fmt::format("disk tier: {} failed: {}", what, s.ToString()));
  return Status(CodeOf(s), fmt::format("disk tier {} failed: {}", what, Reason(s)));
}

Status DiskTier::Impl::UnavailableLocked() const {
  return Status(StatusCode::kIoError, "disk tier unavailable: " + last_error_);
}

Status DiskTier::Impl::Unavailable() const {
  std::lock_guard l(state_mu_);
  return UnavailableLocked();
}

Status DiskTier::Impl::Write(rocksdb::WriteBatch* batch, Keys keys, std::string_view what) {
  if (Status s = Admit(keys, false); !s.ok()) return s;
  rocksdb::Status rs;
  {
    std::shared_lock gate(gate_);
    rs = db_ ? db_->Write(write_options_, batch) : rocksdb::Status::IOError("database closed");
  }
  if (!rs.ok()) return RecordFailure(rs, keys, false, what);
  return Status::Ok();
}

Status DiskTier::Impl::Admit(Keys keys, bool all) {
  while (!healthy_.load(std::memory_order_acquire)) {
    if (TryRecover()) break;
    std::lock_guard l(state_mu_);
    if (healthy_.load(std::memory_order_relaxed)) continue;  // recovered meanwhile
    MaskLocked(keys, all);
    return UnavailableLocked();
  }
  return Status::Ok();
}

bool DiskTier::Impl::FailFast(Keys keys) {
  if (healthy_.load(std::memory_order_acquire)) return false;
  if (SteadyNowMs() >= retry_at_ms_.load(std::memory_order_relaxed)) return false;
  std::lock_guard l(state_mu_);
  if (healthy_.load(std::memory_order_relaxed)) return false;
  MaskLocked(keys, false);
  return true;
}

// Resume (or reopen) RocksDB, then write deletes for every masked key, looping until no
// new ones arrived, and only then healthy_ = true.
bool DiskTier::Impl::TryRecover() {
  if (SteadyNowMs() < retry_at_ms_.load(std::memory_order_relaxed)) return false;
  std::unique_lock recovering(recover_mu_, std::try_to_lock);
  if (!recovering.owns_lock()) return healthy();
  if (healthy()) return true;
  if (SteadyNowMs() < retry_at_ms_.load(std::memory_order_relaxed)) return false;

  std::lock_guard gate(gate_);
  // Always a reopen, never Resume(): after a failed write, RocksDB 7.8 keeps the file
  // writer that saw the error, and its next append asserts (Debian builds it with
  // assertions on), whether the resume was ours or RocksDB's own. A new instance has
  // new writers. Only once a probe file takes a synced write, so a disk still full keeps
  // its database open for reads.
  if (!ProbeDirectory()) {
    // Still failing: the error that made the tier unhealthy stays the one reported.
    BackOff(rocksdb::Status::Busy("the disk still refuses writes"), "probe");
    return false;
  }
  Log("disk tier: a probe write worked; reopening RocksDB");
  rocksdb::Status rs = Reopen();
  if (!rs.ok()) {
    BackOff(rs, "reopen");
    return false;
  }
  for (;;) {
    std::vector<std::string> keys;
    bool all = false;
    {
      std::lock_guard l(state_mu_);
      if (masked_.empty() && !mask_all_) {
        healthy_.store(true, std::memory_order_release);
        break;
      }
      keys.assign(masked_.begin(), masked_.end());
      all = mask_all_;
    }
    rocksdb::WriteBatch batch;
    if (all) rs = AddDeleteEverything(&batch);
    for (const std::string& k : keys) {
      if (rs.ok()) rs = batch.Delete(k);
    }
    if (rs.ok()) rs = db_->Write(write_options_, &batch);
    if (!rs.ok()) {
      (void)RecordFailure(rs, {}, false, "recovery");
      return false;
    }
    std::lock_guard l(state_mu_);
    for (const std::string& k : keys) masked_.erase(k);
    if (all) mask_all_ = false;
    any_masked_.store(!masked_.empty() || mask_all_, std::memory_order_release);
  }
  Log("disk tier: writes succeed again; healthy");
  return true;
}

// Whether the directory takes a small synced write, through the same Env as RocksDB.
bool DiskTier::Impl::ProbeDirectory() {
  rocksdb::Env* env = db_options_.env;
  const std::string path = o_.dir + "/crescent-probe.tmp";
  std::unique_ptr<rocksdb::WritableFile> file;
  rocksdb::Status s = env->NewWritableFile(path, &file, rocksdb::EnvOptions());
  if (s.ok()) s = file->Append(std::string(4096, '\0'));
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = file->Close();
  file.reset();
  env->DeleteFile(path).PermitUncheckedError();
  if (!s.ok()) Log(fmt::format("disk tier: probe write failed: {}", s.ToString()));
  return s.ok();
}

// REQUIRES: gate_ held exclusively (no write in flight). Busy when readers are active.
rocksdb::Status DiskTier::Impl::Reopen() {
  std::unique_lock readers(db_mu_, std::try_to_lock);
  if (!readers.owns_lock()) return rocksdb::Status::Busy("readers active");
  if (db_) {
    const rocksdb::Status cs = db_->Close();  // reports the old error; nothing to do
    if (!cs.ok()) Log(fmt::format("disk tier: close before reopen: {}", cs.ToString()));
    db_.reset();
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status rs = rocksdb::DB::Open(db_options_, o_.dir, &raw);
  if (rs.ok()) db_.reset(raw);
  return rs;
}

Status DiskTier::Impl::RecordFailure(const rocksdb::Status& s, Keys keys, bool all,
                                     std::string_view what) {
  write_errors_.fetch_add(1, std::memory_order_relaxed);
  Log(fmt::format("disk tier: {} failed, refusing writes for {} ms: {}", what,
                  o_.retry_interval_ms, s.ToString()));
  std::lock_guard l(state_mu_);
  MaskLocked(keys, all);
  last_error_ = std::string(Reason(s));
  retry_at_ms_.store(SteadyNowMs() + o_.retry_interval_ms, std::memory_order_relaxed);
  healthy_.store(false, std::memory_order_release);
  return UnavailableLocked();
}

// A recovery attempt that wrote nothing failed: wait another interval. Busy (RocksDB's
// own recovery running) keeps the error that made the tier unhealthy.
void DiskTier::Impl::BackOff(const rocksdb::Status& s, std::string_view what) {
  Log(fmt::format("disk tier: {} failed, retrying in {} ms: {}", what, o_.retry_interval_ms,
                  s.ToString()));
  std::lock_guard l(state_mu_);
  if (!s.IsBusy()) last_error_ = std::string(Reason(s));
  retry_at_ms_.store(SteadyNowMs() + o_.retry_interval_ms, std::memory_order_relaxed);
}

void DiskTier::Impl::MaskLocked(Keys keys, bool all) {
  if (all) {
    mask_all_ = true;
    masked_.clear();  // subsumed
  } else if (!mask_all_) {
    for (std::string_view k : keys) masked_.emplace(k);
  }
  any_masked_.store(!masked_.empty() || mask_all_, std::memory_order_release);
}

bool DiskTier::Impl::IsMasked(std::string_view key) const {
  if (!any_masked_.load(std::memory_order_acquire)) return false;
  std::lock_guard l(state_mu_);
  return mask_all_ || masked_.find(key) != masked_.end();
}

// A range delete of ["", last key) plus a delete of the last key: no key sorts above
// every binary key, so there is no exclusive end to use. Under the exclusive gate no
// write can add a key above the last one before the batch is written.
rocksdb::Status DiskTier::Impl::AddDeleteEverything(rocksdb::WriteBatch* batch) {
  if (!db_) return rocksdb::Status::IOError("database closed");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekToLast();
  if (!it->Valid()) return it->status();  // empty (ok) or an error
  const std::string last = it->key().ToString();
  rocksdb::Status rs;
  if (!last.empty()) rs = batch->DeleteRange(rocksdb::Slice(), last);
  if (rs.ok()) rs = batch->Delete(last);
  return rs;
}

}  // namespace crescent::storage
