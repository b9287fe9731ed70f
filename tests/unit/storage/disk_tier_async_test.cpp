// Tests for the async queue's hand-over of values (storage/disk_tier_async.cpp), on a
// real RocksDB in a temporary folder: values queued by reference (PutOptions::pin),
// Puts that wait for room (PutOptions::wait_ms) or hold it (ReserveRoom), coalesced
// deletes of refused writes, and the writer thread's low CPU priority and rests.
#include "storage/disk_tier.h"

#include <doctest/doctest.h>
#include <sched.h>

#include <atomic>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "storage/disk_writer_rest.h"
#include "tests/unit/storage/disk_tier_test_util.h"

namespace crescent::storage {
using namespace disk_test;

namespace {

// A pin that counts how many of its kind are alive; the bytes live in `owner`.
struct CountedBytes {
  std::string bytes;
  std::atomic<int>* alive;
  CountedBytes(std::string b, std::atomic<int>* a) : bytes(std::move(b)), alive(a) { ++*alive; }
  ~CountedBytes() { --*alive; }
};

DiskTier::PutOptions Pinned(const std::shared_ptr<CountedBytes>& owner) {
  DiskTier::PutOptions po;
  po.pin = owner;
  return po;
}

}  // namespace

TEST_SUITE("disk_tier") {

TEST_CASE("disk_tier async: a pinned value is queued by reference and released once written") {
  TempDir tmp;
  ManualClock clock;
  FaultEnv fe;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock);
  o.blob_threshold = 16 * KiB;
  o.env = fe.env.get();
  auto tier = OpenTier(o);
  std::atomic<int> alive{0};

  fe.fs->HoldWal(true);  // the writer blocks inside its first WAL append
  auto first = std::make_shared<CountedBytes>(Pattern(100, 1), &alive);
  REQUIRE(tier->Put("first", first->bytes, Meta(1), Pinned(first)).ok());
  fe.fs->WaitHeld();
  auto big = std::make_shared<CountedBytes>(Pattern(64 * KiB, 2), &alive);
  const std::string big_bytes = big->bytes;
  REQUIRE(tier->Put("big", big->bytes, Meta(2, 0, true), Pinned(big)).ok());
  const char* big_data = big->bytes.data();
  big.reset();
  first.reset();
  CHECK(alive.load() == 2);  // the tier holds both pins

  // Read-your-writes from the caller's own bytes (no copy was made).
  bool seen = false;
  auto r = tier->Read("big", [&](const DiskRecordMeta& meta, std::string_view v) {
    seen = true;
    CHECK(v.data() == big_data);
    CHECK(v == big_bytes);
    CHECK(meta == Meta(2, 0, true));
  });
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(seen);
  auto got = MustGet(*tier, "big");
  REQUIRE(got);
  CHECK(got->checksum == DiskRecordChecksum(big_bytes));
  CHECK(tier->GetStats().queue_bytes ==
        std::string_view("first").size() + std::string_view("big").size() +
            2 * kDiskRecordHeaderSize + 100 + 64 * KiB);

  fe.fs->HoldWal(false);
  REQUIRE(tier->Flush().ok());
  CHECK(alive.load() == 0);  // written: the pins are gone
  auto records = Collect(*tier);
  REQUIRE(records.size() == 2);
  CHECK(records["big"].value == big_bytes);
  CHECK(records["big"].meta == Meta(2, 0, true));
  CHECK(records["first"].value == Pattern(100, 1));
  const auto st = tier->GetStats();
  CHECK(st.writes == 2);
  CHECK(st.bytes_written == 100 + 64 * KiB);
  CHECK(st.queue_bytes == 0);
  CHECK(st.corruptions == 0);
}

TEST_CASE("disk_tier async: a refused pinned Put drops its pin at once") {
  TempDir tmp;
  ManualClock clock;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock);
  o.async_queue_bytes = 1000;
  auto tier = OpenTier(o);
  std::atomic<int> alive{0};
  auto huge = std::make_shared<CountedBytes>(std::string(2000, 'h'), &alive);
  CHECK(tier->Put("huge", huge->bytes, Meta(1), Pinned(huge)).code() == StatusCode::kBusy);
  huge.reset();
  CHECK(alive.load() == 0);
  CHECK(tier->GetStats().async_dropped == 1);
}

