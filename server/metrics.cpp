#include "server/metrics.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "server/command_table.h"
#include "server/server.h"
#include "server/version.h"

namespace crescent::server {

namespace {

using Type = MetricsWriter::Type;

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

// Go's strconv.ParseFloat reads what fmt's shortest round-trip form writes, except the
// spellings of the special values.
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// HELP text escapes only \ and newline (a quote is fine there).
std::string EscapeHelp(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

double CpuSeconds() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The histogram bounds in seconds, as the `le` labels show them.
const std::vector<double>& LatencyBoundsSeconds() {
  static const std::vector<double> bounds = [] {
    std::vector<double> b;
    for (uint64_t ns : LatencyHistogram::kBoundsNs) b.push_back(static_cast<double>(ns) / 1e9);
    return b;
  }();
  return bounds;
}

// The SSD tier's families; the same figures as INFO persistence.
void RenderDiskTier(const MetricsSnapshot& s, MetricsWriter* out) {
  const storage::DiskTier::Stats& d = *s.disk;
  const storage::StoreStats& st = s.store;
  auto gauge = [&](std::string_view name, std::string_view help, auto value) {
    out->Family(name, Type::kGauge, help);
    out->Sample({}, value);
  };
  auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
    out->Family(name, Type::kCounter, help);
    out->Sample({}, value);
  };
  gauge("crescent_disk_healthy", "1 while the SSD tier accepts writes, 0 after a failure.",
        uint64_t{d.healthy ? 1u : 0u});
  gauge("crescent_disk_records", "Records in the SSD tier (RocksDB's estimate).",
        s.disk_records_estimate);
  gauge("crescent_disk_only_objects", "Objects whose value is only on disk.",
        st.disk_only_objects);
  counter("crescent_disk_reads_total", "Reads from the SSD tier.", d.reads);
  counter("crescent_disk_read_hits_total", "Reads from the SSD tier that found a record.",
          d.read_hits);
  counter("crescent_disk_read_bytes_total", "Value bytes read from the SSD tier.", d.bytes_read);
  counter("crescent_disk_writes_total", "Records written to the SSD tier.", d.writes);
  counter("crescent_disk_written_bytes_total", "Value bytes written to the SSD tier.",
          d.bytes_written);
  counter("crescent_disk_deletes_total", "Deletes written to the SSD tier.", d.deletes);
  gauge("crescent_disk_queue_depth", "Asynchronous writes queued or being written.",
        d.queue_depth);
  gauge("crescent_disk_queue_bytes", "Bytes of the asynchronous writes queued.", d.queue_bytes);
  counter("crescent_disk_async_dropped_total",
          "Asynchronous puts refused or lost by a failed write.", d.async_dropped);
  counter("crescent_disk_write_errors_total", "Writes to the SSD tier that failed.",
          d.write_errors);
  counter("crescent_disk_corruptions_total", "Records that failed verification (deleted).",
          d.corruptions);
  counter("crescent_disk_expired_compacted_total", "Expired records dropped by compactions.",
          d.expired_compacted);
  counter("crescent_disk_wal_syncs_total", "fsyncs of the SSD tier's write-ahead log.",
          d.wal_syncs);
  counter("crescent_disk_writer_rests_total",
          "Rests of the asynchronous disk writer while the CPU was contended.", d.writer_rests);
  counter("crescent_disk_helped_batches_total",
          "Batches of the disk queue written by a thread waiting for room (a demotion).",
          d.helped_batches);
  counter("crescent_demoted_objects_total", "Evictions that kept the object on disk.",
          st.demoted_objects);
  counter("crescent_promoted_objects_total", "Disk reads that brought a value back to memory.",
          st.promoted_objects);
  gauge("crescent_disk_loaded_objects", "Objects found again on disk at start-up.",
        st.disk_loaded_objects);
  gauge("crescent_disk_load_seconds", "Time the start-up scan of the SSD tier took.",
        static_cast<double>(st.disk_load_ms) / 1000.0);
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void MetricsWriter::Family(std::string_view name, Type type, std::string_view help) {
  name_ = name;
  type_ = type;
  help_ = help;
  header_written_ = false;
}

void MetricsWriter::Header() {
  if (header_written_) return;
  header_written_ = true;
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name_,
                 EscapeHelp(help_), name_, TypeName(type_));
}

void MetricsWriter::Line(Labels labels, std::string_view extra_name,
                         std::string_view extra_value, std::string_view suffix,
                         std::string_view value) {
  Header();
  out_ += name_;
  out_ += suffix;
  bool any = false;
  auto label = [&](std::string_view n, std::string_view v) {
    out_ += any ? ',' : '{';
    any = true;
    out_ += n;
    out_ += "=\"";
    out_ += EscapeLabelValue(v);
    out_ += '"';
  };
  for (const auto& [n, v] : labels) label(n, v);
  if (!extra_name.empty()) label(extra_name, extra_value);
  if (any) out_ += '}';
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void MetricsWriter::Sample(Labels labels, double value, std::string_view suffix) {
  Line(labels, "", "", suffix, FormatValue(value));
}

void MetricsWriter::Sample(Labels labels, uint64_t value, std::string_view suffix) {
  // Integers exactly: a double would round counters past 2^53.
  Line(labels, "", "", suffix, fmt::format("{}", value));
}

void MetricsWriter::Histogram(Labels labels, std::span<const double> bounds,
                              std::span<const uint64_t> counts, double sum) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
    Line(labels, "le", le, "_bucket", fmt::format("{}", cumulative));
  }
  Line(labels, "", "", "_sum", FormatValue(sum));
  Line(labels, "", "", "_count", fmt::format("{}", cumulative));
}

MetricsSnapshot CollectMetrics(Server& server) {
  MetricsSnapshot s;
  int64_t now_ms = server.clock().NowMs();
  s.uptime_seconds = static_cast<double>(now_ms - server.start_time_ms()) / 1000.0;
  s.start_time_seconds = static_cast<double>(server.start_time_ms()) / 1000.0;
  s.resident_bytes = ResidentBytes();
  s.cpu_seconds = CpuSeconds();
  ServerStats& st = server.stats();
  s.connected_clients = server.client_count();
  s.connections_received = st.connections_received.load(std::memory_order_relaxed);
  s.rejected_connections = st.rejected_connections.load(std::memory_order_relaxed);
  s.net_input_bytes = st.net_input_bytes.load(std::memory_order_relaxed);
  s.net_output_bytes = st.net_output_bytes.load(std::memory_order_relaxed);
  s.commands_processed = st.commands_processed.load(std::memory_order_relaxed);
  const IoLoopCounts io = server.io_loop_counts();
  s.io_polled_wakeups = io.polled_wakeups;
  s.io_sleeps = io.sleeps;
  s.maxmemory_bytes = server.config().Int(config::OptionId::kMaxMemory);
  s.errors = st.ErrorCounts();
  s.store = server.store().GetStats();
  s.segments = server.store().Segments();
  if (storage::DiskTier* disk = server.store().disk()) {
    s.disk = disk->GetStats();
    s.disk_records_estimate = disk->Count();
  }

  auto add = [&](const CommandEntry& e) {
    CommandMetrics m;
    m.calls = e.stats.calls.load(std::memory_order_relaxed);
    m.failed_calls = e.stats.failed_calls.load(std::memory_order_relaxed);
    m.rejected_calls = e.stats.rejected_calls.load(std::memory_order_relaxed);
    m.latency = e.stats.latency.Read();
    // As INFO commandstats: a command never used has no series (there are hundreds).
    if (m.calls == 0 && m.failed_calls == 0 && m.rejected_calls == 0 && m.latency.count == 0) return;
    m.name = e.full_name;
    s.commands.push_back(std::move(m));
  };
  server.commands().ForEach([&](const CommandEntry& e) {
    add(e);
    for (const auto& [name, sub] : e.subcommands) add(*sub);
  });
  // Subcommands come from a hash map; a stable order makes the output diffable.
  std::sort(s.commands.begin(), s.commands.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return s;
}

void RenderMetrics(const MetricsSnapshot& s, MetricsWriter* out) {
  auto gauge = [&](std::string_view name, std::string_view help, auto value) {
    out->Family(name, Type::kGauge, help);
    out->Sample({}, value);
  };
  auto counter = [&](std::string_view name, std::string_view help, uint64_t value) {
    out->Family(name, Type::kCounter, help);
    out->Sample({}, value);
  };
  const storage::StoreStats& st = s.store;

  // --- process -----------------------------------------------------------------------
  out->Family("crescent_build_info", Type::kGauge, "Versions of this server; always 1.");
  out->Sample({{"version", kCrescentVersion}, {"redis_version", kRedisCompatibleVersion}},
              uint64_t{1});
  gauge("crescent_uptime_seconds", "Seconds since the server started.", s.uptime_seconds);
  gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.",
        s.start_time_seconds);
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", s.resident_bytes);
  out->Family("process_cpu_seconds_total", Type::kCounter,
              "Total user and system CPU time spent in seconds.");
  out->Sample({}, s.cpu_seconds);

  // --- clients and network -----------------------------------------------------------
  gauge("crescent_connected_clients", "Client connections open now.", s.connected_clients);
  counter("crescent_connections_received_total", "Client connections accepted.",
          s.connections_received);
  counter("crescent_rejected_connections_total",
          "Client connections refused because maxclients was reached.", s.rejected_connections);
  counter("crescent_net_input_bytes_total", "Bytes read from clients.", s.net_input_bytes);
  counter("crescent_net_output_bytes_total", "Bytes written to clients.", s.net_output_bytes);
  counter("crescent_io_polled_wakeups_total",
          "Idle periods of an I/O thread ended by an event found while busy polling.",
          s.io_polled_wakeups);
  counter("crescent_io_sleeps_total",
          "Idle periods of an I/O thread that ended in a blocking wait (busy polling on).",
          s.io_sleeps);

  // --- commands and errors -----------------------------------------------------------
  counter("crescent_commands_processed_total", "Commands executed, all names together.",
          s.commands_processed);
  out->Family("crescent_commands_total", Type::kCounter, "Calls of a command that ran its handler.");
  for (const auto& c : s.commands) out->Sample({{"cmd", c.name}}, c.calls);
  out->Family("crescent_command_errors_total", Type::kCounter,
              "Calls of a command whose handler replied with an error.");
  for (const auto& c : s.commands) out->Sample({{"cmd", c.name}}, c.failed_calls);
  out->Family("crescent_command_rejected_total", Type::kCounter,
              "Calls of a command refused before its handler ran (arity, auth, subcommand).");
  for (const auto& c : s.commands) out->Sample({{"cmd", c.name}}, c.rejected_calls);
  out->Family("crescent_command_duration_seconds", Type::kHistogram,
              "Time a command's handler took, in seconds.");
  for (const auto& c : s.commands) {
    out->Histogram({{"cmd", c.name}}, LatencyBoundsSeconds(), c.latency.counts,
                   static_cast<double>(c.latency.sum_ns) / 1e9);
  }
  out->Family("crescent_errors_total", Type::kCounter,
              "Error replies by code (the error's first word), as INFO errorstats.");
  for (const auto& [code, count] : s.errors) out->Sample({{"code", code}}, count);

  // --- keyspace ----------------------------------------------------------------------
  gauge("crescent_keys", "Keys (objects) stored.", st.keys);
  gauge("crescent_keys_with_expiry", "Keys that have an expiry.", st.keys_with_expiry);
  counter("crescent_expired_keys_total", "Keys removed because they expired.", st.expired_keys);
  counter("crescent_keyspace_hits_total", "Lookups that found their key.", st.keyspace_hits);
  counter("crescent_keyspace_misses_total", "Lookups that did not find their key.",
          st.keyspace_misses);

  // --- memory ------------------------------------------------------------------------
  gauge("crescent_maxmemory_bytes", "The maxmemory option: the memory pool's size.",
        static_cast<uint64_t>(std::max<int64_t>(s.maxmemory_bytes, 0)));
  gauge("crescent_value_bytes", "Sum of the values' sizes, one replica each.", st.value_bytes);
  gauge("crescent_metadata_bytes", "Bytes of the object table: nodes, buckets, indexes.",
        st.metadata_bytes);
  gauge("crescent_pool_fragmentation_ratio",
        "1 - requested / held bytes of the pools: what rounding and part-used slab pages cost.",
        st.pool_fragmentation);
  gauge("crescent_pool_prefaulted_ahead_bytes",
        "Bytes faulted in ahead of the pools' highest allocation: resident, holding nothing.",
        st.pool_prefaulted_ahead);
  out->Family("crescent_segment_capacity_bytes", Type::kGauge, "Capacity of a mounted segment.");
  for (const auto& seg : s.segments) {
    out->Sample({{"segment", seg.name}}, static_cast<uint64_t>(seg.capacity));
  }
  out->Family("crescent_segment_used_bytes", Type::kGauge, "Bytes a segment holds for values.");
  for (const auto& seg : s.segments) out->Sample({{"segment", seg.name}}, static_cast<uint64_t>(seg.used));
  out->Family("crescent_segment_objects", Type::kGauge, "Replicas stored in a segment.");
  for (const auto& seg : s.segments) {
    out->Sample({{"segment", seg.name}}, static_cast<double>(seg.replicas));
  }

  // --- leases, pins, puts ------------------------------------------------------------
  counter("crescent_leases_granted_total", "Leases granted by reads.", st.leases_granted);
  gauge("crescent_leased_objects", "Objects under a lease now.", st.leased_objects);
  gauge("crescent_soft_pinned_objects", "Objects soft-pinned now.", st.soft_pinned_objects);
  gauge("crescent_hard_pinned_objects", "Objects hard-pinned now.", st.hard_pinned_objects);
  gauge("crescent_pending_puts", "Puts started (PutStart) and not yet ended or revoked.",
        st.pending_puts);
  counter("crescent_revoked_puts_total", "Puts revoked, by the writer or after put-timeout.",
          st.revoked_puts);

  // --- eviction ----------------------------------------------------------------------
  counter("crescent_evicted_objects_total", "Objects evicted to make room.", st.evicted_objects);
  counter("crescent_evicted_bytes_total", "Value bytes evicted to make room.", st.evicted_bytes);
  counter("crescent_evicted_leased_total", "Evictions that broke a lease.", st.evicted_leased);
  counter("crescent_evicted_soft_pinned_total", "Evictions of soft-pinned objects.",
          st.evicted_soft_pinned);

  if (s.disk) RenderDiskTier(s, out);
}

std::string RenderServerMetrics(Server& server) {
  MetricsWriter out;
  RenderMetrics(CollectMetrics(server), &out);
  return out.Take();
}

}  // namespace crescent::server
