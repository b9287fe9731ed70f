// dump and load: every object of a server to a dump file (dump_file.h) and back.
//
// dump: SCAN the keyspace; per batch, QUERY every key (one pipeline: TTL, pins, size),
// then GET the values (pipelines of at most --batch keys and --batch-bytes bytes). TTLs
// and soft pins are stored relative to the dump's reference time, estimated for each
// batch as the middle of its QUERY pipeline.
// load: verify the checksum (whole file; at the end for stdin), then UPSERT every object
// with its remaining TTL and soft pin and its hard pin, in pipelines of --batch objects /
// --batch-bytes bytes.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "tools/crescent_cli/commands.h"
#include "tools/crescent_cli/dump_file.h"
#include "tools/crescent_cli/format.h"
#include "tools/crescent_cli/progress.h"

namespace crescent::cli {
namespace {

struct LiveKey {
  std::string key;
  int64_t size = 0;
  int64_t ttl = -1;
  int64_t soft_pin = 0;
  bool hard_pin = false;
};

int64_t FieldInt(const protocol::Reply& map, std::string_view name, int64_t fallback) {
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str == name) return map.elements[i + 1].integer;
  }
  return fallback;
}

std::string Pipeline1(std::string_view command, const std::vector<std::string_view>& keys) {
  std::string out;
  for (std::string_view k : keys) {
    std::string_view args[2] = {command, k};
    protocol::AppendRequest(&out, args);
  }
  return out;
}

// Writes every object to `writer`; returns {value bytes, vanished}.
std::pair<int64_t, int64_t> DumpObjects(Context& c, DumpWriter* writer, int64_t reference,
                                        ProgressBar* bar) {
  const Options& o = c.options;
  int64_t value_bytes = 0, vanished = 0;
  std::string cursor = "0";
  std::string count = std::to_string(o.batch);
  for (;;) {
    protocol::Reply scan = Check(c.conn.Command({"SCAN", cursor, "COUNT", count}));
    if (scan.elements.size() != 2) throw Failure("SCAN: unexpected reply");
    cursor = scan.elements[0].str;
    std::vector<std::string_view> keys;
    for (const protocol::Reply& k : scan.elements[1].elements) keys.push_back(k.str);
    if (!keys.empty()) {
      int64_t sent = NowMs();
      std::vector<protocol::Reply> infos = c.conn.Pipeline(Pipeline1("QUERY", keys), keys.size());
      // The server read its clock somewhere between sending and receiving.
      int64_t captured = (sent + NowMs()) / 2 - reference;
      std::vector<LiveKey> live;
      for (size_t i = 0; i < keys.size(); ++i) {
        const protocol::Reply& r = infos[i];
        if (r.is_error()) throw Failure("QUERY " + ShowKey(keys[i]) + ": " + r.str);
        if (r.is_null()) {
          ++vanished;  // expired or removed since SCAN saw it
          continue;
        }
        live.push_back({std::string(keys[i]), FieldInt(r, "size", 0), FieldInt(r, "ttl", -1),
                        FieldInt(r, "soft_pin", 0), FieldInt(r, "hard_pin", 0) != 0});
      }
      size_t start = 0;
      while (start < live.size()) {
        size_t end = start;
        int64_t size = 0;
        while (end < live.size() && static_cast<int64_t>(end - start) < o.batch &&
               (end == start || size + live[end].size <= o.batch_bytes)) {
          size += live[end].size;
          ++end;
        }
        std::vector<std::string_view> batch;
        for (size_t i = start; i < end; ++i) batch.push_back(live[i].key);
        std::vector<protocol::Reply> values = c.conn.Pipeline(Pipeline1("GET", batch), batch.size());
        for (size_t i = start; i < end; ++i) {
          const LiveKey& k = live[i];
          const protocol::Reply& v = values[i - start];
          if (v.is_error()) throw Failure("GET " + ShowKey(k.key) + ": " + v.str);
          if (v.is_null()) {
            ++vanished;
            continue;
          }
          std::optional<uint64_t> ttl, pin;
          if (k.ttl >= 0) ttl = static_cast<uint64_t>(std::max<int64_t>(captured + k.ttl, 0));
          if (k.soft_pin > 0) pin = static_cast<uint64_t>(std::max<int64_t>(captured + k.soft_pin, 0));
          writer->Add(k.key, v.str, ttl, pin, k.hard_pin);
          value_bytes += static_cast<int64_t>(v.str.size());
        }
        bar->Update(static_cast<int64_t>(writer->count()) + vanished);
        start = end;
      }
    }
    if (cursor == "0") break;
  }
  return {value_bytes, vanished};
}

}  // namespace

