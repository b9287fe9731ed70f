#include "tools/crescent_bench/options.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace crescent::bench {
namespace {

bool ParseUint(const std::string& text, uint64_t* out) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = v;
  return true;
}

bool ParseInt(const std::string& text, int lo, int hi, int* out) {
  uint64_t v = 0;
  if (!ParseUint(text, &v) || v < static_cast<uint64_t>(lo) || v > static_cast<uint64_t>(hi)) {
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

bool ParseDouble(const std::string& text, double lo, double hi, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

bool ParseWorkload(const std::string& name, WorkloadKind* out) {
  if (name == "set") *out = WorkloadKind::kSet;
  else if (name == "get") *out = WorkloadKind::kGet;
  else if (name == "mixed") *out = WorkloadKind::kMixed;
  else if (name == "kvcache") *out = WorkloadKind::kKvCache;
  else return false;
  return true;
}

}  // namespace

const char* WorkloadName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kSet: return "set";
    case WorkloadKind::kGet: return "get";
    case WorkloadKind::kMixed: return "mixed";
    case WorkloadKind::kKvCache: return "kvcache";
  }
  return "?";
}

bool ParseSize(const std::string& text, uint64_t* bytes) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  uint64_t n = 0;
  if (!ParseUint(text.substr(0, i), &n)) return false;
  std::string unit;
  for (char c : text.substr(i)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint64_t mult = 1;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1ull << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1ull << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1ull << 30;
  else return false;
  if (n > UINT64_MAX / mult) return false;
  *bytes = n * mult;
  return true;
}

const char* Usage() {
  return R"(Usage: crescent-bench [--option value ...]
RESP load generator with named workloads.

  --host H            server address [127.0.0.1]
  --port P            server port [6379]
  --threads N         client threads, one epoll loop each [1]
  --connections N     connections in all, spread over the threads [threads; kvcache: 8]
  --pipeline N        requests sent per batch on a connection [1; kvcache: always 1]
  --duration S        seconds to measure [5]
  --requests N        measure N requests instead of a duration
  --warmup S          seconds of load before measuring [0]
  --value-size SIZE   value size, or range A-B (16, 1k, 64k, 1m, 4m, 1m-4m) [16; kvcache: 1m-4m]
  --keyspace N        number of distinct keys [100000; kvcache: sized to --server-memory]
  --key-pattern P     random | seq (each connection takes the next key) [random]
  --workload NAME     set | get | mixed | kvcache [set]
  --get-ratio F       mixed: fraction of GETs [0.9]
  --server-memory SZ  kvcache: server memory the key set must fit in [2GB]
  --miss-ratio F      kvcache: fraction of lookups for new (absent) content [0.2]
  --zipf S            kvcache: Zipf exponent of key popularity [1.0]
  --prefill F         fraction of the key set written before measuring [get/mixed 1; kvcache 0.8; set 0]
  --server-pid PID    also report the server's CPU time (from /proc/PID/stat)
  --seed N            random seed [1]
  --json              print the summary as one JSON object

Workloads:
  set      SET key value; keys "key:<12 digits>" (16 bytes)
  get      fills the key set, then GET
  mixed    fills the key set, then GET or SET at --get-ratio
  kvcache  LMCache's RESP client: 140-byte keys, values 1-4 MiB, one request at a time per
           connection; EXISTS, then GET on a hit, SET on a miss; Zipf popularity; new content
           replaces a key (DEL of the old one after the SET) so the key set keeps its size.

Exit status is non-zero when any reply was an error or a connection failed.
)";
}

bool ParseOptions(int argc, char** argv, BenchOptions* out, std::string* error, bool* help) {
  *help = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_inline = false;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return true;
    }
    if (arg == "--json") {
      out->json = true;
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= argc) {
        *error = "missing value for " + arg;
        return false;
      }
      value = argv[++i];
    }
    bool ok = true;
    if (arg == "--host") {
      out->host = value;
    } else if (arg == "--port") {
      ok = ParseInt(value, 1, 65535, &out->port);
    } else if (arg == "--threads") {
      ok = ParseInt(value, 1, 1024, &out->threads);
    } else if (arg == "--connections") {
      ok = ParseInt(value, 1, 65536, &out->connections);
    } else if (arg == "--pipeline") {
      ok = ParseInt(value, 1, 65536, &out->pipeline);
    } else if (arg == "--duration") {
      ok = ParseDouble(value, 0.001, 86400, &out->duration_s);
    } else if (arg == "--requests") {
      ok = ParseUint(value, &out->requests) && out->requests > 0;
    } else if (arg == "--warmup") {
      ok = ParseDouble(value, 0, 86400, &out->warmup_s);
    } else if (arg == "--value-size") {
      auto dash = value.find('-');
      if (dash == std::string::npos) {
        ok = ParseSize(value, &out->value_min);
        out->value_max = out->value_min;
      } else {
        ok = ParseSize(value.substr(0, dash), &out->value_min) &&
             ParseSize(value.substr(dash + 1), &out->value_max) && out->value_min <= out->value_max;
      }
      ok = ok && out->value_max <= (512ull << 20);
      out->value_size_given = true;
    } else if (arg == "--keyspace") {
      ok = ParseUint(value, &out->keyspace) && out->keyspace > 0;
      out->keyspace_given = true;
    } else if (arg == "--key-pattern") {
      if (value == "random") out->key_pattern = KeyPattern::kRandom;
      else if (value == "seq" || value == "sequential") out->key_pattern = KeyPattern::kSequential;
      else ok = false;
    } else if (arg == "--workload") {
      ok = ParseWorkload(value, &out->workload);
    } else if (arg == "--get-ratio") {
      ok = ParseDouble(value, 0, 1, &out->get_ratio);
    } else if (arg == "--server-memory") {
      ok = ParseSize(value, &out->server_memory) && out->server_memory > 0;
    } else if (arg == "--miss-ratio") {
      ok = ParseDouble(value, 0, 1, &out->miss_ratio);
    } else if (arg == "--zipf") {
      ok = ParseDouble(value, 0, 10, &out->zipf_s);
    } else if (arg == "--prefill") {
      ok = ParseDouble(value, 0, 1, &out->prefill_fraction);
    } else if (arg == "--server-pid") {
      ok = ParseInt(value, 1, 1 << 30, &out->server_pid);
    } else if (arg == "--seed") {
      ok = ParseUint(value, &out->seed);
    } else {
      *error = "unknown option " + arg + " (see --help)";
      return false;
    }
    if (!ok) {
      *error = "bad value for " + arg + ": '" + value + "'";
      return false;
    }
  }
  return true;
}

}  // namespace crescent::bench
