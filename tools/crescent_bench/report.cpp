#include "tools/crescent_bench/report.h"

#include <cstdio>
#include <string>

namespace crescent::bench {
namespace {

struct Figures {
  double ops_per_s = 0;
  double gb_per_s = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0, mean_us = 0;
  double client_cpu_us_per_req = 0;
  double server_cpu_us_per_req = -1;  // -1: unknown
  uint64_t lookups = 0, hits = 0, misses = 0;
};

Figures Compute(const Workload& w, const RunResult& r) {
  Figures f;
  const RunStats& s = r.stats;
  double secs = r.seconds > 0 ? r.seconds : 1e-9;
  f.ops_per_s = static_cast<double>(s.requests) / secs;
  f.gb_per_s = static_cast<double>(s.payload_bytes) / secs / 1e9;
  f.p50_us = static_cast<double>(s.latency.Percentile(0.50)) / 1e3;
  f.p99_us = static_cast<double>(s.latency.Percentile(0.99)) / 1e3;
  f.p999_us = static_cast<double>(s.latency.Percentile(0.999)) / 1e3;
  f.max_us = static_cast<double>(s.latency.max_ns()) / 1e3;
  f.mean_us = s.latency.mean_ns() / 1e3;
  double reqs = s.requests > 0 ? static_cast<double>(s.requests) : 1;
  f.client_cpu_us_per_req = static_cast<double>(r.client_cpu_ns) / 1e3 / reqs;
  if (r.server_cpu_known) f.server_cpu_us_per_req = static_cast<double>(r.server_cpu_ns) / 1e3 / reqs;
  if (w.options().workload == WorkloadKind::kKvCache) {
    f.lookups = s.by_op[static_cast<int>(Op::kExists)];
    f.hits = s.get_hits;
    f.misses = s.by_op[static_cast<int>(Op::kSet)];
  } else {
    f.lookups = s.by_op[static_cast<int>(Op::kGet)];
    f.hits = s.get_hits;
    f.misses = s.get_misses;
  }
  return f;
}

std::string Size(uint64_t n) {
  char buf[32];
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) std::snprintf(buf, sizeof(buf), "%lluMiB", (unsigned long long)(n >> 20));
  else if (n >= 1024 && n % 1024 == 0) std::snprintf(buf, sizeof(buf), "%lluKiB", (unsigned long long)(n >> 10));
  else std::snprintf(buf, sizeof(buf), "%lluB", (unsigned long long)n);
  return buf;
}

std::string ValueSizes(const BenchOptions& o) {
  if (o.value_min == o.value_max) return Size(o.value_min);
  return Size(o.value_min) + "-" + Size(o.value_max);
}

void JsonString(const std::string& s) {
  std::putchar('"');
  for (char c : s) {
    if (c == '"' || c == '\\') std::printf("\\%c", c);
    else if (static_cast<unsigned char>(c) < 0x20) std::printf("\\u%04x", c);
    else std::putchar(c);
  }
  std::putchar('"');
}

}  // namespace

