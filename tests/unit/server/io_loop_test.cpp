// The I/O loop's busy polling: the policy alone, then RunIoLoop on a real io_context fed
// from another thread. The loop thread's CPU time is read from its own clock, which is
// what tells polling from sleeping when both end in the same handler.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <ctime>
#include <pthread.h>
#include <thread>

#include "server/io_loop.h"

using namespace crescent::server;
namespace asio = boost::asio;

TEST_CASE("busy poll policy: polls at first, stops after misses, resumes after as many hits") {
  BusyPollPolicy policy;
  CHECK(policy.ShouldPoll());
  policy.Record(false);
  CHECK_FALSE(policy.ShouldPoll());
  policy.Record(true);
  CHECK(policy.ShouldPoll());

  // A long run of misses saturates: it takes kMaxScore hits, not twenty, to poll again.
  for (int i = 0; i < 20; ++i) policy.Record(false);
  CHECK(policy.score() == BusyPollPolicy::kMinScore);
  for (int i = 0; i < -BusyPollPolicy::kMinScore - 1; ++i) policy.Record(true);
  CHECK_FALSE(policy.ShouldPoll());
  policy.Record(true);
  CHECK(policy.ShouldPoll());

  // After a long run of hits, one miss does not stop it; kMaxScore + 1 misses do.
  for (int i = 0; i < 20; ++i) policy.Record(true);
  CHECK(policy.score() == BusyPollPolicy::kMaxScore);
  policy.Record(false);
  CHECK(policy.ShouldPoll());
  for (int i = 0; i < BusyPollPolicy::kMaxScore; ++i) policy.Record(false);
  CHECK_FALSE(policy.ShouldPoll());
}

namespace {

// A thread running RunIoLoop with the given budget; the test posts work to it.
struct LoopThread {
  asio::io_context context{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
  std::atomic<int64_t> budget_us;
  IoLoopStats stats;
  std::atomic<int> handled{0};
  std::thread thread;

  explicit LoopThread(int64_t budget) : budget_us(budget) {
    thread = std::thread([this] {
      RunIoLoop(context, [this] { return budget_us.load(); }, &stats);
    });
  }
  ~LoopThread() {
    if (thread.joinable()) {
      work.reset();
      thread.join();
    }
  }

  // Posts `count` handlers, each `gap` after the previous one ran.
  void Feed(int count, std::chrono::microseconds gap) {
    for (int i = 0; i < count; ++i) {
      std::this_thread::sleep_for(gap);
      int before = handled.load();
      asio::post(context, [this] { handled.fetch_add(1); });
      while (handled.load() == before) std::this_thread::yield();
    }
  }

  std::chrono::nanoseconds CpuTime() {
    clockid_t clock;
    REQUIRE(pthread_getcpuclockid(thread.native_handle(), &clock) == 0);
    timespec ts{};
    REQUIRE(clock_gettime(clock, &ts) == 0);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }

  // Ends the loop the way the server does: the work guard goes, the context runs dry.
  void Finish() {
    work.reset();
    thread.join();
  }
};

}  // namespace

TEST_CASE("io loop: work that arrives within the budget is found by polling, not by waking") {
  LoopThread loop(200'000);  // 200 ms: far longer than the 1 ms gaps, on any machine
  loop.Feed(20, std::chrono::milliseconds(1));
  loop.Finish();
  CHECK(loop.handled.load() == 20);
  // A thread that slept would have been woken for each handler; a stall of 200 ms of the
  // test's thread could still make one idle period end in a sleep.
  CHECK(loop.stats.polled_wakeups.load() >= 18);
  CHECK(loop.stats.sleeps.load() <= 2);
}

TEST_CASE("io loop: when idle periods outlast the budget it stops polling and sleeps") {
  LoopThread loop(2'000);  // 2 ms of polling per idle period, were it to keep polling
  loop.Feed(20, std::chrono::milliseconds(20));
  auto cpu = loop.CpuTime();
  loop.Finish();
  CHECK(loop.handled.load() == 20);
  CHECK(loop.stats.polled_wakeups.load() == 0);
  CHECK(loop.stats.sleeps.load() >= 20);
  // Polling every idle period would cost 20 x 2 ms; the first miss stops it.
  CHECK(cpu < std::chrono::milliseconds(20));
}

TEST_CASE("io loop: a budget of 0 sleeps at once and counts nothing; a new budget applies") {
  LoopThread loop(0);
  loop.Feed(10, std::chrono::milliseconds(1));
  CHECK(loop.handled.load() == 10);
  CHECK(loop.stats.polled_wakeups.load() == 0);
  CHECK(loop.stats.sleeps.load() == 0);
  // As CONFIG SET does: the next idle period reads the new budget.
  loop.budget_us = 200'000;
  loop.Feed(10, std::chrono::milliseconds(1));
  loop.Finish();
  CHECK(loop.handled.load() == 20);
  CHECK(loop.stats.polled_wakeups.load() >= 8);
}

TEST_CASE("io loop: a handler that sets the budget to 0 stops polling from the next idle period") {
  LoopThread loop(200'000);
  std::atomic<bool> turned_off{false};
  // As CONFIG SET io-busy-poll-us 0 does. Posted by another handler, it runs among the
  // handlers that precede an idle period: a budget read before them would be stale.
  asio::post(loop.context, [&] {
    asio::post(loop.context, [&] {
      loop.budget_us = 0;
      turned_off = true;
    });
  });
  while (!turned_off.load()) std::this_thread::yield();
  const uint64_t polled = loop.stats.polled_wakeups.load();
  loop.Feed(10, std::chrono::milliseconds(1));
  loop.Finish();
  CHECK(loop.handled.load() == 10);
  CHECK(loop.stats.polled_wakeups.load() == polled);
}

TEST_CASE("io loop: returns once the context has no work left, polling or not") {
  for (int64_t budget : {int64_t{0}, int64_t{5'000'000}}) {
    INFO("budget " << budget);
    LoopThread loop(budget);
    loop.Feed(3, std::chrono::microseconds(100));
    auto start = std::chrono::steady_clock::now();
    loop.Finish();
    // Not after the budget's 5 s: the loop sees the context stop while it polls.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500));
    CHECK(loop.context.stopped());
  }
}
