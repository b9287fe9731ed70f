// IoBarrier: lets one I/O thread run a piece of code while every other I/O thread waits
// between two of its handlers. EXEC uses it so that a transaction's commands run with no
// other client's command in between, whichever shards of the object table they touch,
// without any lock on the path of ordinary commands: they pay nothing.
//
// How: the caller posts a Park task to every I/O thread's context and waits until all
// the others have parked in it; a thread that wants a section while another holds one
// parks first (so two EXECs on two threads cannot wait for each other). A Park task
// that runs after its section ended returns at once.
//
// What it does not stop: threads that are not I/O threads (the evictor, the disk tier's
// writers, the metrics listener) go on; each of their operations is atomic per key.
//
// Thread-safe. RunExclusive must be called on an I/O thread (a thread that runs one of
// the contexts given), never from inside another RunExclusive.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "common/function_ref.h"

namespace crescent::server {

class IoBarrier {
 public:
  explicit IoBarrier(std::vector<boost::asio::io_context*> contexts)
      : contexts_(std::move(contexts)) {}

  // Runs `section` while every other I/O thread is parked.
  void RunExclusive(FunctionRef<void()> section);

  // The I/O threads are being stopped (their posted tasks may never run): sections
  // from now on run without waiting for the others. Any thread.
  void Abandon();

 private:
  void Park(uint64_t generation);
  // REQUIRES: lock holds mu_ and a section is active. Waits until it ends.
  void ParkLocked(std::unique_lock<std::mutex>& lock);

  const std::vector<boost::asio::io_context*> contexts_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool active_ = false;        // GUARDED_BY(mu_): a section runs or waits for the others
  uint64_t generation_ = 0;    // GUARDED_BY(mu_): of the current or the last section
  size_t parked_ = 0;          // GUARDED_BY(mu_): threads parked for the current section
  bool abandoned_ = false;     // GUARDED_BY(mu_)
};

}  // namespace crescent::server
