// Progress on stderr for long operations: a bar when the total is known, a spinner with the
// elapsed time when it is not (one long command running on the server). Drawn only when
// enabled (stderr is a terminal and --no-progress was not given); otherwise every call does
// nothing. A bar belongs to the thread that updates it; a spinner draws from a thread of
// its own until it is destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace crescent::cli {

class ProgressBar {
 public:
  enum class Unit { kObjects, kBytes };
  ProgressBar(std::string label, int64_t total, Unit unit, bool enabled);
  ~ProgressBar() { Close(); }

  // Redraws at most ten times a second (always with `force`).
  void Update(int64_t done, bool force = false);
  // Draws the final state and ends the line (once).
  void Close();

 private:
  std::string Amount(int64_t n) const;

  std::string label_;
  int64_t total_;
  Unit unit_;
  bool enabled_;
  bool closed_ = false;
  int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
};

class Spinner {
 public:
  Spinner(std::string label, bool enabled);
  ~Spinner();
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

 private:
  void Run();

  std::string label_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace crescent::cli
