// What the DiskTier tests share: a temporary folder, a log sink, a FileSystem that
// injects faults on demand, and small builders of options, values and metadata.
#pragma once

#include "storage/disk_tier.h"

#include <doctest/doctest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace crescent::storage::disk_test {

inline constexpr size_t KiB = 1024;
inline constexpr size_t MiB = 1024 * 1024;

// A folder under /tmp, removed (after unmounting anything mounted on it) at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/crescent-disk-XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~TempDir() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string sub(const char* name) const { return path_ + "/" + name; }
  // A tmpfs of `size` on this folder; false when mounting is not permitted.
  bool MountTmpfs(const std::string& size) {
    const std::string opts = "size=" + size;
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, opts.c_str()) != 0) return false;
    mounted_ = true;
    return true;
  }

 private:
  std::string path_;
  bool mounted_ = false;
};

// Collects Options::log lines; thread-safe.
struct LogSink {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(std::string_view)> fn() {
    return [this](std::string_view l) {
      std::lock_guard g(mu);
      lines.emplace_back(l);
    };
  }
  std::string All() {
    std::lock_guard g(mu);
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
  bool Contains(std::string_view needle) {
    std::lock_guard g(mu);
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

// A FileSystem that fails or holds writes on demand. While `fault` is set, every append,
// sync and file creation fails: kNoSpace as POSIX reports ENOSPC (NoSpace, retryable),
// kIoError as an unrecoverable device error (plain IOError, not retryable: RocksDB
// treats it as fatal). HoldWal makes appends to the write-ahead log (*.log) wait until
// released.
class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFs(std::shared_ptr<rocksdb::FileSystem> base)
      : rocksdb::FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "crescent.FaultFs"; }

  enum Fault { kNone, kNoSpace, kIoError };
  std::atomic<Fault> fault{kNone};
  std::atomic<uint64_t> wal_syncs{0};

  void HoldWal(bool hold) {
    {
      std::lock_guard g(mu_);
      hold_wal_ = hold;
    }
    cv_.notify_all();
  }
  // Waits until a WAL append is being held.
  void WaitHeld() {
    std::unique_lock g(mu_);
    cv_.wait(g, [&] { return held_ > 0; });
  }

  bool failing() const { return fault.load() != kNone; }
  rocksdb::IOStatus Injected() const {
    if (fault.load() == kIoError) return rocksdb::IOStatus::IOError("injected fault", "EIO");
    auto s = rocksdb::IOStatus::NoSpace("injected fault", "No space left on device");
    s.SetRetryable(true);
    return s;
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& fo,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    if (failing()) return Injected();
    std::unique_ptr<rocksdb::FSWritableFile> base;
    auto s = target()->NewWritableFile(name, fo, &base, dbg);
    if (s.ok()) r->reset(new File(this, std::move(base), name.ends_with(".log")));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& fo,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    if (failing()) return Injected();
    std::unique_ptr<rocksdb::FSWritableFile> base;
    auto s = target()->ReopenWritableFile(name, fo, &base, dbg);
    if (s.ok()) r->reset(new File(this, std::move(base), name.ends_with(".log")));
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(FaultFs* fs, std::unique_ptr<rocksdb::FSWritableFile> base, bool wal)
        : FSWritableFileOwnerWrapper(std::move(base)), fs_(fs), wal_(wal) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = Gate(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Append(d, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
      if (auto s = Gate(); !s.ok()) return s;
      return FSWritableFileOwnerWrapper::Append(d, o, v, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (fs_->failing()) return fs_->Injected();
      if (wal_) fs_->wal_syncs.fetch_add(1);
      return FSWritableFileOwnerWrapper::Sync(o, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (fs_->failing()) return fs_->Injected();
      if (wal_) fs_->wal_syncs.fetch_add(1);
      return FSWritableFileOwnerWrapper::Fsync(o, dbg);
    }

   private:
    rocksdb::IOStatus Gate() {
      if (wal_) {
        std::unique_lock g(fs_->mu_);
        if (fs_->hold_wal_) {
          ++fs_->held_;
          fs_->cv_.notify_all();
          fs_->cv_.wait(g, [&] { return !fs_->hold_wal_; });
          --fs_->held_;
        }
      }
      if (fs_->failing()) return fs_->Injected();
      return rocksdb::IOStatus::OK();
    }
    FaultFs* fs_;
    bool wal_;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_wal_ = false;  // GUARDED_BY(mu_)
  int held_ = 0;           // GUARDED_BY(mu_)
};

// The FaultFs and the Env that routes RocksDB's file operations through it.
struct FaultEnv {
  std::shared_ptr<FaultFs> fs = std::make_shared<FaultFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
};

inline DiskTier::Options MakeOptions(const std::string& dir, DiskTier::Mode mode, const Clock* clock) {
  DiskTier::Options o;
  o.dir = dir;
  o.mode = mode;
  o.clock = clock;
  o.memtable_bytes = 4 * MiB;
  o.retry_interval_ms = 50;
  return o;
}

inline std::unique_ptr<DiskTier> OpenTier(const DiskTier::Options& o) {
  auto tier = DiskTier::Open(o);
  REQUIRE_MESSAGE(tier.ok(), tier.status().message());
  return std::move(tier).value();
}

// Distinct bytes per (seed, position), so that a value mixed up with another is noticed.
inline std::string Pattern(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

inline DiskRecordMeta Meta(uint64_t version, int64_t expire = 0, bool soft = false, bool hard = false) {
  DiskRecordMeta m;
  m.version = version;
  m.expire_at_ms = expire;
  m.soft_pin = soft;
  m.hard_pin = hard;
  return m;
}

inline std::optional<DiskRecord> MustGet(DiskTier& tier, std::string_view key) {
  auto r = tier.Get(key);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(r).value();
}

inline std::map<std::string, DiskRecord> Collect(DiskTier& tier) {
  std::map<std::string, DiskRecord> out;
  Status s = tier.ForEach([&](std::string_view key, const DiskRecordMeta& meta,
                              std::string_view v) {
    DiskRecord r;
    r.meta = meta;
    r.value.assign(v);
    out.emplace(std::string(key), std::move(r));
  });
  REQUIRE_MESSAGE(s.ok(), s.message());
  return out;
}

inline void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace crescent::storage::disk_test
