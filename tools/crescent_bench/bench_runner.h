// BenchRunner: drives a Workload over many connections and measures it.
//
// Each client thread owns its connections and one epoll loop; a connection sends a batch
// of `pipeline` requests, waits for all of its replies, then sends the next batch. The
// main thread only moves the run through its phases (warm-up, measurement, stop) and
// reads the clocks; threads count a reply only while the phase is "measure". Statistics
// are per thread and merged after the threads have joined, so the hot path takes no lock
// and allocates nothing.
#pragma once

#include <cstdint>
#include <string>

#include "tools/crescent_bench/latency_histogram.h"
#include "tools/crescent_bench/workload.h"

namespace crescent::bench {

struct RunStats {
  uint64_t requests = 0;              // replies counted while measuring
  uint64_t by_op[kOpCount] = {};
  uint64_t errors = 0;                // error or unexpected replies, in any phase
  uint64_t connection_failures = 0;   // refused, reset, closed, protocol error, stalled
  uint64_t payload_bytes = 0;         // value bytes of SETs acknowledged and GETs hit
  uint64_t get_hits = 0;
  uint64_t get_misses = 0;
  uint64_t exists_true = 0;
  uint64_t exists_false = 0;
  LatencyHistogram latency;
  std::string first_error;            // the first error seen, for the report

  void Merge(const RunStats& other);
};

struct RunResult {
  RunStats stats;
  double seconds = 0;            // length of the measured window
  uint64_t client_cpu_ns = 0;    // this process, over the window
  uint64_t server_cpu_ns = 0;    // --server-pid, over the window
  bool server_cpu_known = false;
};

class BenchRunner {
 public:
  // REQUIRES: `workload` outlives the runner.
  explicit BenchRunner(Workload* workload) : workload_(workload) {}

  // Writes the workload's prefill keys; returns what it cost (not part of the figures).
  RunResult Prefill();
  // Warm-up (untimed), then the measured run: --duration seconds or --requests replies.
  RunResult Measure();

 private:
  struct PhasePlan {
    bool prefill = false;
    int pipeline = 1;
    double warmup_s = 0;
    double duration_s = 0;  // 0: until the requests or the sources run out
    uint64_t requests = 0;  // 0: no limit
  };
  RunResult Run(const PhasePlan& plan);

  Workload* workload_;
};

}  // namespace crescent::bench
