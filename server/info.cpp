#include "server/info.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "server/command_table.h"
#include "server/commands/parse.h"
#include "server/server.h"
#include "server/version.h"
#include "storage/disk_tier.h"

namespace crescent::server {

namespace {

using config::OptionId;

std::string Human(double bytes) {
  static constexpr const char* kUnits[] = {"B", "K", "M", "G", "T", "P"};
  int unit = 0;
  while (bytes >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{}B", static_cast<uint64_t>(bytes))
                   : fmt::format("{:.2f}{}", bytes, kUnits[unit]);
}

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void Section(std::string* out, std::string_view title) {
  if (!out->empty()) *out += "\r\n";
  *out += fmt::format("# {}\r\n", title);
}

template <typename... Args>
void Field(std::string* out, fmt::format_string<Args...> f, Args&&... args) {
  *out += fmt::format(f, std::forward<Args>(args)...);
  *out += "\r\n";
}

}  // namespace

std::string BuildInfo(Server& server, std::span<const std::string_view> sections) {
  static const std::set<std::string> kDefault = {
      "server", "clients", "memory", "persistence", "stats", "replication", "cpu",
      "modules", "errorstats", "cluster", "keyspace", "segments", "eviction"};
  std::set<std::string> wanted;
  bool everything = false;
  if (sections.empty()) wanted = kDefault;
  for (auto s : sections) {
    std::string name = ToLower(s);
    if (name == "all" || name == "everything") {
      everything = true;
    } else if (name == "default") {
      wanted.insert(kDefault.begin(), kDefault.end());
    } else {
      wanted.insert(name);
    }
  }
  auto want = [&](const char* name) { return everything || wanted.count(name) > 0; };

  config::Config& cfg = server.config();
  storage::StoreStats store = server.store().GetStats();
  int64_t now_ms = server.clock().NowMs();
  int64_t uptime_s = (now_ms - server.start_time_ms()) / 1000;
  size_t used_memory = store.pool_used + store.metadata_bytes;
  size_t rss = ResidentBytes();
  std::string out;

  if (want("server")) {
    struct utsname name {};
    uname(&name);
    Section(&out, "Server");
    Field(&out, "redis_version:{}", kRedisCompatibleVersion);
    Field(&out, "crescent_version:{}", kCrescentVersion);
    Field(&out, "redis_git_sha1:00000000");
    Field(&out, "redis_git_dirty:0");
    Field(&out, "redis_mode:standalone");
    Field(&out, "os:{} {} {}", name.sysname, name.release, name.machine);
    Field(&out, "arch_bits:64");
    Field(&out, "multiplexing_api:epoll");
    Field(&out, "gcc_version:{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
    Field(&out, "process_id:{}", getpid());
    Field(&out, "run_id:{}", server.run_id());
    Field(&out, "tcp_port:{}", server.port());
    Field(&out, "server_time_usec:{}", now_ms * 1000);
    Field(&out, "uptime_in_seconds:{}", uptime_s);
    Field(&out, "uptime_in_days:{}", uptime_s / 86400);
    Field(&out, "hz:10");
    Field(&out, "io_threads_active:{}", server.io_threads());
    Field(&out, "io_busy_poll_us:{}", server.io_busy_poll_us());
    Field(&out, "config_file:{}", cfg.String(OptionId::kConfig));
  }
  if (want("clients")) {
    Section(&out, "Clients");
    Field(&out, "connected_clients:{}", server.client_count());
    Field(&out, "maxclients:{}", cfg.Int(OptionId::kMaxClients));
    Field(&out, "blocked_clients:0");
  }
  if (want("memory")) {
    Section(&out, "Memory");
    Field(&out, "used_memory:{}", used_memory);
    Field(&out, "used_memory_human:{}", Human(static_cast<double>(used_memory)));
    Field(&out, "used_memory_rss:{}", rss);
    Field(&out, "used_memory_rss_human:{}", Human(static_cast<double>(rss)));
    Field(&out, "used_memory_dataset:{}", store.value_bytes);
    Field(&out, "used_memory_overhead:{}", store.metadata_bytes);
    Field(&out, "maxmemory:{}", cfg.Int(OptionId::kMaxMemory));
    Field(&out, "maxmemory_human:{}", Human(static_cast<double>(cfg.Int(OptionId::kMaxMemory))));
    Field(&out, "maxmemory_policy:{}", cfg.EnumName(OptionId::kEvictionPolicy));
    Field(&out, "mem_fragmentation_ratio:{:.2f}",
          used_memory == 0 ? 0.0 : static_cast<double>(rss) / static_cast<double>(used_memory));
    Field(&out, "pool_capacity:{}", store.pool_capacity);
    Field(&out, "pool_used:{}", store.pool_used);
    Field(&out, "pool_fragmentation:{:.4f}", store.pool_fragmentation);
    Field(&out, "pool_huge_pages:{}", store.huge_pages ? 1 : 0);
    Field(&out, "pool_prefaulted_ahead:{}", store.pool_prefaulted_ahead);
  }
  if (want("persistence")) {
    Section(&out, "Persistence");
    Field(&out, "loading:0");
    Field(&out, "async_loading:0");
    Field(&out, "rdb_changes_since_last_save:0");
    Field(&out, "rdb_bgsave_in_progress:0");
    Field(&out, "aof_enabled:0");
    Field(&out, "persistence:{}", cfg.EnumName(OptionId::kPersistence));
    if (storage::DiskTier* disk = server.store().disk()) {
      storage::DiskTier::Stats d = disk->GetStats();
      Field(&out, "disk_healthy:{}", d.healthy ? 1 : 0);
      Field(&out, "disk_last_error:{}", d.last_error);
      Field(&out, "disk_reads:{}", d.reads);
      Field(&out, "disk_read_hits:{}", d.read_hits);
      Field(&out, "disk_writes:{}", d.writes);
      Field(&out, "disk_bytes_written:{}", d.bytes_written);
      Field(&out, "disk_bytes_read:{}", d.bytes_read);
      Field(&out, "disk_deletes:{}", d.deletes);
      Field(&out, "disk_queue_depth:{}", d.queue_depth);
      Field(&out, "disk_queue_bytes:{}", d.queue_bytes);
      Field(&out, "disk_async_dropped:{}", d.async_dropped);
      Field(&out, "disk_write_errors:{}", d.write_errors);
      Field(&out, "disk_corruptions:{}", d.corruptions);
      Field(&out, "disk_wal_syncs:{}", d.wal_syncs);
      Field(&out, "disk_writer_rests:{}", d.writer_rests);
      Field(&out, "disk_writer_rest_ms:{}", d.writer_rest_us / 1000);
      Field(&out, "disk_helped_batches:{}", d.helped_batches);
      Field(&out, "disk_objects_estimate:{}", disk->Count());
      Field(&out, "disk_only_objects:{}", store.disk_only_objects);
      Field(&out, "demoted_objects:{}", store.demoted_objects);
      Field(&out, "promoted_objects:{}", store.promoted_objects);
      Field(&out, "disk_loaded_objects:{}", store.disk_loaded_objects);
      Field(&out, "disk_load_ms:{}", store.disk_load_ms);
    }
  }
  if (want("stats")) {
    ServerStats& st = server.stats();
    Section(&out, "Stats");
    Field(&out, "total_connections_received:{}", st.connections_received.load());
    Field(&out, "total_commands_processed:{}", st.commands_processed.load());
    Field(&out, "total_net_input_bytes:{}", st.net_input_bytes.load());
    Field(&out, "total_net_output_bytes:{}", st.net_output_bytes.load());
    Field(&out, "rejected_connections:{}", st.rejected_connections.load());
    Field(&out, "expired_keys:{}", store.expired_keys);
    Field(&out, "evicted_keys:{}", store.evicted_objects);
    Field(&out, "keyspace_hits:{}", store.keyspace_hits);
    Field(&out, "keyspace_misses:{}", store.keyspace_misses);
    Field(&out, "total_error_replies:{}", st.total_error_replies.load());
    const IoLoopCounts io = server.io_loop_counts();
    Field(&out, "io_polled_wakeups:{}", io.polled_wakeups);
    Field(&out, "io_sleeps:{}", io.sleeps);
  }
  if (want("replication")) {
    Section(&out, "Replication");
    Field(&out, "role:master");
    Field(&out, "connected_slaves:0");
  }
  if (want("cpu")) {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    Section(&out, "CPU");
    Field(&out, "used_cpu_sys:{}.{:06}", usage.ru_stime.tv_sec, usage.ru_stime.tv_usec);
    Field(&out, "used_cpu_user:{}.{:06}", usage.ru_utime.tv_sec, usage.ru_utime.tv_usec);
  }
  if (want("modules")) Section(&out, "Modules");
  if (everything || wanted.count("commandstats")) {
    Section(&out, "Commandstats");
    auto line = [&](const CommandEntry& e) {
      uint64_t calls = e.stats.calls.load(), usec = e.stats.usec.load();
      uint64_t rejected = e.stats.rejected_calls.load(), failed = e.stats.failed_calls.load();
      if (calls == 0 && rejected == 0 && failed == 0) return;
      Field(&out, "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}",
            e.full_name, calls, usec, calls ? static_cast<double>(usec) / calls : 0.0,
            rejected, failed);
    };
    server.commands().ForEach([&](const CommandEntry& e) {
      line(e);
      for (const auto& [name, sub] : e.subcommands) line(*sub);
    });
  }
  if (want("errorstats")) {
    Section(&out, "Errorstats");
    for (const auto& [code, count] : server.stats().ErrorCounts()) {
      Field(&out, "errorstat_{}:count={}", code, count);
    }
  }
  if (want("cluster")) {
    Section(&out, "Cluster");
    Field(&out, "cluster_enabled:0");
  }
  if (want("keyspace")) {
    Section(&out, "Keyspace");
    if (store.keys > 0) {
      Field(&out, "db0:keys={},expires={},avg_ttl=0", store.keys, store.keys_with_expiry);
    }
  }
  if (want("segments")) {
    Section(&out, "Segments");
    auto segments = server.store().Segments();
    Field(&out, "segment_count:{}", segments.size());
    for (size_t i = 0; i < segments.size(); ++i) {
      Field(&out, "segment{}:name={},capacity={},used={},objects={}", i, segments[i].name,
            segments[i].capacity, segments[i].used, segments[i].replicas);
    }
  }
  if (want("eviction")) {
    Section(&out, "Eviction");
    Field(&out, "eviction_policy:{}", cfg.EnumName(OptionId::kEvictionPolicy));
    Field(&out, "eviction_high_watermark:{}", cfg.Double(OptionId::kEvictionHighWatermark));
    Field(&out, "eviction_ratio:{}", cfg.Double(OptionId::kEvictionRatio));
    Field(&out, "evicted_objects:{}", store.evicted_objects);
    Field(&out, "evicted_bytes:{}", store.evicted_bytes);
    Field(&out, "evicted_leased:{}", store.evicted_leased);
    Field(&out, "evicted_soft_pinned:{}", store.evicted_soft_pinned);
    Field(&out, "leases_granted:{}", store.leases_granted);
    Field(&out, "leased_objects:{}", store.leased_objects);
    Field(&out, "soft_pinned_objects:{}", store.soft_pinned_objects);
    Field(&out, "hard_pinned_objects:{}", store.hard_pinned_objects);
    Field(&out, "pending_puts:{}", store.pending_puts);
    Field(&out, "revoked_puts:{}", store.revoked_puts);
  }
  return out;
}

}  // namespace crescent::server
