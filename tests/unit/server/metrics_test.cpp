// The Prometheus text rendering of server/metrics.cpp and the LatencyHistogram behind
// the command durations. The rendering is checked by parsing it back with a strict
// reader of text format 0.0.4, so that what a scraper rejects fails here first.
#include <doctest/doctest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "server/latency_histogram.h"
#include "server/metrics.h"

using namespace crescent::server;

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  std::string value;
};

bool ValidName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  }
  return true;
}

bool ValidValue(const std::string& v) {
  if (v == "+Inf" || v == "-Inf" || v == "NaN") return true;
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  return !v.empty() && end == v.c_str() + v.size();
}

// Parses one sample line; fails the test (and returns false) when it is malformed.
bool ParseSample(const std::string& line, Sample* out) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  out->name = line.substr(0, i);
  if (!ValidName(out->name)) return false;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
      std::string label = line.substr(i, eq - i);
      if (!ValidName(label) || out->labels.count(label)) return false;
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\n') return false;
        if (line[j] != '\\') {
          value += line[j];
          continue;
        }
        if (++j >= line.size()) return false;
        if (line[j] == 'n') value += '\n';
        else if (line[j] == '\\' || line[j] == '"') value += line[j];
        else return false;  // no other escapes exist
      }
      if (j >= line.size()) return false;
      out->labels[label] = value;
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return false;
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return false;
  out->value = line.substr(i + 1);
  return ValidValue(out->value);
}

struct Family {
  std::string type;
  bool help = false;
  std::vector<Sample> samples;
};

// Reads a whole exposition: every line is HELP, TYPE or a sample; HELP and TYPE come
// once per family and before its samples; a family's samples are contiguous.
std::map<std::string, Family> ParseExposition(const std::string& text) {
  std::map<std::string, Family> families;
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  std::istringstream in(text);
  std::string line, current;
  std::set<std::string> closed;
  while (std::getline(in, line)) {
    INFO("line: " << line);
    REQUIRE(!line.empty());
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      std::string name = rest.substr(0, rest.find(' '));
      REQUIRE(ValidName(name));
      Family& f = families[name];
      if (line[2] == 'H') {
        CHECK_FALSE(f.help);
        f.help = true;
      } else {
        CHECK(f.type.empty());
        f.type = rest.substr(name.size() + 1);
        CHECK(std::set<std::string>{"counter", "gauge", "histogram"}.count(f.type) == 1);
      }
      CHECK(f.samples.empty());  // metadata before samples
      if (current != name) {
        if (!current.empty()) closed.insert(current);
        CHECK(closed.count(name) == 0);  // a family appears once
        current = name;
      }
      continue;
    }
    REQUIRE(line[0] != '#');
    Sample s;
    REQUIRE(ParseSample(line, &s));
    std::string family = s.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string base = s.name.substr(0, s.name.size() - std::min(s.name.size(), std::strlen(suffix)));
      if (s.name.size() > std::strlen(suffix) && s.name.ends_with(suffix) && families.count(base) &&
          families[base].type == "histogram") {
        family = base;
      }
    }
    REQUIRE(family == current);  // samples belong to the family just declared
    Family& f = families[family];
    CHECK(f.help);
    CHECK(!f.type.empty());
    if (f.type == "counter") CHECK(family.ends_with("_total"));
    f.samples.push_back(std::move(s));
  }
  return families;
}

const Sample* Find(const Family& f, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (const auto& s : f.samples) {
    if (s.name == name && s.labels == labels) return &s;
  }
  return nullptr;
}

