#include "storage/pool_prefaulter.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>

namespace crescent::storage {

namespace {
constexpr uint64_t kHugePage = 2u << 20;
constexpr int kPrefaultNice = 19;
#ifndef MADV_POPULATE_WRITE
constexpr int MADV_POPULATE_WRITE = 23;  // Linux 5.14
#endif
}  // namespace

PoolPrefaulter::PoolPrefaulter(char* base, uint64_t capacity, uint64_t ahead)
    : base_(base), capacity_(capacity), ahead_(ahead), thread_([this] { Run(); }) {}

PoolPrefaulter::~PoolPrefaulter() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void PoolPrefaulter::Wake(uint64_t end) {
  uint64_t seen = high_water_.load(std::memory_order_relaxed);
  while (end > seen && !high_water_.compare_exchange_weak(seen, end, std::memory_order_relaxed)) {
  }
  if (end <= seen) return;  // noted further already
  std::lock_guard l(mu_);
  cv_.notify_one();
}

void PoolPrefaulter::Restart(uint64_t top) {
  {
    std::lock_guard l(mu_);
    ++restarts_;
    high_water_.store(top, std::memory_order_relaxed);
    const uint64_t kept = std::min(populated_end_.load(std::memory_order_relaxed),
                                   top / kHugePage * kHugePage);
    populated_end_.store(kept, std::memory_order_relaxed);
  }
  cv_.notify_one();
}

void PoolPrefaulter::Run() {
  (void)::pthread_setname_np(::pthread_self(), "pool-prefault");
  // Work done ahead of need yields to request threads: behind, it costs nothing more than
  // without this thread (the writer faults the page in itself). No privilege is needed to
  // lower a thread's priority; a failure leaves the normal one.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kPrefaultNice);
  auto wanted = [&] {
    const uint64_t high = high_water_.load(std::memory_order_relaxed);
    const uint64_t page_end = (high + kHugePage - 1) / kHugePage * kHugePage;
    return std::min(capacity_, page_end + ahead_);
  };
  for (;;) {
    uint64_t from = 0, goal = 0, restarts = 0;
    {
      std::unique_lock l(mu_);
      cv_.wait(l, [&] {
        return stop_ || wanted() > populated_end_.load(std::memory_order_relaxed);
      });
      if (stop_) return;
      from = populated_end_.load(std::memory_order_relaxed);
      goal = wanted();
      restarts = restarts_;
    }
    // One huge page per call: the call holds the process's mmap lock (for reading) while
    // it zeroes, and a request thread that grows the heap (brk) needs it for writing.
    // A failure other than "not supported" (no memory now) skips the page: the writer
    // then faults it in itself, as without this thread.
    for (uint64_t at = from; at < goal; at += kHugePage) {
      if (::madvise(base_ + at, std::min(kHugePage, goal - at), MADV_POPULATE_WRITE) != 0 &&
          errno == EINVAL) {
        return;
      }
    }
    std::lock_guard l(mu_);
    if (restarts_ == restarts) populated_end_.store(goal, std::memory_order_release);
  }
}

}  // namespace crescent::storage
