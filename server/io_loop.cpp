#include "server/io_loop.h"

namespace crescent::server {

void RunIoLoop(boost::asio::io_context& context, FunctionRef<int64_t()> budget_us,
               IoLoopStats* stats) {
  using Clock = std::chrono::steady_clock;
  BusyPollPolicy policy;
  for (;;) {
    if (budget_us() <= 0) {
      if (context.run_one() == 0) return;
      continue;
    }
    // Whatever is ready runs first; poll() returns 0 once the queue and the sockets have
    // nothing (each call ends in a non-blocking epoll_wait).
    while (context.poll() > 0) {
    }
    if (context.stopped()) return;
    // Read when the idle period starts, not before the handlers above: one of them may
    // have been CONFIG SET, which applies from the next idle period on.
    const int64_t budget_value = budget_us();
    if (budget_value <= 0) continue;

    const auto budget = std::chrono::microseconds(budget_value);
    const auto idle_since = Clock::now();
    bool caught = false;
    if (policy.ShouldPoll()) {
      const auto deadline = idle_since + budget;
      while (Clock::now() < deadline) {
        if (context.poll_one() > 0) {
          caught = true;
          break;
        }
        if (context.stopped()) return;
      }
    }
    if (caught) {
      stats->polled_wakeups.fetch_add(1, std::memory_order_relaxed);
      policy.Record(true);
      continue;
    }
    stats->sleeps.fetch_add(1, std::memory_order_relaxed);
    if (context.run_one() == 0) return;
    // The time measured includes the one handler run_one() ran, so a short sleep can be
    // counted as a miss, never a long one as a hit: the policy errs towards sleeping.
    policy.Record(Clock::now() - idle_since < budget);
  }
}

}  // namespace crescent::server
