// PoolPrefaulter: faults a memory pool's huge pages in ahead of its allocations, on a
// thread of its own.
//
// Why: the first write to a 2 MiB page of the pool faults it in on the writing thread,
// and the kernel then zeroes 2 MiB (and, with THP's defrag "madvise", may compact memory
// to find them). While a pool filled, that took redis-benchmark's p99 for 1 KiB SETs
// from 1.0 ms to 2-4 ms; once the pages were resident it was 1.0 ms again, as with huge
// pages off. The allocator carves fresh memory from the low end of the region upwards,
// so the pool reports how far its allocations reach (NoteAllocatedUpTo) and this thread
// keeps `ahead` bytes past that mark populated (it starts with the first `ahead`, and
// starts again from the top of what is allocated when Trim gives pages back: Restart).
// MADV_POPULATE_WRITE changes no byte, so populating memory that a request thread writes
// at the same moment is safe. On a kernel without it (before 5.14) the thread stops and
// faults happen where they did before.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace crescent::storage {

class PoolPrefaulter {
 public:
  // `ahead`: a multiple of 2 MiB.
  PoolPrefaulter(char* base, uint64_t capacity, uint64_t ahead);
  ~PoolPrefaulter();
  PoolPrefaulter(const PoolPrefaulter&) = delete;
  PoolPrefaulter& operator=(const PoolPrefaulter&) = delete;

  // An allocation of the pool ends at `end` (an offset). Cheap while the populated region
  // reaches past end + ahead / 2: one relaxed load and compare.
  void NoteAllocatedUpTo(uint64_t end) {
    if (end + ahead_ / 2 <= populated_end_.load(std::memory_order_relaxed)) return;
    Wake(end);
  }

  // Everything from `top` up was given back to the kernel (MemoryPool::Trim, FLUSHALL)
  // and nothing above it is allocated: populate again from there.
  void Restart(uint64_t top);

  uint64_t populated_end() const { return populated_end_.load(std::memory_order_acquire); }

 private:
  void Wake(uint64_t end);
  void Run();

  char* const base_;
  const uint64_t capacity_;
  const uint64_t ahead_;
  std::atomic<uint64_t> populated_end_{0};
  std::atomic<uint64_t> high_water_{0};  // the furthest end noted
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;       // GUARDED_BY(mu_)
  uint64_t restarts_ = 0;   // GUARDED_BY(mu_); a populate begun before one is not recorded
  std::thread thread_;
};

}  // namespace crescent::storage
