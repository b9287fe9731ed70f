// IoBarrier on real io_contexts and threads: while a section runs, no handler runs on
// any other I/O thread; sections requested by several threads at once all run, one at
// a time (none waits for another that waits for it).
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "server/io_barrier.h"

using namespace crescent::server;
namespace asio = boost::asio;

namespace {

struct Threads {
  explicit Threads(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      guards.push_back(asio::make_work_guard(*contexts.back()));
    }
    std::vector<asio::io_context*> raw;
    for (auto& c : contexts) raw.push_back(c.get());
    barrier = std::make_unique<IoBarrier>(raw);
    for (auto& c : contexts) threads.emplace_back([ctx = c.get()] { ctx->run(); });
  }
  ~Threads() {
    for (auto& g : guards) g.reset();
    for (auto& t : threads) t.join();
  }
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::unique_ptr<IoBarrier> barrier;
  std::vector<std::thread> threads;
};

}  // namespace

TEST_CASE("io barrier: sections exclude every other thread's handlers and each other") {
  constexpr size_t kThreads = 4;
  constexpr int kRounds = 300;
  std::atomic<int> in_section{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> sections{0};
  std::atomic<int> handlers{0};
  std::atomic<int> done{0};
  {
    Threads t(kThreads);
    for (size_t i = 0; i < kThreads; ++i) {
      asio::io_context& ctx = *t.contexts[i];
      // Each thread alternates ordinary handlers with sections of its own.
      for (int round = 0; round < kRounds; ++round) {
        asio::post(ctx, [&] {
          if (in_section.load() != 0) overlaps.fetch_add(1);
          handlers.fetch_add(1);
        });
        asio::post(ctx, [&, barrier = t.barrier.get()] {
          barrier->RunExclusive([&] {
            if (in_section.fetch_add(1) != 0) overlaps.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::microseconds(20));
            in_section.fetch_sub(1);
            sections.fetch_add(1);
          });
          done.fetch_add(1);
        });
      }
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (done.load() < static_cast<int>(kThreads) * kRounds &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  CHECK(sections.load() == static_cast<int>(kThreads) * kRounds);
  CHECK(handlers.load() == static_cast<int>(kThreads) * kRounds);
  CHECK(overlaps.load() == 0);
}

TEST_CASE("io barrier: one thread runs its section at once; abandoned sections do not wait") {
  {
    Threads t(1);
    std::atomic<bool> ran{false};
    asio::post(*t.contexts[0], [&] { t.barrier->RunExclusive([&] { ran = true; }); });
    for (int i = 0; i < 1000 && !ran; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(ran.load());
  }
  // No I/O threads at all (a Server before Start(), as the dispatcher fuzzer has it).
  IoBarrier none({});
  bool ran_alone = false;
  none.RunExclusive([&] { ran_alone = true; });
  CHECK(ran_alone);
  // Two contexts, but the second is never run: a section would wait forever for it to
  // park unless the barrier was abandoned (as Server does before it stops the threads).
  asio::io_context running(1), stopped(1);
  IoBarrier barrier({&running, &stopped});
  barrier.Abandon();
  bool ran = false;
  barrier.RunExclusive([&] { ran = true; });
  CHECK(ran);
}