int RunDump(Context& c) {
  const std::string& file = c.options.args[0];
  bool to_stdout = file == "-";
  struct stat st;
  if (!to_stdout && stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Failure(file + " is a directory; give the dump file's name");
  }
  int64_t total = Check(c.conn.Command({"DBSIZE"})).integer;
  std::string partial = file + ".partial";
  FILE* f = stdout;
  if (!to_stdout) {
    f = std::fopen(partial.c_str(), "wb");
    if (f == nullptr) throw Failure(partial + ": " + std::strerror(errno));
  }
  int64_t reference = NowMs();
  ProgressBar bar("dump", total, ProgressBar::Unit::kObjects, c.progress);
  DumpWriter writer(f, reference);
  std::pair<int64_t, int64_t> done;
  try {
    done = DumpObjects(c, &writer, reference, &bar);
    writer.Finish();
    if (!to_stdout) {
      int rc = std::fclose(f);
      f = nullptr;
      if (rc != 0) throw DumpError(std::string("write failed: ") + std::strerror(errno));
      if (std::rename(partial.c_str(), file.c_str()) != 0) throw Failure(file + ": " + std::strerror(errno));
    }
  } catch (...) {
    if (!to_stdout) {
      if (f != nullptr) std::fclose(f);
      unlink(partial.c_str());
    }
    bar.Close();
    throw;
  }
  bar.Close();
  auto [value_bytes, vanished] = done;
  if (c.options.json) {
    EmitJson(Json::Object{{"file", Json(file)},
                          {"objects", Json(writer.count())},
                          {"value_bytes", Json(value_bytes)},
                          {"file_bytes", Json(writer.bytes_written())},
                          {"vanished", Json(vanished)},
                          {"reference_unix_ms", Json(reference)}});
  } else {
    std::string line = "dumped " + Thousands(static_cast<int64_t>(writer.count())) + " objects (" +
                       HumanBytes(static_cast<double>(value_bytes)) + " of values) to " +
                       (to_stdout ? std::string("stdout") : file) + " (" +
                       HumanBytes(static_cast<double>(writer.bytes_written())) + ")" +
                       (vanished ? "; " + Thousands(vanished) + " expired or were removed during the dump" : "") +
                       "\n";
    if (to_stdout) {
      std::fputs(line.c_str(), stderr);
    } else {
      Print(line);
    }
  }
  return kExitOk;
}

