// DiskTier under faults: an injecting FileSystem (a device error, ENOSPC, async writes
// while the disk fails) and a real full tmpfs when mount is permitted.
#include "storage/disk_tier.h"

#include <doctest/doctest.h>

#include "tests/unit/storage/disk_tier_test_util.h"

namespace crescent::storage {
using namespace disk_test;

TEST_SUITE("disk_tier") {

TEST_CASE("disk_tier: a device error: kIoError, unhealthy, reads work, reopen recovers") {
  TempDir tmp;
  ManualClock clock;
  LogSink log;
  FaultEnv fe;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kSync, &clock);
  o.env = fe.env.get();
  o.log = log.fn();
  o.retry_interval_ms = 300;
  {
    auto tier = OpenTier(o);
    REQUIRE(tier->Put("keep", "kept value", Meta(1)).ok());
    REQUIRE(tier->Put("stale", "old", Meta(1)).ok());
    REQUIRE(tier->Put("gone", "to be deleted", Meta(1)).ok());

    fe.fs->fault = FaultFs::kIoError;
    Status s = tier->Put("new", "x", Meta(2));
    CHECK(s.code() == StatusCode::kIoError);
    CHECK(s.message() == "disk tier unavailable: I/O error");
    auto st = tier->GetStats();
    CHECK_FALSE(st.healthy);
    CHECK_FALSE(tier->healthy());
    CHECK(st.last_error == "I/O error");
    CHECK(st.write_errors == 1);
    CHECK(log.Contains("injected fault"));  // RocksDB's text goes to the log only

    // While backing off, writes fail fast without touching the disk.
    CHECK(tier->Put("stale", "new", Meta(2)).code() == StatusCode::kIoError);
    CHECK(tier->Delete("gone").code() == StatusCode::kIoError);
    CHECK(tier->GetStats().write_errors == 1);
    CHECK(tier->Flush().code() == StatusCode::kIoError);

    // Reads still work; keys whose writes failed read as absent, not as the stale copy.
    CHECK(MustGet(*tier, "keep")->value == "kept value");
    CHECK_FALSE(MustGet(*tier, "stale"));
    CHECK_FALSE(MustGet(*tier, "gone"));
    CHECK_FALSE(MustGet(*tier, "new"));
    CHECK(tier->GetStats().masked_keys == 3);
    CHECK(Collect(*tier).size() == 1);

    // Still failing after the back-off: RocksDB cannot resume, the probe write fails, so
    // the database stays open for reads and the tier backs off again.
    SleepMs(350);
    CHECK(tier->Put("other", "y", Meta(2)).code() == StatusCode::kIoError);
    CHECK_FALSE(tier->healthy());
    CHECK(log.Contains("probe write failed"));
    CHECK(MustGet(*tier, "keep")->value == "kept value");

    // The device works again: after the back-off the next write reopens the database
    // (RocksDB never resumes from this error) and writes the masked keys' deletes.
    fe.fs->fault = FaultFs::kNone;
    CHECK(tier->Put("new", "x", Meta(2)).code() == StatusCode::kIoError);  // backing off
    SleepMs(350);
    s = tier->Put("new", "x", Meta(3));
    INFO(log.All());
    REQUIRE_MESSAGE(s.ok(), s.message());
    CHECK(log.Contains("reopening"));
    st = tier->GetStats();
    CHECK(st.healthy);
    CHECK(st.masked_keys == 0);
    CHECK(log.Contains("healthy"));
    CHECK(MustGet(*tier, "new")->value == "x");
    CHECK(MustGet(*tier, "keep")->value == "kept value");
    CHECK_FALSE(MustGet(*tier, "stale"));  // its stale copy was deleted on recovery
    CHECK_FALSE(MustGet(*tier, "gone"));
    REQUIRE(tier->Put("stale", "new", Meta(3)).ok());
    REQUIRE(tier->Put("other", "y", Meta(3)).ok());
  }
  // The recovery's deletes were written: after a restart nothing stale comes back.
  o.env = nullptr;
  auto tier = OpenTier(o);
  const auto all = Collect(*tier);
  CHECK(all.size() == 4);
  CHECK(all.at("keep").value == "kept value");
  CHECK(all.at("new").value == "x");
  CHECK(all.at("stale").value == "new");
  CHECK(all.count("gone") == 0);
}

// Polls writes until one succeeds (RocksDB's own ENOSPC recovery may hold Resume() off
// for up to 5 s); returns the last status.
Status PutUntilHealthy(DiskTier& tier, std::string_view key, std::string_view value) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  Status s;
  do {
    s = tier.Put(key, value, Meta(9));
    if (s.ok()) break;
    CHECK(s.code() == StatusCode::kIoError);
    SleepMs(100);
  } while (std::chrono::steady_clock::now() < deadline);
  return s;
}

