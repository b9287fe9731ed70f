#include "server/io_barrier.h"

#include <boost/asio/post.hpp>

namespace crescent::server {

void IoBarrier::RunExclusive(FunctionRef<void()> section) {
  const size_t others = contexts_.empty() ? 0 : contexts_.size() - 1;
  std::unique_lock lock(mu_);
  while (active_) ParkLocked(lock);
  if (others == 0 || abandoned_) {
    lock.unlock();
    section();
    return;
  }
  active_ = true;
  const uint64_t generation = ++generation_;
  parked_ = 0;
  lock.unlock();
  // The caller's own context gets one too: it runs after the section and returns.
  for (auto* context : contexts_) {
    boost::asio::post(*context, [this, generation] { Park(generation); });
  }
  lock.lock();
  cv_.wait(lock, [&] { return parked_ == others || abandoned_; });
  lock.unlock();
  section();
  lock.lock();
  active_ = false;
  cv_.notify_all();
}

void IoBarrier::Abandon() {
  std::lock_guard lock(mu_);
  abandoned_ = true;
  cv_.notify_all();
}

void IoBarrier::Park(uint64_t generation) {
  std::unique_lock lock(mu_);
  if (!active_ || generation_ != generation) return;
  ParkLocked(lock);
}

void IoBarrier::ParkLocked(std::unique_lock<std::mutex>& lock) {
  const uint64_t generation = generation_;
  ++parked_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return !active_ || generation_ != generation; });
}

}  // namespace crescent::server