int RunLoad(Context& c) {
  const Options& o = c.options;
  const std::string& file = o.args[0];
  bool from_stdin = file == "-";
  uint64_t size = 0;
  std::unique_ptr<FILE, int (*)(FILE*)> owned(nullptr, std::fclose);
  FILE* f = stdin;
  try {
    if (!from_stdin) {
      struct stat st;
      if (stat(file.c_str(), &st) != 0) throw Failure("cannot read " + file + ": " + std::strerror(errno));
      ProgressBar vbar("verify", st.st_size, ProgressBar::Unit::kBytes, c.progress);
      size = VerifyDumpFile(file, [&](uint64_t n) { vbar.Update(static_cast<int64_t>(n)); });
      vbar.Update(static_cast<int64_t>(size));  // the checksum itself was read too
      vbar.Close();
      owned.reset(std::fopen(file.c_str(), "rb"));
      if (!owned) throw Failure("cannot read " + file + ": " + std::strerror(errno));
      f = owned.get();
    }
  } catch (const DumpError& e) {
    throw Failure(e.what());
  }
  ProgressBar bar("load", static_cast<int64_t>(size), ProgressBar::Unit::kBytes, c.progress);
  int64_t loaded = 0, expired = 0, failed = 0;
  std::vector<std::string> errors;
  std::string requests;
  std::vector<std::string> batch_keys;
  int64_t batch_bytes = 0;
  std::optional<DumpReader> reader;
  auto flush = [&] {
    if (batch_keys.empty()) return;
    std::vector<protocol::Reply> replies = c.conn.Pipeline(requests, batch_keys.size());
    for (size_t i = 0; i < replies.size(); ++i) {
      if (replies[i].is_error()) {
        ++failed;
        if (errors.size() < 5) errors.push_back(ShowKey(batch_keys[i]) + ": " + replies[i].str);
      } else {
        ++loaded;
      }
    }
    requests.clear();
    batch_keys.clear();
    batch_bytes = 0;
    bar.Update(static_cast<int64_t>(reader->bytes_read()));
  };
  try {
    reader.emplace(f);
    DumpRecord rec;
    while (reader->Next(&rec)) {
      int64_t elapsed = o.relative_ttl ? 0 : NowMs() - static_cast<int64_t>(reader->reference_ms());
      std::vector<std::string> extra;
      if (rec.ttl_ms) {
        int64_t left = static_cast<int64_t>(*rec.ttl_ms) - elapsed;
        if (left <= 0) {
          ++expired;
          continue;
        }
        extra = {"TTL", std::to_string(left)};
      }
      if (rec.soft_pin_ms && static_cast<int64_t>(*rec.soft_pin_ms) - elapsed > 0) {
        extra.push_back("SOFTPIN");
        extra.push_back(std::to_string(static_cast<int64_t>(*rec.soft_pin_ms) - elapsed));
      }
      if (rec.hard_pin) extra.push_back("HARDPIN");
      std::vector<std::string_view> args = {"UPSERT", rec.key, rec.value};
      for (const std::string& e : extra) args.push_back(e);
      protocol::AppendRequest(&requests, args);
      batch_keys.push_back(rec.key);
      batch_bytes += static_cast<int64_t>(rec.key.size() + rec.value.size());
      if (static_cast<int64_t>(batch_keys.size()) >= o.batch || batch_bytes >= o.batch_bytes) flush();
    }
    flush();
  } catch (const DumpError& e) {
    bar.Close();
    throw Failure(file + ": " + e.what() + " (" + Thousands(loaded) + " objects were loaded before it was found)");
  }
  bar.Close();
  int64_t objects = static_cast<int64_t>(reader->count());
  if (o.json) {
    Json::Array errs;
    for (const std::string& e : errors) errs.push_back(Json(e));
    EmitJson(Json::Object{{"file", Json(file)}, {"objects", Json(objects)}, {"loaded", Json(loaded)},
                          {"expired_skipped", Json(expired)}, {"failed", Json(failed)},
                          {"errors", Json(std::move(errs))}});
  } else {
    Print("loaded " + Thousands(loaded) + " of " + Thousands(objects) + " objects; " + Thousands(expired) +
          " had expired and were skipped" + (failed ? "; " + Thousands(failed) + " failed" : "") + "\n");
    for (const std::string& e : errors) std::fprintf(stderr, "  error: %s\n", e.c_str());
  }
  if (failed) {
    std::fflush(stdout);
    std::fprintf(stderr, "crescent-cli: %s objects could not be loaded\n", Thousands(failed).c_str());
    return kExitCommand;
  }
  return kExitOk;
}

}  // namespace crescent::cli