MetricsSnapshot KnownSnapshot() {
  MetricsSnapshot s;
  s.uptime_seconds = 12.5;
  s.start_time_seconds = 1'700'000'000.25;
  s.resident_bytes = 10 << 20;
  s.cpu_seconds = 0.75;
  s.connected_clients = 3;
  s.connections_received = 40;
  s.rejected_connections = 1;
  s.net_input_bytes = 1000;
  s.net_output_bytes = 2000;
  s.commands_processed = 9;
  s.io_polled_wakeups = 70;
  s.io_sleeps = 30;
  s.maxmemory_bytes = 1 << 30;
  CommandMetrics get;
  get.name = "get";
  get.calls = 5;
  get.failed_calls = 0;
  get.rejected_calls = 2;
  get.latency.counts[0] = 3;  // <= 1us
  get.latency.counts[3] = 1;  // <= 10us
  get.latency.counts[LatencyHistogram::kBuckets - 1] = 1;  // > 10s
  get.latency.count = 5;
  get.latency.sum_ns = 12'000'004'000;
  CommandMetrics odd;  // a name that needs escaping, to prove label values are escaped
  odd.name = "we\"ird\\cmd\nx";
  odd.calls = 1;
  odd.failed_calls = 1;
  odd.latency.counts[2] = 1;
  odd.latency.count = 1;
  odd.latency.sum_ns = 4000;
  s.commands = {get, odd};
  s.errors = {{"ERR", 7}, {"WRONGTYPE", 2}};
  s.store.keys = 100;
  s.store.keys_with_expiry = 10;
  s.store.evicted_objects = (1ull << 60) + 1;  // exact beyond a double's 53 bits
  s.segments = {{"local", 1 << 30, 4096, 100}, {"seg\"2", 1 << 20, 0, 0}};
  return s;
}

}  // namespace

TEST_CASE("metrics: the rendering of a known snapshot is well-formed exposition 0.0.4") {
  MetricsWriter out;
  RenderMetrics(KnownSnapshot(), &out);
  auto families = ParseExposition(out.text());

  for (const char* name :
       {"crescent_commands_total", "crescent_command_errors_total",
        "crescent_command_rejected_total", "crescent_command_duration_seconds",
        "crescent_errors_total", "crescent_connected_clients",
        "crescent_connections_received_total", "crescent_rejected_connections_total",
        "crescent_net_input_bytes_total", "crescent_net_output_bytes_total",
        "crescent_io_polled_wakeups_total", "crescent_io_sleeps_total",
        "crescent_segment_capacity_bytes", "crescent_segment_used_bytes",
        "crescent_segment_objects", "crescent_keys", "crescent_keys_with_expiry",
        "crescent_leases_granted_total", "crescent_leased_objects",
        "crescent_soft_pinned_objects", "crescent_hard_pinned_objects",
        "crescent_evicted_objects_total", "crescent_evicted_bytes_total",
        "crescent_evicted_leased_total", "crescent_evicted_soft_pinned_total",
        "crescent_expired_keys_total", "crescent_keyspace_hits_total",
        "crescent_keyspace_misses_total", "crescent_pending_puts", "crescent_revoked_puts_total",
        "crescent_uptime_seconds", "process_resident_memory_bytes"}) {
    INFO("family " << name);
    REQUIRE(families.count(name) == 1);
    CHECK(!families[name].samples.empty());
  }
  // No disk tier in the snapshot: no disk families at all, rather than zeros.
  for (const auto& [name, f] : families) {
    CHECK(name.find("disk") == std::string::npos);
    CHECK(name.find("demoted") == std::string::npos);
  }

  const Family& calls = families["crescent_commands_total"];
  REQUIRE(Find(calls, "crescent_commands_total", {{"cmd", "get"}}) != nullptr);
  CHECK(Find(calls, "crescent_commands_total", {{"cmd", "get"}})->value == "5");
  CHECK(Find(families["crescent_command_rejected_total"], "crescent_command_rejected_total",
             {{"cmd", "get"}})->value == "2");
  // The escaped label value reads back as the original.
  const Sample* odd = Find(families["crescent_command_errors_total"],
                           "crescent_command_errors_total", {{"cmd", "we\"ird\\cmd\nx"}});
  REQUIRE(odd != nullptr);
  CHECK(odd->value == "1");
  CHECK(out.text().find("cmd=\"we\\\"ird\\\\cmd\\nx\"") != std::string::npos);
  CHECK(Find(families["crescent_segment_capacity_bytes"], "crescent_segment_capacity_bytes",
             {{"segment", "seg\"2"}}) != nullptr);

  CHECK(Find(families["crescent_errors_total"], "crescent_errors_total", {{"code", "ERR"}})->value == "7");
  CHECK(Find(families["crescent_errors_total"], "crescent_errors_total", {{"code", "WRONGTYPE"}})->value == "2");
  CHECK(families["crescent_evicted_objects_total"].samples[0].value == "1152921504606846977");
  CHECK(families["crescent_keys"].samples[0].value == "100");
  CHECK(families["crescent_io_polled_wakeups_total"].samples[0].value == "70");
  CHECK(families["crescent_io_sleeps_total"].samples[0].value == "30");
  CHECK(std::strtod(families["crescent_uptime_seconds"].samples[0].value.c_str(), nullptr) == 12.5);
}