TEST_CASE("disk_tier async: refused Puts of one key queue a single delete") {
  TempDir tmp;
  ManualClock clock;
  FaultEnv fe;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock);
  o.async_queue_bytes = 1000;
  o.env = fe.env.get();
  auto tier = OpenTier(o);
  REQUIRE(tier->Put("k", "old copy", Meta(1)).ok());
  REQUIRE(tier->Flush().ok());

  fe.fs->HoldWal(true);
  REQUIRE(tier->Put("filler", std::string(900, 'f'), Meta(2)).ok());
  fe.fs->WaitHeld();
  for (int i = 0; i < 50; ++i) {
    CHECK(tier->Put("k", std::string(600, 'k'), Meta(3 + i)).code() == StatusCode::kBusy);
  }
  CHECK(tier->Delete("k").ok());  // coalesced with the queued delete too
  auto st = tier->GetStats();
  CHECK(st.async_dropped == 50);
  CHECK(st.queue_depth == 2);  // filler (in flight) and one delete of k
  CHECK_FALSE(MustGet(*tier, "k"));
  // A write after the delete is queued behind it, and a refusal after that queues a
  // delete again.
  REQUIRE(tier->Put("k", "new", Meta(60)).ok());
  CHECK(MustGet(*tier, "k")->value == "new");
  CHECK(tier->Put("k", std::string(600, 'k'), Meta(61)).code() == StatusCode::kBusy);
  CHECK(tier->GetStats().queue_depth == 4);
  CHECK_FALSE(MustGet(*tier, "k"));

  fe.fs->HoldWal(false);
  REQUIRE(tier->Flush().ok());
  CHECK_FALSE(MustGet(*tier, "k"));
  CHECK(Collect(*tier).size() == 1);  // filler
}

