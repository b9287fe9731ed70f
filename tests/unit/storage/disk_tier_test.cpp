// Tests for storage/disk_tier.cpp and storage/disk_record.cpp, on a real RocksDB in a
// temporary folder: the record encoding, round trips (small values and BlobDB-sized
// ones), reopening, expiry (reads and the compaction filter), corruption handling, the
// async queue (read-your-writes, kBusy when full, Flush, draining on destruction), group
// commit of concurrent sync writers, and faults: an injecting FileSystem (always) and a
// real full tmpfs (when mount is permitted).
#include "storage/disk_tier.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/unit/storage/disk_tier_test_util.h"

namespace crescent::storage {
using namespace disk_test;

TEST_SUITE("disk_tier") {

TEST_CASE("disk_record: round trip, and every kind of damage is detected") {
  const std::string value = Pattern(1000, 7);
  const DiskRecordMeta meta = Meta(42, 1'700'000'123'456, true, false);
  const std::string enc = EncodeDiskRecord(meta, "k1", value);
  REQUIRE(enc.size() == kDiskRecordHeaderSize + value.size());
  CHECK(enc[0] == kDiskRecordFormat);
  auto d = DecodeDiskRecord("k1", enc, true);
  REQUIRE(d.ok());
  CHECK(d->meta == meta);
  CHECK(d->value == value);
  CHECK(d->checksum == DiskRecordChecksum(value));
  CHECK(PeekDiskRecordExpiry(enc) == meta.expire_at_ms);

  auto empty = DecodeDiskRecord("", EncodeDiskRecord(Meta(1), "", ""), true);
  REQUIRE(empty.ok());
  CHECK(empty->value.empty());

  auto damaged = [&](size_t offset, char x) {
    std::string bad = enc;
    bad[offset] = static_cast<char>(bad[offset] ^ x);
    return DecodeDiskRecord("k1", bad, true).status().code();
  };
  CHECK(damaged(0, 0x01) == StatusCode::kCorruption);                           // format
  CHECK(damaged(1, 0x40) == StatusCode::kCorruption);                           // unknown flag
  CHECK(damaged(3, 0x01) == StatusCode::kCorruption);                           // key tag
  CHECK(damaged(7, 0x80) == StatusCode::kCorruption);                           // key tag
  CHECK(damaged(24, 0x01) == StatusCode::kCorruption);                          // length
  CHECK(damaged(33, 0x01) == StatusCode::kCorruption);                          // checksum
  CHECK(damaged(kDiskRecordHeaderSize + 500, 0x01) == StatusCode::kCorruption);  // value
  CHECK(DecodeDiskRecord("k1", enc.substr(0, 39), true).status().code() ==
        StatusCode::kCorruption);
  CHECK(DecodeDiskRecord("k1", enc.substr(0, enc.size() - 1), true).status().code() ==
        StatusCode::kCorruption);
  // An intact record read under another key (a damaged index) is caught, with or
  // without the value's checksum.
  auto other = DecodeDiskRecord("k2", enc, true);
  CHECK(other.status().code() == StatusCode::kCorruption);
  CHECK(other.status().message() == "record belongs to another key");
  CHECK_FALSE(DecodeDiskRecord("k2", enc, false).ok());
  // Without verification a damaged value decodes (the compaction filter's fast path).
  std::string bad = enc;
  bad.back() ^= 1;
  CHECK(DecodeDiskRecord("k1", bad, false).ok());
}

TEST_CASE("disk_record: format 1 records (no key tag) are still read") {
  const std::string value = Pattern(100, 3);
  std::string v1 = EncodeDiskRecord(Meta(7, 123), "any", value);
  v1[0] = 1;
  std::fill(v1.begin() + 2, v1.begin() + 8, '\0');
  auto d = DecodeDiskRecord("whatever key", v1, true);
  REQUIRE(d.ok());
  CHECK(d->value == value);
  CHECK(d->meta == Meta(7, 123));
  CHECK(PeekDiskRecordExpiry(v1) == 123);
  v1[4] = 1;  // format 1 keeps bytes 2..7 zero
  CHECK(DecodeDiskRecord("whatever key", v1, true).status().code() == StatusCode::kCorruption);
}

TEST_CASE("disk_tier: small and large values round trip with metadata") {
  TempDir tmp;
  ManualClock clock;
  DiskTier::Mode mode = DiskTier::Mode::kSync;
  SUBCASE("sync") { mode = DiskTier::Mode::kSync; }
  SUBCASE("async") { mode = DiskTier::Mode::kAsync; }
  auto o = MakeOptions(tmp.path(), mode, &clock);
  o.blob_threshold = 64 * KiB;
  auto tier = OpenTier(o);

  const std::string small = Pattern(100, 1);
  const std::string large = Pattern(1 * MiB, 2);  // above blob_threshold: a blob file
  const std::string exact = Pattern(64 * KiB, 3);  // exactly the threshold
  REQUIRE(tier->Put("small", small, Meta(1, 0, true, false)).ok());
  REQUIRE(tier->Put("large", large, Meta(2, clock.NowMs() + 60'000, false, true)).ok());
  REQUIRE(tier->Put("exact", exact, Meta(3)).ok());
  // A binary key and an empty value.
  REQUIRE(tier->Put(std::string_view("\0bin\xff", 5), "", Meta(4)).ok());
  REQUIRE(tier->Put("", "empty key", Meta(5)).ok());

  // Readable before and after the queue drains (async reads its own queued writes).
  for (int round = 0; round < 2; ++round) {
    auto s = MustGet(*tier, "small");
    REQUIRE(s);
    CHECK(s->value == small);
    CHECK(s->meta == Meta(1, 0, true, false));
    CHECK(s->checksum == DiskRecordChecksum(small));
    auto l = MustGet(*tier, "large");
    REQUIRE(l);
    CHECK(l->value == large);
    CHECK(l->meta == Meta(2, clock.NowMs() + 60'000, false, true));
    auto e = MustGet(*tier, "exact");
    REQUIRE(e);
    CHECK(e->value == exact);
    auto b = MustGet(*tier, std::string_view("\0bin\xff", 5));
    REQUIRE(b);
    CHECK(b->value.empty());
    auto k = MustGet(*tier, "");
    REQUIRE(k);
    CHECK(k->value == "empty key");
    CHECK_FALSE(MustGet(*tier, "absent"));
    REQUIRE(tier->Flush().ok());
  }
  // Overwrite replaces.
  REQUIRE(tier->Put("small", "v2", Meta(9)).ok());
  CHECK(MustGet(*tier, "small")->value == "v2");
  REQUIRE(tier->Flush().ok());
  CHECK(MustGet(*tier, "small")->meta.version == 9);

  // Read: no copy, view valid during the call.
  size_t seen = 0;
  auto r = tier->Read("large", [&](const DiskRecordMeta& m, std::string_view v) {
    CHECK(m.version == 2);
    seen = v.size();
  });
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(seen == large.size());

  const auto st = tier->GetStats();
  CHECK(st.writes == 6);
  CHECK(st.bytes_written == small.size() + large.size() + exact.size() + 9 + 2);
  CHECK(st.read_hits >= 10);
  CHECK(st.reads > st.read_hits);
  CHECK(st.bytes_read >= 2 * (small.size() + large.size()));
  CHECK(st.healthy);
  CHECK(st.queue_depth == 0);
  CHECK(st.corruptions == 0);
  // The 1 MiB value went to a blob file once the memtable was flushed.
  REQUIRE(tier->Compact().ok());
  CHECK(MustGet(*tier, "large")->value == large);
  bool blob_file = false;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
    if (e.path().extension() == ".blob") blob_file = true;
  }
  CHECK(blob_file);
}

TEST_CASE("disk_tier: reopening the directory finds every record again") {
  TempDir tmp;
  ManualClock clock;
  const std::string dir = tmp.sub("nested/data");  // created with its parents
  std::map<std::string, std::string> want;
  {
    auto tier = OpenTier(MakeOptions(dir, DiskTier::Mode::kAsync, &clock));
    for (int i = 0; i < 300; ++i) {
      const std::string key = "key:" + std::to_string(i);
      const size_t size = i % 50 == 0 ? 200 * KiB : 10 + i;
      want[key] = Pattern(size, i);
      REQUIRE(tier->Put(key, want[key], Meta(i, 0, i % 2 == 0, i % 3 == 0)).ok());
    }
    REQUIRE(tier->Delete("key:7").ok());
    want.erase("key:7");
    // No Flush: the destructor drains the queue.
  }
  auto tier = OpenTier(MakeOptions(dir, DiskTier::Mode::kSync, &clock));
  const auto got = Collect(*tier);
  REQUIRE(got.size() == want.size());
  for (const auto& [key, value] : want) {
    auto it = got.find(key);
    REQUIRE(it != got.end());
    CHECK(it->second.value == value);
    const int i = std::stoi(key.substr(4));
    CHECK(it->second.meta == Meta(i, 0, i % 2 == 0, i % 3 == 0));
  }
  CHECK(tier->Count() >= 250);  // an estimate
  CHECK(tier->Count() <= 400);
}

TEST_CASE("disk_tier: expired records are absent to Get, Read and ForEach") {
  TempDir tmp;
  ManualClock clock;
  auto tier = OpenTier(MakeOptions(tmp.path(), DiskTier::Mode::kSync, &clock));
  const int64_t now = clock.NowMs();
  REQUIRE(tier->Put("soon", "a", Meta(1, now + 1000)).ok());
  REQUIRE(tier->Put("later", "b", Meta(1, now + 5000)).ok());
  REQUIRE(tier->Put("never", "c", Meta(1, 0)).ok());
  REQUIRE(tier->Put("past", "d", Meta(1, now - 1)).ok());  // written already dead
  CHECK(MustGet(*tier, "soon"));
  CHECK_FALSE(MustGet(*tier, "past"));
  CHECK(Collect(*tier).size() == 3);

  clock.Advance(1000);  // expire_at <= now is dead
  CHECK_FALSE(MustGet(*tier, "soon"));
  CHECK(MustGet(*tier, "later"));
  auto r = tier->Read("soon", [](const DiskRecordMeta&, std::string_view) { FAIL("visited"); });
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
  auto all = Collect(*tier);
  CHECK(all.size() == 2);
  CHECK(all.count("later") == 1);
  CHECK(all.count("never") == 1);
  clock.Advance(10'000);
  CHECK(Collect(*tier).size() == 1);
}

TEST_CASE("disk_tier: the compaction filter drops expired records physically") {
  TempDir tmp;
  ManualClock clock;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kSync, &clock);
  o.blob_threshold = 4 * KiB;
  auto tier = OpenTier(o);
  const int64_t now = clock.NowMs();
  for (int i = 0; i < 200; ++i) {
    const bool large = i % 10 == 0;  // blobs expire through the same filter
    const std::string value = Pattern(large ? 64 * KiB : 100, i);
    const int64_t expire = i % 2 == 0 ? now + 1000 : 0;
    REQUIRE(tier->Put("k" + std::to_string(i), value, Meta(i, expire)).ok());
  }
  auto raw = tier->CountRawForTest();
  REQUIRE(raw.ok());
  CHECK(*raw == 200);

  // Before the deadline, compaction keeps everything.
  REQUIRE(tier->Compact().ok());
  CHECK(*tier->CountRawForTest() == 200);
  CHECK(tier->GetStats().expired_compacted == 0);

  clock.Advance(1000);
  // Invisible at once; still physically there until compaction.
  CHECK(Collect(*tier).size() == 100);
  CHECK(*tier->CountRawForTest() == 200);
  REQUIRE(tier->Compact().ok());
  CHECK(*tier->CountRawForTest() == 100);
  CHECK(tier->GetStats().expired_compacted == 100);
  uint64_t est = tier->Count();
  CHECK(est == 100);
  for (int i = 1; i < 200; i += 2) {
    auto r = MustGet(*tier, "k" + std::to_string(i));
    REQUIRE(r);
    CHECK(r->value == Pattern(i % 10 == 0 ? 64 * KiB : 100, i));
  }
}

TEST_CASE("disk_tier: a corrupt record is deleted, counted, logged and never returned") {
  TempDir tmp;
  ManualClock clock;
  LogSink log;
  DiskTier::Mode mode = DiskTier::Mode::kSync;
  SUBCASE("sync") { mode = DiskTier::Mode::kSync; }
  SUBCASE("async") { mode = DiskTier::Mode::kAsync; }
  auto o = MakeOptions(tmp.path(), mode, &clock);
  o.blob_threshold = 4 * KiB;
  o.log = log.fn();
  auto tier = OpenTier(o);

  const std::string good = Pattern(300, 1);
  std::string flipped = EncodeDiskRecord(Meta(1), "flipped", good);
  flipped[kDiskRecordHeaderSize + 17] ^= 0x20;  // one bit of the value
  std::string big_flipped = EncodeDiskRecord(Meta(1), "big", Pattern(16 * KiB, 2));  // a blob
  big_flipped[kDiskRecordHeaderSize + 9000] ^= 0x01;
  std::string bad_format = EncodeDiskRecord(Meta(1), "format", good);
  bad_format[0] = 9;
  // An intact record of "good" found under "moved": what a damaged index would do.
  const std::string moved = EncodeDiskRecord(Meta(1), "good", good);
  REQUIRE(tier->PutRawForTest("flipped", flipped).ok());
  REQUIRE(tier->PutRawForTest("big", big_flipped).ok());
  REQUIRE(tier->PutRawForTest("moved", moved).ok());
  REQUIRE(tier->PutRawForTest("format", bad_format).ok());
  REQUIRE(tier->PutRawForTest("short", "xyz").ok());
  REQUIRE(tier->Put("good", good, Meta(1)).ok());
  REQUIRE(tier->Flush().ok());
  REQUIRE(*tier->CountRawForTest() == 6);

  CHECK_FALSE(MustGet(*tier, "flipped"));
  CHECK_FALSE(MustGet(*tier, "big"));
  CHECK_FALSE(MustGet(*tier, "moved"));
  CHECK(MustGet(*tier, "good")->value == good);
  CHECK(tier->GetStats().corruptions == 3);
  CHECK(log.Contains("dropping corrupt record 'flipped'"));
  CHECK(log.Contains("value checksum mismatch"));
  CHECK(log.Contains("record belongs to another key"));
  // ForEach sees what has reached RocksDB: in async mode the deletes of the two records
  // dropped above are written first, or ForEach would meet (and count) them again.
  REQUIRE(tier->Flush().ok());
  // ForEach skips (and drops) the other two.
  const auto all = Collect(*tier);
  CHECK(all.size() == 1);
  CHECK(all.count("good") == 1);
  CHECK(tier->GetStats().corruptions == 5);
  CHECK(log.Contains("unknown record format"));
  REQUIRE(tier->Flush().ok());
  CHECK(*tier->CountRawForTest() == 1);  // the corrupt ones were deleted
  CHECK_FALSE(MustGet(*tier, "flipped"));
  CHECK(tier->GetStats().corruptions == 5);  // gone, so not counted again
}

TEST_CASE("disk_tier: a full async queue refuses with kBusy and drops the older copy") {
  TempDir tmp;
  ManualClock clock;
  FaultEnv fe;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock);
  o.async_queue_bytes = 1000;
  o.env = fe.env.get();
  auto tier = OpenTier(o);

  REQUIRE(tier->Put("b", "old copy of b", Meta(1)).ok());
  REQUIRE(tier->Flush().ok());

  fe.fs->HoldWal(true);  // the writer thread will block inside its next WAL append
  REQUIRE(tier->Put("a", std::string(600, 'a'), Meta(2)).ok());
  fe.fs->WaitHeld();
  // 600 bytes are in flight; 600 more do not fit in 1000.
  Status busy = tier->Put("b", std::string(600, 'b'), Meta(2));
  CHECK(busy.code() == StatusCode::kBusy);
  CHECK(tier->Put("huge", std::string(2000, 'h'), Meta(2)).code() == StatusCode::kBusy);
  REQUIRE(tier->Put("c", "small", Meta(2)).ok());  // still fits
  auto st = tier->GetStats();
  CHECK(st.async_dropped == 2);
  CHECK(st.queue_depth == 4);  // a (in flight), the delete of b, the delete of huge, c
  CHECK(st.queue_bytes > 600);
  CHECK(st.queue_bytes <= 1000 + 2 * 8);
  // Read-your-writes while queued; the refused key reads as absent, not as its old copy.
  CHECK(MustGet(*tier, "a")->value == std::string(600, 'a'));
  CHECK(MustGet(*tier, "c")->value == "small");
  CHECK_FALSE(MustGet(*tier, "b"));

  fe.fs->HoldWal(false);
  REQUIRE(tier->Flush().ok());
  st = tier->GetStats();
  CHECK(st.queue_depth == 0);
  CHECK(st.queue_bytes == 0);
  CHECK(MustGet(*tier, "a"));
  CHECK_FALSE(MustGet(*tier, "b"));  // the old copy is gone from disk too
  CHECK_FALSE(MustGet(*tier, "huge"));
  CHECK(Collect(*tier).size() == 2);
}

TEST_CASE("disk_tier: Flush waits for the queue; counters follow") {
  TempDir tmp;
  ManualClock clock;
  auto tier = OpenTier(MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string key = "t" + std::to_string(t) + ":" + std::to_string(i);
        CHECK(tier->Put(key, Pattern(200, i), Meta(i)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(tier->Flush().ok());
  const auto st = tier->GetStats();
  CHECK(st.queue_depth == 0);
  CHECK(st.queue_bytes == 0);
  CHECK(st.writes == 2000);
  CHECK(st.bytes_written == 2000 * 200);
  CHECK(st.async_dropped == 0);
  CHECK(Collect(*tier).size() == 2000);
}

TEST_CASE("disk_tier: each thread reads its own writes (model check, tiny async queue)") {
  TempDir tmp;
  ManualClock clock;
  DiskTier::Mode mode = DiskTier::Mode::kSync;
  SUBCASE("sync") { mode = DiskTier::Mode::kSync; }
  SUBCASE("async") { mode = DiskTier::Mode::kAsync; }
  auto o = MakeOptions(tmp.path(), mode, &clock);
  o.async_queue_bytes = 48 * KiB;  // small enough that some Puts are refused
  o.blob_threshold = 2 * KiB;
  auto tier = OpenTier(o);
  constexpr int kThreads = 4;
  std::atomic<uint64_t> busy{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::map<std::string, std::string> model;  // what this thread last stored
      uint64_t x = 12345 + t;
      auto next = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
      };
      for (int i = 0; i < 1500; ++i) {
        const std::string key = "t" + std::to_string(t) + ":" + std::to_string(next() % 40);
        const uint64_t op = next() % 10;
        if (op < 5) {
          const std::string value = Pattern(next() % 2 == 0 ? 100 : 3000, next());
          Status s = tier->Put(key, value, Meta(i));
          if (s.ok()) {
            model[key] = value;
          } else {
            CHECK(s.code() == StatusCode::kBusy);
            ++busy;
            model.erase(key);  // refused: the older copy must be gone too
          }
        } else if (op < 7) {
          CHECK(tier->Delete(key).ok());
          model.erase(key);
        } else {
          auto r = tier->Get(key);
          REQUIRE(r.ok());
          auto it = model.find(key);
          if (it == model.end()) {
            CHECK_FALSE(r->has_value());
          } else {
            REQUIRE(r->has_value());
            CHECK((*r)->value == it->second);
          }
        }
      }
      // After draining, the disk agrees with the model.
      CHECK(tier->Flush().ok());
      for (int k = 0; k < 40; ++k) {
        const std::string key = "t" + std::to_string(t) + ":" + std::to_string(k);
        auto r = tier->Get(key);
        REQUIRE(r.ok());
        auto it = model.find(key);
        CHECK(r->has_value() == (it != model.end()));
        if (it != model.end() && r->has_value()) CHECK((*r)->value == it->second);
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto st = tier->GetStats();
  CHECK(st.async_dropped == busy.load());
  CHECK(st.corruptions == 0);
  CHECK(st.healthy);
  MESSAGE("refused with kBusy: " << busy.load());
}

TEST_CASE("disk_tier: Delete and DeleteAll") {
  TempDir tmp;
  ManualClock clock;
  DiskTier::Mode mode = DiskTier::Mode::kSync;
  SUBCASE("sync") { mode = DiskTier::Mode::kSync; }
  SUBCASE("async") { mode = DiskTier::Mode::kAsync; }
  auto o = MakeOptions(tmp.path(), mode, &clock);
  o.blob_threshold = 1 * KiB;
  {
    auto tier = OpenTier(o);
    for (int i = 0; i < 100; ++i) {
      REQUIRE(tier->Put("k" + std::to_string(i), Pattern(i * 30, i), Meta(i)).ok());
    }
    REQUIRE(tier->Put("", "empty key", Meta(1)).ok());
    REQUIRE(tier->Put("\xff\xff\xff", "high key", Meta(1)).ok());
    REQUIRE(tier->Delete("k5").ok());
    REQUIRE(tier->Delete("never-written").ok());
    CHECK_FALSE(MustGet(*tier, "k5"));
    REQUIRE(tier->Flush().ok());
    CHECK_FALSE(MustGet(*tier, "k5"));
    CHECK(tier->GetStats().deletes == 2);
    CHECK(Collect(*tier).size() == 101);

    // Queued writes (async) are dropped with the rest.
    REQUIRE(tier->Put("queued", "x", Meta(1)).ok());
    REQUIRE(tier->DeleteAll().ok());
    CHECK_FALSE(MustGet(*tier, "k1"));
    CHECK_FALSE(MustGet(*tier, ""));
    CHECK_FALSE(MustGet(*tier, "\xff\xff\xff"));
    CHECK_FALSE(MustGet(*tier, "queued"));
    CHECK(Collect(*tier).empty());
    CHECK(*tier->CountRawForTest() == 0);
    REQUIRE(tier->DeleteAll().ok());  // on an empty tier
    REQUIRE(tier->Put("after", "y", Meta(1)).ok());
    REQUIRE(tier->Flush().ok());
    CHECK(MustGet(*tier, "after")->value == "y");
  }
  auto tier = OpenTier(o);
  const auto all = Collect(*tier);
  CHECK(all.size() == 1);
  CHECK(all.count("after") == 1);
}

TEST_CASE("disk_tier: 8 concurrent sync writers succeed and share fsyncs") {
  TempDir tmp;  // /tmp is a real disk here: fsync costs, so writers queue up behind it
  ManualClock clock;
  FaultEnv fe;  // only counts WAL syncs, independently of RocksDB's ticker
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kSync, &clock);
  o.env = fe.env.get();
  auto tier = OpenTier(o);

  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = "w" + std::to_string(t) + ":" + std::to_string(i);
        if (!tier->Put(key, Pattern(1 * KiB, t * 10000 + i), Meta(i)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(failures == 0);
  const auto st = tier->GetStats();
  const uint64_t writes = kThreads * kPerThread;
  CHECK(st.writes == writes);
  MESSAGE("group commit: " << writes << " sync writes from " << kThreads << " threads took "
                           << st.wal_syncs << " WAL fsyncs (RocksDB ticker), "
                           << fe.fs->wal_syncs.load() << " counted by the file system, in "
                           << secs << " s");
  CHECK(st.wal_syncs == fe.fs->wal_syncs.load());
  CHECK(st.wal_syncs >= 1);
  CHECK(st.wal_syncs < writes);  // grouped: fewer fsyncs than writes
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; i += 7) {
      auto r = MustGet(*tier, "w" + std::to_string(t) + ":" + std::to_string(i));
      REQUIRE(r);
      CHECK(r->value == Pattern(1 * KiB, t * 10000 + i));
    }
  }
  CHECK(Collect(*tier).size() == writes);

  // For comparison: one writer alone pays one fsync per write.
  const uint64_t before = tier->GetStats().wal_syncs;
  const auto solo_start = std::chrono::steady_clock::now();
  for (int i = 0; i < 250; ++i) {
    REQUIRE(tier->Put("solo" + std::to_string(i), Pattern(1 * KiB, i), Meta(1)).ok());
  }
  const double solo_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - solo_start).count();
  CHECK(tier->GetStats().wal_syncs - before == 250);
  MESSAGE("group commit: 8 threads " << static_cast<int>(writes / secs) << " writes/s; one thread "
                                     << static_cast<int>(250 / solo_secs) << " writes/s");
}

TEST_CASE("disk_tier: open errors are crescent statuses with our own text") {
  TempDir tmp;
  ManualClock clock;
  LogSink log;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kSync, &clock);
  o.log = log.fn();
  auto first = OpenTier(o);
  auto second = DiskTier::Open(o);  // the same directory: RocksDB's LOCK is held
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kIoError);
  CHECK(second.status().message() == "cannot open disk tier at " + tmp.path() + ": I/O error");
  CHECK(log.Contains("lock"));  // RocksDB's own text, in the log only

  auto bad = o;
  bad.clock = nullptr;
  CHECK(DiskTier::Open(bad).status().code() == StatusCode::kInvalidArgument);
  bad = o;
  bad.dir.clear();
  CHECK(DiskTier::Open(bad).status().code() == StatusCode::kInvalidArgument);
  bad = o;
  bad.async_queue_bytes = 0;
  CHECK(DiskTier::Open(bad).status().code() == StatusCode::kInvalidArgument);
  for (double share : {0.0, -0.5, 1.5}) {
    bad = o;
    bad.contended_cpu_share = share;
    CHECK(DiskTier::Open(bad).status().code() == StatusCode::kInvalidArgument);
  }

  // A path under a regular file cannot be created.
  { std::ofstream(tmp.sub("file")) << "x"; }
  bad = o;
  bad.dir = tmp.sub("file/db");
  auto under_file = DiskTier::Open(bad);
  CHECK(under_file.status().code() == StatusCode::kIoError);
}

TEST_CASE("disk_tier: lz4 and zstd compression round trip") {
  TempDir tmp;
  ManualClock clock;
  DiskTier::Compression c = DiskTier::Compression::kLz4;
  SUBCASE("lz4") { c = DiskTier::Compression::kLz4; }
  SUBCASE("zstd") { c = DiskTier::Compression::kZstd; }
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kSync, &clock);
  o.blob_compression = c;
  o.sst_compression = c;
  o.blob_threshold = 8 * KiB;
  auto tier = DiskTier::Open(o);
  if (!tier.ok()) {
    CHECK(tier.status().code() == StatusCode::kInvalidArgument);
    MESSAGE("compression not built into this RocksDB: " << tier.status().message());
    return;
  }
  const std::string text(256 * KiB, 'z');  // compressible
  REQUIRE((*tier)->Put("blob", text, Meta(1)).ok());
  REQUIRE((*tier)->Put("small", "abc", Meta(2)).ok());
  REQUIRE((*tier)->Compact().ok());
  CHECK(MustGet(**tier, "blob")->value == text);
  CHECK(MustGet(**tier, "small")->value == "abc");
}

}  // TEST_SUITE

}  // namespace crescent::storage