TEST_CASE("metrics: histograms are cumulative, end with +Inf and agree with _count") {
  MetricsWriter out;
  RenderMetrics(KnownSnapshot(), &out);
  auto families = ParseExposition(out.text());
  const Family& h = families["crescent_command_duration_seconds"];
  CHECK(h.type == "histogram");
  for (const std::string cmd : {"get", "we\"ird\\cmd\nx"}) {
    INFO("cmd " << cmd);
    std::vector<const Sample*> buckets;
    const Sample *sum = nullptr, *count = nullptr;
    for (const auto& s : h.samples) {
      if (s.labels.count("cmd") == 0 || s.labels.at("cmd") != cmd) continue;
      if (s.name.ends_with("_bucket")) buckets.push_back(&s);
      if (s.name.ends_with("_sum")) sum = &s;
      if (s.name.ends_with("_count")) count = &s;
    }
    REQUIRE(buckets.size() == LatencyHistogram::kBuckets);
    REQUIRE(sum != nullptr);
    REQUIRE(count != nullptr);
    double previous_le = -1;
    uint64_t previous = 0;
    for (size_t i = 0; i < buckets.size(); ++i) {
      const std::string& le = buckets[i]->labels.at("le");
      double bound = le == "+Inf" ? HUGE_VAL : std::strtod(le.c_str(), nullptr);
      CHECK(bound > previous_le);  // bounds strictly increase
      previous_le = bound;
      uint64_t v = std::strtoull(buckets[i]->value.c_str(), nullptr, 10);
      CHECK(v >= previous);  // cumulative
      previous = v;
    }
    CHECK(buckets.back()->labels.at("le") == "+Inf");
    CHECK(buckets.back()->value == count->value);
    CHECK(buckets.front()->labels.at("le") == "1e-06");
  }
  const Sample* get_sum = Find(h, "crescent_command_duration_seconds_sum", {{"cmd", "get"}});
  CHECK(std::strtod(get_sum->value.c_str(), nullptr) == doctest::Approx(12.000004));
  CHECK(Find(h, "crescent_command_duration_seconds_count", {{"cmd", "get"}})->value == "5");
  CHECK(Find(h, "crescent_command_duration_seconds_bucket", {{"cmd", "get"}, {"le", "1e-06"}})->value == "3");
  CHECK(Find(h, "crescent_command_duration_seconds_bucket", {{"cmd", "get"}, {"le", "1e-05"}})->value == "4");
  CHECK(Find(h, "crescent_command_duration_seconds_bucket", {{"cmd", "get"}, {"le", "10"}})->value == "4");
}