TEST_CASE("disk_tier async: a Put with wait_ms waits for room and gets it first") {
  TempDir tmp;
  ManualClock clock;
  FaultEnv fe;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock);
  o.async_queue_bytes = 100'000;
  o.env = fe.env.get();
  auto tier = OpenTier(o);

  fe.fs->HoldWal(true);
  REQUIRE(tier->Put("a", std::string(60'000, 'a'), Meta(1)).ok());
  fe.fs->WaitHeld();
  const std::string demoted(50'000, 'd');  // does not fit beside "a"

  SUBCASE("the room comes in time") {
    DiskTier::PutOptions po;
    po.wait_ms = 30'000;
    auto waiting = std::async(std::launch::async, [&] {
      return tier->Put("demoted", demoted, Meta(2), po);
    });
    // Once the Put waits, non-waiting Puts get no room, even small ones that fit.
    constexpr size_t kProbe = 1 + kDiskRecordHeaderSize;
    int probes = 0;
    while (tier->Put("p", "", Meta(3)).ok() && probes < 5000) {
      ++probes;
      SleepMs(1);
    }
    CHECK(tier->GetStats().queue_bytes + kProbe <= o.async_queue_bytes);
    CHECK(waiting.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
    fe.fs->HoldWal(false);  // the writer drains "a": room for the waiting Put
    CHECK(waiting.get().ok());
    REQUIRE(tier->Flush().ok());
    CHECK(MustGet(*tier, "demoted")->value == demoted);
  }
  SUBCASE("it does not") {
    DiskTier::PutOptions po;
    po.wait_ms = 50;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(tier->Put("demoted", demoted, Meta(2), po).code() == StatusCode::kBusy);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(50));
    // More than the whole queue never fits: refused without waiting.
    po.wait_ms = 30'000;
    CHECK(tier->Put("huge", std::string(200'000, 'h'), Meta(2), po).code() ==
          StatusCode::kBusy);
    fe.fs->HoldWal(false);
    REQUIRE(tier->Flush().ok());
    CHECK_FALSE(MustGet(*tier, "demoted"));
    CHECK(tier->GetStats().async_dropped == 2);
  }
}

TEST_CASE("disk_tier async: reserved room is held for its Put alone, and given back unused") {
  TempDir tmp;
  ManualClock clock;
  FaultEnv fe;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock);
  o.async_queue_bytes = 100'000;
  o.env = fe.env.get();
  auto tier = OpenTier(o);
  auto record = [](std::string_view key, size_t value) {
    return key.size() + kDiskRecordHeaderSize + value;
  };

  fe.fs->HoldWal(true);  // nothing leaves the queue until released
  REQUIRE(tier->Put("a", std::string(40'000, 'a'), Meta(1)).ok());
  fe.fs->WaitHeld();

  DiskTier::Room room = tier->ReserveRoom(std::string_view("demoted").size() + 40'000, 0);
  CHECK(room.bytes() == record("demoted", 40'000));
  // 30,000 would fit beside "a" alone, not beside "a" and the room.
  CHECK(tier->Put("other", std::string(30'000, 'o'), Meta(2)).code() == StatusCode::kBusy);
  // The Put the room was for needs no further room and does not wait.
  DiskTier::PutOptions po;
  po.room = &room;
  const std::string demoted(40'000, 'd');
  REQUIRE(tier->Put("demoted", demoted, Meta(3), po).ok());
  CHECK(room.bytes() == 0);
  // (A refused Put queues a delete of its key, counted by the key's bytes.)
  CHECK(tier->GetStats().queue_bytes ==
        record("a", 40'000) + std::string_view("other").size() + record("demoted", 40'000));

  {
    // Unused room is given back when the Room goes.
    DiskTier::Room unused = tier->ReserveRoom(10'000, 0);
    CHECK(unused.bytes() == 10'000 + kDiskRecordHeaderSize);
    CHECK(tier->Put("b", std::string(15'000, 'b'), Meta(4)).code() == StatusCode::kBusy);
  }
  REQUIRE(tier->Put("b", std::string(15'000, 'b'), Meta(5)).ok());
  // A full queue: no room comes within the wait, and a Room too small for its Put is
  // given back while that Put competes as if it had none (here: refused).
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(tier->ReserveRoom(10'000, 50).bytes() == 0);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(50));
  DiskTier::Room small = tier->ReserveRoom(10, 0);
  REQUIRE(small.bytes() > 0);
  po.room = &small;
  CHECK(tier->Put("c", std::string(8'000, 'c'), Meta(6), po).code() == StatusCode::kBusy);
  CHECK(small.bytes() == 0);
  // The small room came back: all that is free can be reserved.
  const size_t free = o.async_queue_bytes - tier->GetStats().queue_bytes;
  CHECK(tier->ReserveRoom(free - kDiskRecordHeaderSize, 0).bytes() == free);
  CHECK(tier->ReserveRoom(free + 1 - kDiskRecordHeaderSize, 0).bytes() == 0);

  fe.fs->HoldWal(false);
  REQUIRE(tier->Flush().ok());
  CHECK(MustGet(*tier, "demoted")->value == demoted);
  CHECK(MustGet(*tier, "b"));
  CHECK_FALSE(MustGet(*tier, "other"));
  CHECK_FALSE(MustGet(*tier, "c"));
  CHECK(tier->GetStats().queue_bytes == 0);
}

TEST_CASE("disk_tier: a sync tier reserves no room, and its Puts need none") {
  TempDir tmp;
  ManualClock clock;
  auto tier = OpenTier(MakeOptions(tmp.path(), DiskTier::Mode::kSync, &clock));
  DiskTier::Room room = tier->ReserveRoom(100, 1000);
  CHECK(room.bytes() == 0);
  DiskTier::PutOptions po;
  po.room = &room;
  REQUIRE(tier->Put("k", "v", Meta(1), po).ok());
  CHECK(MustGet(*tier, "k")->value == "v");
}

TEST_CASE("disk_tier async: the writer runs at nice 19, RocksDB's threads under SCHED_IDLE") {
  TempDir tmp;
  ManualClock clock;
  auto tier = OpenTier(MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock));
  REQUIRE(tier->Put("k", "v", Meta(1)).ok());
  REQUIRE(tier->Flush().ok());    // the writer has started
  REQUIRE(tier->Compact().ok());  // a flush and a compaction: both pools ran a job
  int found = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    const bool writer = name == "disk-writer";
    if (!writer && name.rfind("rocksdb:", 0) != 0) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields after "(comm)": state is field 3, nice field 19, scheduling policy field 41.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field, nice;
    for (int i = 3; i <= 41; ++i) {
      rest >> field;
      if (i == 19) nice = field;
    }
    INFO("thread ", name);
    if (writer) {
      CHECK(nice == "19");
      CHECK(field == std::to_string(SCHED_OTHER));
      ++found;
    } else {
      CHECK(field == std::to_string(SCHED_IDLE));
    }
  }
  CHECK(found >= 1);
}

TEST_CASE("disk_tier async: the writer's rest after a batch under CPU contention") {
  using disk_internal::ContendedRest;
  using disk_internal::ThreadUsage;
  using std::chrono::milliseconds;
  const ThreadUsage before{1'000'000, 5};
  const ThreadUsage ran_1ms_alone{2'000'000, 5};
  const ThreadUsage ran_1ms_preempted{2'000'000, 6};
  CHECK(ContendedRest(before, ran_1ms_alone, 0.1).count() == 0);
  CHECK(ContendedRest(before, ran_1ms_preempted, 0.1) == milliseconds(9));
  CHECK(ContendedRest(before, ran_1ms_preempted, 0.5) == milliseconds(1));
  CHECK(ContendedRest(before, ran_1ms_preempted, 1.0).count() == 0);
  const ThreadUsage ran_1s_preempted{1'001'000'000, 9};
  CHECK(ContendedRest(before, ran_1s_preempted, 0.1) == disk_internal::kMaxWriterRest);
}

TEST_CASE("disk_tier async: the writer rests while a busy thread shares its CPU") {
  // The test thread, the tier's threads and a busy thread all on one CPU. The busy thread
  // spins 1 ms and sleeps 1 ms, like a request thread under load: the writer (nice 19)
  // runs in the gaps and is preempted when it wakes, so it must rest.
  cpu_set_t saved;
  REQUIRE(::sched_getaffinity(0, sizeof saved, &saved) == 0);
  int cpu = 0;
  while (!CPU_ISSET(cpu, &saved)) ++cpu;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  REQUIRE(::sched_setaffinity(0, sizeof one, &one) == 0);
  struct RestoreAffinity {
    cpu_set_t set;
    ~RestoreAffinity() { (void)::sched_setaffinity(0, sizeof set, &set); }
  } restore{saved};

  TempDir tmp;
  ManualClock clock;
  auto tier = OpenTier(MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock));
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
      while (std::chrono::steady_clock::now() < until) {
      }
      SleepMs(1);
    }
  });
  const std::string value = Pattern(1 * MiB, 7);
  for (int i = 0; i < 16; ++i) REQUIRE(tier->Put("k" + std::to_string(i), value, Meta(1)).ok());
  // Not Flush: a Flush ends the writer's rests.
  for (int i = 0; i < 6000 && tier->GetStats().queue_depth > 0; ++i) SleepMs(10);
  stop = true;
  busy.join();
  const DiskTier::Stats st = tier->GetStats();
  CHECK(st.queue_depth == 0);
  CHECK(st.writes == 16);
  CHECK(st.writer_rests > 0);
  CHECK(st.writer_rest_us > 0);
  REQUIRE(tier->Flush().ok());
  CHECK(MustGet(*tier, "k15")->value == value);
}

TEST_CASE("disk_tier async: a thread waiting for room writes the batches a starved writer cannot") {
  // The writer (nice 19) shares one CPU with a thread that never sleeps: it gets about
  // 1.5% of that CPU. A ReserveRoom on another CPU must get its room by writing batches
  // itself, not by waiting for the writer. (Not SCHED_IDLE for the writer: a batch it
  // had taken could then stay in flight for as long as the CPU is busy.)
  cpu_set_t saved;
  REQUIRE(::sched_getaffinity(0, sizeof saved, &saved) == 0);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &saved)) cpus.push_back(c);
  }
  if (cpus.size() < 2) {
    MESSAGE("skipped: needs two CPUs");
    return;
  }
  auto only = [](int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return set;
  };
  TempDir tmp;
  ManualClock clock;
  auto o = MakeOptions(tmp.path(), DiskTier::Mode::kAsync, &clock);
  o.async_queue_bytes = 20 * MiB;
  auto tier = OpenTier(o);
  REQUIRE(tier->Put("start", "v", Meta(1)).ok());
  REQUIRE(tier->Flush().ok());  // the writer has named itself
  pid_t writer = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name == "disk-writer") writer = std::stoi(task.path().filename().string());
  }
  REQUIRE(writer != 0);
  std::atomic<bool> stop{false};
  std::atomic<pid_t> busy_tid{0};
  std::thread busy([&] {
    busy_tid = static_cast<pid_t>(::gettid());
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  while (busy_tid.load() == 0) SleepMs(1);
  const cpu_set_t starved = only(cpus[0]), free = only(cpus[1]);
  REQUIRE(::sched_setaffinity(busy_tid.load(), sizeof starved, &starved) == 0);
  REQUIRE(::sched_setaffinity(writer, sizeof starved, &starved) == 0);
  REQUIRE(::sched_setaffinity(0, sizeof free, &free) == 0);
  struct Restore {
    cpu_set_t set;
    std::atomic<bool>* stop;
    std::thread* busy;
    ~Restore() {
      *stop = true;
      busy->join();
      (void)::sched_setaffinity(0, sizeof set, &set);
    }
  } restore{saved, &stop, &busy};

  const std::string value = Pattern(1 * MiB, 3);
  int queued = 0;
  for (int i = 0; i < 20; ++i) queued += tier->Put("k" + std::to_string(i), value, Meta(2)).ok();
  // Room for 12 MiB: at least three of the queue's 4 MiB batches must be written.
  DiskTier::Room room = tier->ReserveRoom(12 * MiB - kDiskRecordHeaderSize, 60'000);
  CHECK(room.bytes() == 12 * MiB);
  const DiskTier::Stats st = tier->GetStats();
  MESSAGE("queued ", queued, ", written ", st.writes, ", by the waiting thread: ",
          st.helped_batches, " batches");
  CHECK(st.helped_batches > 0);
  room = DiskTier::Room();
  (void)::sched_setaffinity(writer, sizeof saved, &saved);
  REQUIRE(tier->DeleteAll().ok());  // the starved writer need not drain the rest
}

}  // TEST_SUITE

}  // namespace crescent::storage
