// Commands about keys: keys (SCAN MATCH), query (QUERY), remove-regex (QUERYREGEX /
// REMOVEREGEX).
#include <algorithm>
#include <optional>

#include "tools/crescent_cli/commands.h"
#include "tools/crescent_cli/format.h"
#include "tools/crescent_cli/progress.h"

namespace crescent::cli {
namespace {

// The value named `name` in a map reply (RESP3 map or RESP2 flat array), or null.
const protocol::Reply* Field(const protocol::Reply& map, std::string_view name) {
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str == name) return &map.elements[i + 1];
  }
  return nullptr;
}

Json QueryInfo(const protocol::Reply& reply) {
  Json info = PairsToJson(reply);
  Json::Array replicas;
  if (const protocol::Reply* r = Field(reply, "replicas")) {
    for (const protocol::Reply& rep : r->elements) replicas.push_back(PairsToJson(rep));
  }
  info.set("replicas", std::move(replicas));
  return info;
}

}  // namespace

int RunKeys(Context& c) {
  const Options& o = c.options;
  const std::string& pattern = o.args[0];
  std::string count = std::to_string(o.count);
  std::string cursor = "0";
  int64_t shown = 0;
  bool json = o.json;
  if (json) Print("{\"pattern\": " + Json(JsonKey(pattern)).Dump() + ", \"keys\": [");
  auto full = [&] { return o.limit > 0 && shown >= o.limit; };
  for (;;) {
    protocol::Reply reply = Check(c.conn.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", count}));
    if (reply.elements.size() != 2) throw Failure("SCAN: unexpected reply");
    cursor = reply.elements[0].str;
    std::string out;
    for (const protocol::Reply& k : reply.elements[1].elements) {
      if (full()) break;
      if (json) {
        out += (shown ? ", " : "") + Json(JsonKey(k.str)).Dump();
      } else {
        out += ShowKey(k.str) + "\n";
      }
      ++shown;
    }
    Print(out);
    if (cursor == "0" || full()) break;
  }
  if (json) Print("], \"count\": " + std::to_string(shown) + "}\n");
  return kExitOk;
}

int RunQuery(Context& c) {
  const std::string& key = c.options.args[0];
  protocol::Reply reply = Check(c.conn.Command({"QUERY", key}));
  if (reply.is_null()) throw Failure("key not found: " + ShowKey(key));
  Json info = QueryInfo(reply);
  if (c.options.json) {
    Json doc = Json::Object{{"key", Json(JsonKey(key))}};
    for (const auto& [k, v] : info.as_object()) doc.set(k, v);
    EmitJson(doc);
    return kExitOk;
  }
  int64_t size = info["size"].as_int();
  int64_t ttl = info.has("ttl") ? info["ttl"].as_int() : -1;
  int64_t lease = info["lease"].as_int();
  int64_t soft_pin = info["soft_pin"].as_int();
  std::vector<std::pair<std::string, std::string>> rows = {
      {"key", ShowKey(key)},
      {"size", Thousands(size) + " bytes" + (size >= 1024 ? " (" + HumanBytes(static_cast<double>(size)) + ")" : "")},
      {"version", info["version"].ToText()},
      {"checksum", info["checksum"].ToText()},
      {"ttl", ttl == -1 ? "none" : std::to_string(ttl) + " ms (" + HumanMs(ttl) + ")"},
      {"lease", std::to_string(lease) + " ms" + (lease ? " (this query leased it)" : "")},
      {"soft_pin", soft_pin ? std::to_string(soft_pin) + " ms left (" + HumanMs(soft_pin) + ")" : "no"},
      {"hard_pin", info["hard_pin"].as_int() ? "yes" : "no"},
      {"replicas", std::to_string(info["replicas"].as_array().size())},
  };
  std::string out = Fields(rows);
  for (const Json& rep : info["replicas"].as_array()) {
    auto get = [&](const char* k) { return rep.has(k) ? rep[k].ToText() : std::string("?"); };
    out += "  " + get("segment") + "  " + get("kind") + "  " + get("state") + "\n";
  }
  Print(out);
  return kExitOk;
}

int RunRemoveRegex(Context& c) {
  const Options& o = c.options;
  const std::string& regex = o.args[0];
  if (o.dry_run) {
    std::optional<protocol::Reply> reply;
    {
      Spinner spin("matching /" + regex + "/", c.progress);
      reply = c.conn.Command({"QUERYREGEX", regex});
    }
    Check(*reply);
    std::vector<std::string> keys;
    int64_t leased = 0;
    for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
      keys.push_back(reply->elements[i].str);
      const protocol::Reply* lease = Field(reply->elements[i + 1], "lease");
      if (lease != nullptr && lease->integer > 0) ++leased;
    }
    std::sort(keys.begin(), keys.end());
    size_t sample = std::min(keys.size(), static_cast<size_t>(o.sample));
    if (o.json) {
      Json::Array shown;
      for (size_t i = 0; i < sample; ++i) shown.push_back(Json(JsonKey(keys[i])));
      EmitJson(Json::Object{{"dry_run", Json(true)}, {"regex", Json(regex)},
                            {"matched", Json(static_cast<int64_t>(keys.size()))},
                            {"leased", Json(leased)}, {"sample", Json(std::move(shown))}});
      return kExitOk;
    }
    std::string out = Thousands(static_cast<int64_t>(keys.size())) + " objects match /" + regex +
                      "/ (dry run: nothing removed)\n";
    if (leased && !o.force) {
      out += Thousands(leased) + " of them are leased now and would be kept unless --force is given\n";
    }
    for (size_t i = 0; i < sample; ++i) out += "  " + ShowKey(keys[i]) + "\n";
    if (keys.size() > sample) out += "  ... and " + Thousands(static_cast<int64_t>(keys.size() - sample)) + " more\n";
    Print(out);
    return kExitOk;
  }
  std::optional<protocol::Reply> reply;
  {
    Spinner spin("removing /" + regex + "/", c.progress);
    reply = o.force ? c.conn.Command({"REMOVEREGEX", regex, "FORCE"}) : c.conn.Command({"REMOVEREGEX", regex});
  }
  int64_t removed = Check(*reply).integer;
  if (o.json) {
    EmitJson(Json::Object{{"dry_run", Json(false)}, {"regex", Json(regex)}, {"removed", Json(removed)},
                          {"force", Json(o.force)}});
  } else {
    Print("removed " + Thousands(removed) + " objects matching /" + regex + "/\n");
  }
  return kExitOk;
}

}  // namespace crescent::cli
