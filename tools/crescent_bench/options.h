// Command-line options of crescent-bench, parsed once at start-up.
//
// Plain data: the runner reads it, nobody writes it after ParseOptions() returns.
// Sizes accept units (16, 1k, 64k, 1m, 4m, 2GB: powers of 1024); a value size may be a
// range ("1m-4m": each key gets a size drawn uniformly from it, fixed per key).
#pragma once

#include <cstdint>
#include <string>

namespace crescent::bench {

enum class WorkloadKind {
  kSet,      // SET over the key set
  kGet,      // GET over a key set filled beforehand
  kMixed,    // GET and SET (--get-ratio) over a key set filled beforehand
  kKvCache,  // LMCache's RESP client: EXISTS, then GET on a hit or SET on a miss
};

enum class KeyPattern {
  kRandom,      // uniform over the key set
  kSequential,  // 0, 1, 2, ... shared by every connection: with --requests N and
                // --keyspace N every key is written exactly once
};

struct BenchOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int threads = 1;
  int connections = 0;  // 0: the workload's default (one per thread; 8 for kvcache)
  int pipeline = 1;
  double duration_s = 5.0;  // ignored when requests > 0
  uint64_t requests = 0;    // 0: run for duration_s
  uint64_t value_min = 16;  // value size, or the bounds of a range
  uint64_t value_max = 16;
  bool value_size_given = false;
  uint64_t keyspace = 100000;
  bool keyspace_given = false;
  WorkloadKind workload = WorkloadKind::kSet;
  KeyPattern key_pattern = KeyPattern::kRandom;
  double warmup_s = 0.0;
  bool json = false;
  int server_pid = 0;              // 0: no server CPU figure
  double get_ratio = 0.9;          // mixed: fraction of GETs
  uint64_t server_memory = 2ull << 30;  // kvcache: sizes the key set to fit
  double miss_ratio = 0.2;         // kvcache: share of lookups for new content
  double zipf_s = 1.0;             // kvcache: popularity skew
  double prefill_fraction = -1.0;  // <0: the workload's default (get/mixed 1.0, kvcache 0.8)
  uint64_t seed = 1;
};

// Parses argv into *out. Returns false and sets *error on a bad option; sets *help when
// --help was asked for (the caller prints Usage()).
bool ParseOptions(int argc, char** argv, BenchOptions* out, std::string* error, bool* help);

const char* Usage();
const char* WorkloadName(WorkloadKind kind);

// "16", "1k", "64KiB", "4m", "2GB" -> bytes. False on anything else.
bool ParseSize(const std::string& text, uint64_t* bytes);

}  // namespace crescent::bench
