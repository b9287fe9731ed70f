// How an I/O thread waits for work: it may poll its sockets for a short while before it
// sleeps in epoll_wait (io-busy-poll-us).
//
// Why: a thread asleep in epoll_wait is woken by the peer's send, and the sender pays
// for the wake-up (scheduler, inter-processor interrupt; on a virtual machine a hypercall
// as well). At pipeline 1 with 50 clients a sleeping server was woken 0.3-0.4 times per
// request; polling for up to 50 us first removed nearly all of those wake-ups and the
// client's CPU per request fell with them (docs/design.md: Busy polling).
//
// Polling costs CPU, so it is done only while it pays: BusyPollPolicy remembers whether
// recent idle periods ended within the budget and stops polling when most did not (a
// light load, where each poll would run out and sleep anyway). Server applies one more
// rule: threads poll only when they are at most half the usable cores, so that polling
// never takes the cores that the kernel's network work and the clients need.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include <boost/asio/io_context.hpp>

#include "common/function_ref.h"

namespace crescent::server {

// A saturating score of the last idle periods: +1 for one that ended within the budget
// (polling caught, or would have caught, the next event), -1 for one that did not.
// Invariant: kMinScore <= score_ <= kMaxScore; the thread polls iff score_ >= 0, so after
// a run of misses it takes as many hits as misses were counted (at most kMaxScore) to
// poll again, and one miss after a long run of hits does not stop it.
class BusyPollPolicy {
 public:
  static constexpr int kMaxScore = 8;
  static constexpr int kMinScore = -8;

  bool ShouldPoll() const { return score_ >= 0; }
  void Record(bool ended_within_budget) {
    score_ = ended_within_budget ? std::min(score_ + 1, kMaxScore)
                                 : std::max(score_ - 1, kMinScore);
  }
  int score() const { return score_; }

 private:
  int score_ = 0;
};

// Counted by the thread that runs the loop, read by INFO and /metrics from any thread.
// Idle periods are counted only while the budget is above 0.
struct IoLoopStats {
  std::atomic<uint64_t> polled_wakeups{0};  // ended by an event found while polling
  std::atomic<uint64_t> sleeps{0};          // ended in a blocking epoll_wait
};

// IoLoopStats read (or summed over threads) at one time.
struct IoLoopCounts {
  uint64_t polled_wakeups = 0;
  uint64_t sleeps = 0;
};

// Runs `context` until it stops (no work left, or stop()). `budget_us` is read at each idle
// period, so a CONFIG SET takes effect at once; at 0 the thread sleeps as soon as it has
// nothing to do, as io_context::run() does.
void RunIoLoop(boost::asio::io_context& context, FunctionRef<int64_t()> budget_us,
               IoLoopStats* stats);

}  // namespace crescent::server
