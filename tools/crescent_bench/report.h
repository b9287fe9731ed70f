// The summary of a run: a few aligned lines in the manner of db_bench, or one JSON object
// (--json) for scripts such as tools/bench/compare.sh.
#pragma once

#include "tools/crescent_bench/bench_runner.h"
#include "tools/crescent_bench/workload.h"

namespace crescent::bench {

void PrintText(const Workload& w, const RunResult& prefill, const RunResult& r);
void PrintJson(const Workload& w, const RunResult& prefill, const RunResult& r);

}  // namespace crescent::bench