TEST_CASE("disk_tier: ENOSPC (injected): the space message, recovery once space is back") {
  TempDir tmp;
  ManualClock clock;
  LogSink log;
  FaultEnv fe;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kSync, &clock);
  o.env = fe.env.get();
  o.log = log.fn();
  o.retry_interval_ms = 100;
  auto tier = OpenTier(o);
  REQUIRE(tier->Put("keep", "v", Meta(1)).ok());

  fe.fs->fault = FaultFs::kNoSpace;
  Status s = tier->Put("new", "x", Meta(2));
  CHECK(s.code() == StatusCode::kIoError);
  CHECK(s.message() == "disk tier unavailable: no space left on device");
  CHECK(tier->GetStats().last_error == "no space left on device");
  CHECK(MustGet(*tier, "keep")->value == "v");
  SleepMs(120);
  // The retry after the back-off fails too (Resume() is Busy or fails, the probe write
  // fails); the error text stays.
  s = tier->Put("new", "x", Meta(2));
  CHECK(s.message() == "disk tier unavailable: no space left on device");
  CHECK(MustGet(*tier, "keep")->value == "v");

  fe.fs->fault = FaultFs::kNone;
  const auto start = std::chrono::steady_clock::now();
  s = PutUntilHealthy(*tier, "new", "x");
  INFO(log.All());
  REQUIRE_MESSAGE(s.ok(), s.message());
  MESSAGE("recovered from an injected ENOSPC "
          << std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start).count()
          << " ms after space came back");
  CHECK(tier->healthy());
  CHECK(MustGet(*tier, "new")->value == "x");
  CHECK(MustGet(*tier, "keep")->value == "v");
}

TEST_CASE("disk_tier: async writes while the disk fails are dropped and counted") {
  TempDir tmp;
  ManualClock clock;
  FaultEnv fe;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock);
  o.env = fe.env.get();
  o.retry_interval_ms = 300;
  auto tier = OpenTier(o);
  REQUIRE(tier->Put("keep", "v", Meta(1)).ok());
  REQUIRE(tier->Flush().ok());

  fe.fs->fault = FaultFs::kIoError;
  REQUIRE(tier->Put("lost", "queued, then its write fails", Meta(1)).ok());  // queued
  CHECK(tier->Flush().code() == StatusCode::kIoError);
  auto st = tier->GetStats();
  CHECK_FALSE(st.healthy);
  CHECK(st.write_errors == 1);
  CHECK(st.async_dropped == 1);
  CHECK_FALSE(MustGet(*tier, "lost"));
  // Refused at once while backing off.
  Status s = tier->Put("refused", "x", Meta(1));
  CHECK(s.code() == StatusCode::kIoError);
  CHECK(s.message() == "disk tier unavailable: I/O error");
  CHECK(tier->GetStats().async_dropped == 2);
  CHECK(tier->Delete("keep").code() == StatusCode::kIoError);
  CHECK_FALSE(MustGet(*tier, "keep"));  // masked

  fe.fs->fault = FaultFs::kNone;
  SleepMs(350);
  REQUIRE(tier->Put("after", "ok", Meta(1)).ok());  // queued; the writer recovers
  REQUIRE(tier->Flush().ok());
  CHECK(tier->healthy());
  CHECK(MustGet(*tier, "after")->value == "ok");
  CHECK_FALSE(MustGet(*tier, "keep"));
  CHECK(Collect(*tier).size() == 1);

  // A DeleteAll that cannot be written still hides everything, queued writes included,
  // and is carried out by the next recovery.
  REQUIRE(tier->Put("a", "1", Meta(1)).ok());
  REQUIRE(tier->Put("b", "2", Meta(1)).ok());
  REQUIRE(tier->Flush().ok());
  fe.fs->fault = FaultFs::kIoError;
  REQUIRE(tier->Put("c", "queued", Meta(1)).ok());  // may fail or be cleared: either way gone
  CHECK(tier->DeleteAll().code() == StatusCode::kIoError);
  CHECK(tier->GetStats().masked_keys == SIZE_MAX);
  CHECK_FALSE(MustGet(*tier, "a"));
  CHECK_FALSE(MustGet(*tier, "c"));
  CHECK(Collect(*tier).empty());
  fe.fs->fault = FaultFs::kNone;
  SleepMs(350);
  REQUIRE(tier->Put("d", "new", Meta(1)).ok());
  REQUIRE(tier->Flush().ok());
  CHECK(tier->healthy());
  CHECK(tier->GetStats().masked_keys == 0);
  const auto all = Collect(*tier);
  CHECK(all.size() == 1);
  CHECK(all.count("d") == 1);
  CHECK(*tier->CountRawForTest() == 1);  // the range delete reached RocksDB
}

