// crescent-bench: a RESP load generator with named workloads (see --help and
// tools/bench/README.md). Exits non-zero when any reply was an error or a connection failed.
#include <csignal>
#include <cstdio>
#include <string>

#include "tools/crescent_bench/bench_runner.h"
#include "tools/crescent_bench/options.h"
#include "tools/crescent_bench/report.h"
#include "tools/crescent_bench/workload.h"

int main(int argc, char** argv) {
  using namespace crescent::bench;
  std::signal(SIGPIPE, SIG_IGN);
  BenchOptions opts;
  std::string error;
  bool help = false;
  if (!ParseOptions(argc, argv, &opts, &error, &help)) {
    std::fprintf(stderr, "crescent-bench: %s\n", error.c_str());
    return 2;
  }
  if (help) {
    std::fputs(Usage(), stdout);
    return 0;
  }
  if (opts.connections == 0) opts.connections = opts.workload == WorkloadKind::kKvCache ? 8 : opts.threads;

  Workload workload(opts);
  BenchRunner runner(&workload);
  RunResult prefill;
  if (workload.prefill_count() > 0) {
    prefill = runner.Prefill();
    if (prefill.stats.errors > 0 || prefill.stats.connection_failures > 0) {
      std::fprintf(stderr, "crescent-bench: prefill failed: %s\n", prefill.stats.first_error.c_str());
      if (opts.json) PrintJson(workload, prefill, RunResult{});
      return 1;
    }
  }
  RunResult result = runner.Measure();
  if (opts.json) PrintJson(workload, prefill, result);
  else PrintText(workload, prefill, result);
  bool failed = result.stats.errors > 0 || result.stats.connection_failures > 0;
  return failed ? 1 : 0;
}
