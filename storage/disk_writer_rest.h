// How the async disk writer yields the CPU to request threads (storage/disk_tier_async.cpp).
//
// The writer runs at nice 19, but a low priority only orders threads that want the CPU
// at the same instant. Between requests (a client waiting for its reply, a reply on its
// way) the CPU is briefly idle, and a backlogged writer fills those gaps: with 64 KiB
// SETs saturating two cores it took a fifth of a core at nice 19 (SCHED_IDLE did no
// better), and request throughput fell by as much. So after each batch the writer asks
// whether it was preempted meanwhile (someone else wanted the CPU) and, if it was, rests
// long enough to keep its share of a core under contention at a set fraction.
#pragma once

#include <chrono>
#include <cstdint>

namespace crescent::storage::disk_internal {

// A thread's CPU time and how often the scheduler took the CPU from it while it could
// still run (involuntary context switches).
struct ThreadUsage {
  int64_t cpu_ns = 0;
  int64_t preemptions = 0;
  static ThreadUsage OfThisThread();
};

inline constexpr std::chrono::milliseconds kMaxWriterRest{100};

// How long the writer rests after a batch that took it from `before` to `after`:
// preempted during the batch, (1 - share) / share times the batch's CPU time, at most
// kMaxWriterRest, so that it takes at most `share` of a core while the CPU is contended.
// Not preempted, or share outside (0, 1): no rest.
std::chrono::nanoseconds ContendedRest(const ThreadUsage& before, const ThreadUsage& after,
                                       double share);

}  // namespace crescent::storage::disk_internal