TEST_CASE("disk_tier: a full file system (tmpfs): kIoError, reads work, recovery") {
  TempDir tmp;
  if (!tmp.MountTmpfs("24m")) {
    MESSAGE("skipped: mounting a tmpfs is not permitted here (the FaultFs tests cover it)");
    return;
  }
  ManualClock clock;
  LogSink log;
  auto o = MakeOptions(tmp.sub("db"), DiskTier::Mode::kSync, &clock);
  o.memtable_bytes = 1 * MiB;
  o.retry_interval_ms = 100;
  o.log = log.fn();
  auto tier = OpenTier(o);
  const std::string before = Pattern(100 * KiB, 1);
  REQUIRE(tier->Put("before", before, Meta(1)).ok());

  // Fill the file system.
  const std::string filler = tmp.sub("filler");
  {
    std::FILE* f = std::fopen(filler.c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string chunk(64 * KiB, 'f');
    while (std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
    }
    std::fclose(f);
  }
  // More than RocksDB preallocated for its WAL, so the append must hit ENOSPC.
  Status s = tier->Put("big", Pattern(3 * MiB, 2), Meta(2));
  CHECK(s.code() == StatusCode::kIoError);
  CHECK(s.message() == "disk tier unavailable: no space left on device");
  CHECK_FALSE(tier->healthy());
  CHECK(tier->GetStats().last_error == "no space left on device");
  CHECK(tier->Put("small", "x", Meta(2)).code() == StatusCode::kIoError);
  auto r = MustGet(*tier, "before");
  REQUIRE(r);
  CHECK(r->value == before);
  CHECK_FALSE(MustGet(*tier, "big"));

  std::filesystem::remove(filler);
  const auto start = std::chrono::steady_clock::now();
  s = PutUntilHealthy(*tier, "small", "x");
  INFO(log.All());
  REQUIRE_MESSAGE(s.ok(), s.message());
  MESSAGE("recovered from a full tmpfs "
          << std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start).count()
          << " ms after the filler was removed");
  CHECK(tier->healthy());
  REQUIRE(tier->Put("big", Pattern(3 * MiB, 2), Meta(3)).ok());
  CHECK(MustGet(*tier, "big")->value == Pattern(3 * MiB, 2));
  CHECK(MustGet(*tier, "before")->value == before);
  CHECK(MustGet(*tier, "small")->value == "x");
  tier.reset();  // close before the tmpfs goes away
}

}  // TEST_SUITE

}  // namespace crescent::storage
