// Prometheus metrics of a node: what GET /metrics answers (server/metrics_http.h serves it).
//
// Collecting and rendering are apart so that the text format can be tested on a known
// set of numbers: CollectMetrics() reads a live Server into a MetricsSnapshot (plain
// values), RenderMetrics() turns a snapshot into text exposition format 0.0.4, and
// RenderServerMetrics() does both.
//
// Naming follows Prometheus's conventions: crescent_ prefix, base units (seconds, bytes)
// in the name, _total on counters; a counter that CONFIG RESETSTAT zeroes simply looks
// like a process restart to Prometheus, which rate() handles.
//
// Thread-safe: the free functions may be called from any thread (the metrics listener
// has its own); CollectMetrics takes the store's shard locks briefly, as INFO does.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/latency_histogram.h"
#include "storage/disk_tier.h"
#include "storage/store.h"

namespace crescent::server {

class Server;

// Writes text exposition format 0.0.4. A family's # HELP and # TYPE lines are written
// just before its first sample, so a family without samples (no command called yet)
// leaves no trace, and samples of one family must be written together. Label values are
// escaped here; names are the caller's constants and must already be valid.
class MetricsWriter {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // Starts a family; its samples follow.
  void Family(std::string_view name, Type type, std::string_view help);
  // A sample of the current family: `suffix` is "" for counters and gauges.
  void Sample(Labels labels, double value, std::string_view suffix = "");
  void Sample(Labels labels, uint64_t value, std::string_view suffix = "");
  void Sample(double value) { Sample({}, value); }
  void Sample(uint64_t value) { Sample({}, value); }
  // One histogram of the current family (of Type::kHistogram): cumulative _bucket lines
  // ending with le="+Inf", then _sum and _count. `counts` has one more entry than
  // `bounds` (the +Inf bucket) and is per bucket, not cumulative.
  void Histogram(Labels labels, std::span<const double> bounds,
                 std::span<const uint64_t> counts, double sum);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Header();
  void Line(Labels labels, std::string_view extra_name, std::string_view extra_value,
            std::string_view suffix, std::string_view value);

  std::string out_;
  std::string name_, help_;
  Type type_ = Type::kGauge;
  bool header_written_ = true;
};

// "a\"b" -> a\"b with \, " and newline escaped, as label values must be.
std::string EscapeLabelValue(std::string_view value);

struct CommandMetrics {
  std::string name;  // as INFO commandstats: "get", "client|list"
  uint64_t calls = 0;
  uint64_t failed_calls = 0;
  uint64_t rejected_calls = 0;
  LatencyHistogram::Snapshot latency;
};

struct MetricsSnapshot {
  double uptime_seconds = 0;
  double start_time_seconds = 0;  // Unix time
  uint64_t resident_bytes = 0;
  double cpu_seconds = 0;         // user + system
  uint64_t connected_clients = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t commands_processed = 0;
  uint64_t io_polled_wakeups = 0;  // io_loop.h
  uint64_t io_sleeps = 0;
  int64_t maxmemory_bytes = 0;
  std::vector<CommandMetrics> commands;  // only those used since start (or RESETSTAT)
  std::map<std::string, uint64_t> errors;  // by code: "ERR", "WRONGTYPE"
  storage::StoreStats store;
  std::vector<storage::SegmentInfo> segments;
  // The SSD tier, when the server has one (persistence on). Without it no disk family
  // is rendered at all, rather than zeros for a tier that is not there.
  std::optional<storage::DiskTier::Stats> disk;
  uint64_t disk_records_estimate = 0;  // RocksDB's estimate, as INFO disk_objects_estimate
};

MetricsSnapshot CollectMetrics(Server& server);
void RenderMetrics(const MetricsSnapshot& snapshot, MetricsWriter* out);

// The whole /metrics body of a running server.
std::string RenderServerMetrics(Server& server);

}  // namespace crescent::server
