// Commands about the server as a whole: ping, status, info, segments, config.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "tools/crescent_cli/commands.h"
#include "tools/crescent_cli/format.h"

namespace crescent::cli {
namespace {

std::string Percent(double fraction) { return Fixed(fraction * 100, 1) + "%"; }

// INFO's fields with a fallback name (Redis's) when Crescent's is absent.
const Json& Either(const Json& info, std::string_view name, std::string_view fallback) {
  return info.has(name) ? info[name] : info[fallback];
}

Json StatusSummary(Connection& conn) {
  protocol::Reply raw = Check(conn.Command({"INFO"}));
  Json info = FlatInfo(ParseInfo(raw.str));
  int64_t keys = Check(conn.Command({"DBSIZE"})).integer;
  Json::Array segments;
  for (int64_t i = 0; i < info["segment_count"].as_int(); ++i) {
    const Json& seg = info["segment" + std::to_string(i)];
    if (!seg.is_object()) continue;
    segments.push_back(Json::Object{{"name", Json(seg["name"].ToText())},
                                    {"capacity", Json(seg["capacity"].as_int())},
                                    {"used", Json(seg["used"].as_int())},
                                    {"objects", Json(seg["objects"].as_int())}});
  }
  int64_t hits = info["keyspace_hits"].as_int(), misses = info["keyspace_misses"].as_int();
  int64_t capacity = info["pool_capacity"].as_int(), used = info["pool_used"].as_int();
  const Json& db0 = info["db0"];
  const Json& version = Either(info, "crescent_version", "redis_version");
  Json s = Json::Object{};
  s.set("version", version.is_null() ? Json("?") : Json(version.ToText()));
  s.set("redis_version", info.has("redis_version") ? Json(info["redis_version"].ToText()) : Json("?"));
  s.set("uptime_seconds", info["uptime_in_seconds"].as_int());
  s.set("process_id", info["process_id"]);
  s.set("io_threads", info["io_threads_active"]);
  s.set("connected_clients", info["connected_clients"].as_int());
  s.set("maxclients", info["maxclients"]);
  s.set("keys", keys);
  s.set("keys_with_ttl", db0["expires"].as_int());
  s.set("used_memory", info["used_memory"].as_int());
  s.set("used_memory_rss", info["used_memory_rss"].as_int());
  s.set("maxmemory", info["maxmemory"].as_int());
  s.set("pool_capacity", capacity);
  s.set("pool_used", used);
  s.set("pool_use", capacity ? static_cast<double>(used) / static_cast<double>(capacity) : 0.0);
  s.set("segments", std::move(segments));
  s.set("eviction_policy", Either(info, "eviction_policy", "maxmemory_policy"));
  s.set("evicted_objects", Either(info, "evicted_objects", "evicted_keys").as_int());
  s.set("evicted_bytes", info["evicted_bytes"].as_int());
  s.set("expired_keys", info["expired_keys"].as_int());
  s.set("leases_granted", info["leases_granted"].as_int());
  s.set("leased_objects", info["leased_objects"].as_int());
  s.set("soft_pinned_objects", info["soft_pinned_objects"].as_int());
  s.set("hard_pinned_objects", info["hard_pinned_objects"].as_int());
  s.set("keyspace_hits", hits);
  s.set("keyspace_misses", misses);
  s.set("hit_rate", hits + misses ? Json(static_cast<double>(hits) / static_cast<double>(hits + misses)) : Json());
  s.set("persistence", info["persistence"]);
  return s;
}

}  // namespace

int RunPing(Context& c) {
  auto t0 = std::chrono::steady_clock::now();
  protocol::Reply reply = Check(c.conn.Command({"PING"}));
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (c.options.json) {
    EmitJson(Json::Object{{"reply", Json(reply.str)}, {"latency_ms", Json(static_cast<double>(std::llround(ms * 1000)) / 1000)}});
  } else {
    Print(reply.str + " (" + Fixed(ms, 2) + " ms)\n");
  }
  return kExitOk;
}

int RunStatus(Context& c) {
  Json s = StatusSummary(c.conn);
  if (c.options.json) {
    EmitJson(s);
    return kExitOk;
  }
  std::string hit = s["hit_rate"].is_null() ? "n/a (no reads yet)" : Percent(s["hit_rate"].as_double());
  std::string segs;
  for (const Json& g : s["segments"].as_array()) {
    if (!segs.empty()) segs += ", ";
    segs += g["name"].as_string() + " " + HumanBytes(g["used"].as_double()) + "/" + HumanBytes(g["capacity"].as_double());
  }
  auto n = [&](const char* k) { return Thousands(s[k].as_int()); };
  auto b = [&](const char* k) { return HumanBytes(s[k].as_double()); };
  std::vector<std::pair<std::string, std::string>> rows = {
      {"server", "Crescent " + s["version"].ToText() + " at " + c.options.host + ":" +
                     std::to_string(c.options.port) + " (pid " + s["process_id"].ToText() + ", " +
                     s["io_threads"].ToText() + " I/O threads)"},
      {"uptime", HumanMs(s["uptime_seconds"].as_int() * 1000)},
      {"clients", s["connected_clients"].ToText() + " connected (max " + s["maxclients"].ToText() + ")"},
      {"keys", n("keys") + " (" + n("keys_with_ttl") + " with a TTL; " + n("expired_keys") + " expired so far)"},
      {"memory", "used " + b("used_memory") + ", rss " + b("used_memory_rss")},
      {"pool", b("pool_used") + " of " + b("pool_capacity") + " (" + Percent(s["pool_use"].as_double()) + ")"},
      {"segments", std::to_string(s["segments"].as_array().size()) + (segs.empty() ? "" : ": " + segs)},
      {"evictions", n("evicted_objects") + " objects, " + b("evicted_bytes") + " (policy " +
                        s["eviction_policy"].ToText() + ")"},
      {"leases/pins", n("leased_objects") + " leased, " + n("soft_pinned_objects") + " soft-pinned, " +
                          n("hard_pinned_objects") + " hard-pinned"},
      {"hit rate", hit + " (" + n("keyspace_hits") + " hits, " + n("keyspace_misses") + " misses)"},
      {"persistence", s["persistence"].ToText()},
  };
  Print(Fields(rows));
  return kExitOk;
}

int RunInfo(Context& c) {
  protocol::Reply raw = c.options.args.empty() ? c.conn.Command({"INFO"})
                                               : c.conn.Command({"INFO", c.options.args[0]});
  Check(raw);
  if (c.options.json) {
    EmitJson(ParseInfo(raw.str));
    return kExitOk;
  }
  std::string text;
  for (char ch : raw.str) {
    if (ch != '\r') text.push_back(ch);
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  Print(text + "\n");
  return kExitOk;
}

int RunSegments(Context& c) {
  protocol::Reply reply = Check(c.conn.Command({"SEGMENT", "LIST"}));
  Json::Array segs;
  for (const protocol::Reply& seg : reply.elements) segs.push_back(PairsToJson(seg));
  if (c.options.json) {
    EmitJson(Json(segs));
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& s : segs) {
    double cap = s["capacity"].as_double(), used = s["used"].as_double();
    rows.push_back({s["name"].ToText(), HumanBytes(cap), HumanBytes(used),
                    Fixed(cap ? used / cap * 100 : 0, 1) + "%", Thousands(s["objects"].as_int())});
  }
  Print(Table(rows, {"NAME", "CAPACITY", "USED", "USE", "OBJECTS"}, {1, 2, 3, 4}));
  return kExitOk;
}

int RunConfig(Context& c) {
  const auto& a = c.options.args;
  if (a[0] == "get") {
    protocol::Reply reply = Check(c.conn.Command({"CONFIG", "GET", a[1]}));
    Json values = PairsToJson(reply);
    if (c.options.json) {
      EmitJson(values);
      return kExitOk;
    }
    std::vector<std::pair<std::string, std::string>> sorted;
    for (const auto& [k, v] : values.as_object()) sorted.emplace_back(k, v.ToText());
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [k, v] : sorted) Print(k + " " + v + "\n");
  } else if (a[0] == "set") {
    Check(c.conn.Command({"CONFIG", "SET", a[1], a[2]}));
    if (c.options.json) {
      EmitJson(Json::Object{{"ok", Json(true)}, {"name", Json(a[1])}, {"value", Json(a[2])}});
    } else {
      Print("OK\n");
    }
  } else {
    Check(c.conn.Command({"CONFIG", "REWRITE"}));
    if (c.options.json) {
      EmitJson(Json::Object{{"ok", Json(true)}});
    } else {
      Print("OK\n");
    }
  }
  return kExitOk;
}

}  // namespace crescent::cli