TEST_CASE("metrics: the SSD tier's families appear only when there is one") {
  MetricsSnapshot s = KnownSnapshot();
  s.disk = crescent::storage::DiskTier::Stats{};
  s.disk->reads = 11;
  s.disk->healthy = false;
  s.disk_records_estimate = 42;
  s.store.demoted_objects = 3;
  s.store.disk_load_ms = 1500;
  MetricsWriter out;
  RenderMetrics(s, &out);
  auto families = ParseExposition(out.text());
  CHECK(families["crescent_disk_reads_total"].samples.at(0).value == "11");
  CHECK(families["crescent_disk_healthy"].samples.at(0).value == "0");
  CHECK(families["crescent_disk_records"].samples.at(0).value == "42");
  CHECK(families["crescent_demoted_objects_total"].samples.at(0).value == "3");
  CHECK(families["crescent_disk_load_seconds"].samples.at(0).value == "1.5");
  CHECK(families.count("crescent_disk_write_errors_total") == 1);
}

TEST_CASE("metrics: a family without samples leaves no HELP or TYPE") {
  MetricsSnapshot empty;  // no commands, no errors, no segments
  MetricsWriter out;
  RenderMetrics(empty, &out);
  auto families = ParseExposition(out.text());
  CHECK(families.count("crescent_commands_total") == 0);
  CHECK(families.count("crescent_command_duration_seconds") == 0);
  CHECK(families.count("crescent_errors_total") == 0);
  CHECK(families.count("crescent_segment_used_bytes") == 0);
  CHECK(out.text().find("crescent_errors_total") == std::string::npos);
  CHECK(families.count("crescent_keys") == 1);
}

TEST_CASE("metrics: writer escapes HELP text and special values") {
  MetricsWriter out;
  out.Family("x_ratio", MetricsWriter::Type::kGauge, "back\\slash\nnewline");
  out.Sample(HUGE_VAL);
  out.Family("y_ratio", MetricsWriter::Type::kGauge, "nan");
  out.Sample(std::nan(""));
  CHECK(out.text() ==
        "# HELP x_ratio back\\\\slash\\nnewline\n# TYPE x_ratio gauge\nx_ratio +Inf\n"
        "# HELP y_ratio nan\n# TYPE y_ratio gauge\ny_ratio NaN\n");
  CHECK(EscapeLabelValue("plain") == "plain");
  CHECK(EscapeLabelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("latency histogram: bounds are inclusive upper limits, +Inf takes the rest") {
  LatencyHistogram h;
  h.Record(0);
  h.Record(1'000);          // exactly 1us: the first bucket (le is <=)
  h.Record(1'001);          // just above: the second
  h.Record(10'000'000'000); // exactly 10s: the last finite bucket
  h.Record(10'000'000'001); // beyond: +Inf
  auto s = h.Read();
  CHECK(s.counts[0] == 2);
  CHECK(s.counts[1] == 1);
  CHECK(s.counts[LatencyHistogram::kBuckets - 2] == 1);
  CHECK(s.counts[LatencyHistogram::kBuckets - 1] == 1);
  CHECK(s.count == 5);
  CHECK(s.sum_ns == 0 + 1'000 + 1'001 + 10'000'000'000 + 10'000'000'001);
  h.Reset();
  CHECK(h.Read().count == 0);
  CHECK(h.Read().sum_ns == 0);
  for (size_t i = 1; i < LatencyHistogram::kBoundsNs.size(); ++i) {
    CHECK(LatencyHistogram::kBoundsNs[i] > LatencyHistogram::kBoundsNs[i - 1]);
  }
}

TEST_CASE("metrics: the test's reader rejects what a scraper would") {
  Sample s;
  CHECK(ParseSample("a_total 1", &s));
  CHECK(ParseSample("a{b=\"c\\\"d\"} 1.5e-06", &s));
  CHECK(s.labels["b"] == "c\"d");
  CHECK_FALSE(ParseSample("a{b=\"c\"d\"} 1", &s));   // unescaped quote
  CHECK_FALSE(ParseSample("a{b=\"c\\x\"} 1", &s));   // unknown escape
  CHECK_FALSE(ParseSample("a{b=c} 1", &s));          // unquoted value
  CHECK_FALSE(ParseSample("1a 1", &s));              // bad name
  CHECK_FALSE(ParseSample("a one", &s));             // bad value
  CHECK_FALSE(ParseSample("a{b=\"c\"", &s));         // unterminated
}