void PrintText(const Workload& w, const RunResult& prefill, const RunResult& r) {
  const BenchOptions& o = w.options();
  Figures f = Compute(w, r);
  const RunStats& s = r.stats;
  int pipeline = o.workload == WorkloadKind::kKvCache ? 1 : o.pipeline;
  std::printf("crescent-bench %s: %s:%d, %d connections on %d threads, pipeline %d\n",
              WorkloadName(o.workload), o.host.c_str(), o.port, o.connections,
              std::min(o.threads, o.connections), pipeline);
  std::printf("keys:        %zu bytes, %llu in the key set, %llu written beforehand in %.2f s\n",
              w.key_length(), (unsigned long long)w.keyspace(), (unsigned long long)w.prefill_count(),
              prefill.seconds);
  std::printf("values:      %s\n", ValueSizes(o).c_str());
  std::printf("------------------------------------------------\n");
  std::printf("%-12s %12.0f ops/s  (%llu requests in %.2f s)\n", WorkloadName(o.workload), f.ops_per_s,
              (unsigned long long)s.requests, r.seconds);
  std::printf("payload:     %12.3f GB/s\n", f.gb_per_s);
  std::printf("latency:     p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  mean %.1f us\n", f.p50_us,
              f.p99_us, f.p999_us, f.max_us, f.mean_us);
  if (f.lookups > 0) {
    std::printf("lookups:     %llu, hits %llu, misses %llu (%.1f%%)\n", (unsigned long long)f.lookups,
                (unsigned long long)f.hits, (unsigned long long)f.misses,
                100.0 * static_cast<double>(f.misses) / static_cast<double>(f.lookups));
  }
  std::printf("client CPU:  %.2f us/request\n", f.client_cpu_us_per_req);
  if (f.server_cpu_us_per_req >= 0) std::printf("server CPU:  %.2f us/request\n", f.server_cpu_us_per_req);
  std::printf("errors:      %llu error replies, %llu connection failures%s%s\n",
              (unsigned long long)(s.errors + prefill.stats.errors),
              (unsigned long long)(s.connection_failures + prefill.stats.connection_failures),
              s.first_error.empty() && prefill.stats.first_error.empty() ? "" : "; first: ",
              (prefill.stats.first_error.empty() ? s.first_error : prefill.stats.first_error).c_str());
}

void PrintJson(const Workload& w, const RunResult& prefill, const RunResult& r) {
  const BenchOptions& o = w.options();
  Figures f = Compute(w, r);
  const RunStats& s = r.stats;
  std::printf("{\"workload\":\"%s\",\"connections\":%d,\"threads\":%d,\"pipeline\":%d,", WorkloadName(o.workload),
              o.connections, std::min(o.threads, o.connections),
              o.workload == WorkloadKind::kKvCache ? 1 : o.pipeline);
  std::printf("\"value_min\":%llu,\"value_max\":%llu,\"key_length\":%zu,\"keyspace\":%llu,\"prefilled\":%llu,",
              (unsigned long long)o.value_min, (unsigned long long)o.value_max, w.key_length(),
              (unsigned long long)w.keyspace(), (unsigned long long)w.prefill_count());
  std::printf("\"requests\":%llu,\"seconds\":%.4f,\"ops_per_sec\":%.1f,\"payload_bytes\":%llu,\"gb_per_sec\":%.4f,",
              (unsigned long long)s.requests, r.seconds, f.ops_per_s, (unsigned long long)s.payload_bytes,
              f.gb_per_s);
  std::printf("\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f,", f.p50_us,
              f.p99_us, f.p999_us, f.max_us, f.mean_us);
  std::printf("\"gets\":%llu,\"sets\":%llu,\"exists\":%llu,\"dels\":%llu,",
              (unsigned long long)s.by_op[static_cast<int>(Op::kGet)],
              (unsigned long long)s.by_op[static_cast<int>(Op::kSet)],
              (unsigned long long)s.by_op[static_cast<int>(Op::kExists)],
              (unsigned long long)s.by_op[static_cast<int>(Op::kDel)]);
  std::printf("\"lookups\":%llu,\"hits\":%llu,\"misses\":%llu,", (unsigned long long)f.lookups,
              (unsigned long long)f.hits, (unsigned long long)f.misses);
  std::printf("\"client_cpu_us_per_req\":%.3f,", f.client_cpu_us_per_req);
  if (f.server_cpu_us_per_req >= 0) std::printf("\"server_cpu_us_per_req\":%.3f,", f.server_cpu_us_per_req);
  else std::printf("\"server_cpu_us_per_req\":null,");
  std::printf("\"errors\":%llu,\"connection_failures\":%llu,\"first_error\":",
              (unsigned long long)(s.errors + prefill.stats.errors),
              (unsigned long long)(s.connection_failures + prefill.stats.connection_failures));
  JsonString(prefill.stats.first_error.empty() ? s.first_error : prefill.stats.first_error);
  std::printf("}\n");
}

}  // namespace crescent::bench
