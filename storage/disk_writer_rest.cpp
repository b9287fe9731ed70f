#include "storage/disk_writer_rest.h"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>

namespace crescent::storage::disk_internal {

ThreadUsage ThreadUsage::OfThisThread() {
  ThreadUsage u;
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) {
    u.cpu_ns = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
  rusage ru{};
  if (::getrusage(RUSAGE_THREAD, &ru) == 0) u.preemptions = ru.ru_nivcsw;
  return u;
}

std::chrono::nanoseconds ContendedRest(const ThreadUsage& before, const ThreadUsage& after,
                                       double share) {
  if (after.preemptions <= before.preemptions || share >= 1 || share <= 0) {
    return std::chrono::nanoseconds(0);
  }
  const double cpu_ns = static_cast<double>(std::max<int64_t>(0, after.cpu_ns - before.cpu_ns));
  const double rest_ns = std::min(cpu_ns * (1 - share) / share,
                                  std::chrono::nanoseconds(kMaxWriterRest).count() * 1.0);
  return std::chrono::nanoseconds(static_cast<int64_t>(rest_ns));
}

}  // namespace crescent::storage::disk_internal
