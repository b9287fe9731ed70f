// Clock: where the storage and server layers read the time, so that tests can move it.
// SystemClock is the real one; ManualClock is set by tests. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace crescent {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (Redis's TTLs are absolute Unix times).
  virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(std::memory_order_relaxed); }
  void Set(int64_t now_ms) { now_ms_.store(now_ms, std::memory_order_relaxed); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace crescent
