// crescent-bench's command line: sizes with units, every option's bounds, and the errors
// a mistyped command line gets.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "tools/crescent_bench/options.h"

using namespace crescent::bench;

namespace {

struct Parsed {
  bool ok = false;
  bool help = false;
  std::string error;
  BenchOptions opts;
};

Parsed Parse(std::initializer_list<const char*> args) {
  std::vector<std::string> storage{"crescent-bench"};
  for (const char* a : args) storage.emplace_back(a);
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  Parsed p;
  p.ok = ParseOptions(static_cast<int>(argv.size()), argv.data(), &p.opts, &p.error, &p.help);
  return p;
}

uint64_t Size(const std::string& text) {
  uint64_t n = 12345;
  REQUIRE_MESSAGE(ParseSize(text, &n), text);
  return n;
}

bool SizeRejected(const std::string& text) {
  uint64_t n = 12345;
  bool ok = ParseSize(text, &n);
  CHECK_MESSAGE(n == 12345, "a rejected size must leave its output alone: ", text);
  return !ok;
}

}  // namespace

TEST_CASE("sizes take powers of 1024 in any case") {
  CHECK(Size("0") == 0);
  CHECK(Size("16") == 16);
  CHECK(Size("16b") == 16);
  CHECK(Size("1k") == 1024);
  CHECK(Size("64KiB") == 64 * 1024);
  CHECK(Size("64kb") == 64 * 1024);
  CHECK(Size("1m") == 1 << 20);
  CHECK(Size("4MiB") == 4 << 20);
  CHECK(Size("2GB") == 2ull << 30);
  CHECK(Size("3g") == 3ull << 30);
}

TEST_CASE("malformed or overflowing sizes are rejected") {
  for (const char* bad : {"", "k", "1x", "1 k", "-1", "+1", "1.5m", "1kk", "m1", " 1",
                          "18446744073709551616", "99999999999999999999", "17179869184g",
                          "18014398509481984k"}) {
    CAPTURE(bad);
    CHECK(SizeRejected(bad));
  }
  // The largest that fit.
  CHECK(Size("18446744073709551615") == UINT64_MAX);
  CHECK(Size("17179869183g") == 17179869183ull << 30);
}

TEST_CASE("defaults, when nothing is given") {
  Parsed p = Parse({});
  REQUIRE(p.ok);
  CHECK_FALSE(p.help);
  CHECK(p.opts.host == "127.0.0.1");
  CHECK(p.opts.port == 6379);
  CHECK(p.opts.workload == WorkloadKind::kSet);
  CHECK(p.opts.connections == 0);
  CHECK(p.opts.value_min == 16);
  CHECK(p.opts.value_max == 16);
  CHECK_FALSE(p.opts.value_size_given);
  CHECK_FALSE(p.opts.keyspace_given);
  CHECK(p.opts.requests == 0);
  CHECK_FALSE(p.opts.json);
}

TEST_CASE("options take their value as the next word or after '='") {
  Parsed p = Parse({"--port", "7000", "--workload=kvcache", "--value-size", "1m-4m", "--keyspace=500",
                    "--key-pattern", "seq", "--threads", "4", "--connections=16", "--pipeline", "8",
                    "--requests", "1000", "--miss-ratio", "0.25", "--zipf", "0.8", "--prefill", "0.5",
                    "--server-memory", "64MB", "--server-pid", "42", "--seed", "9", "--json",
                    "--get-ratio", "0.3", "--warmup", "1.5", "--duration", "2"});
  REQUIRE_MESSAGE(p.ok, p.error);
  CHECK(p.opts.port == 7000);
  CHECK(p.opts.workload == WorkloadKind::kKvCache);
  CHECK(p.opts.value_min == 1 << 20);
  CHECK(p.opts.value_max == 4 << 20);
  CHECK(p.opts.value_size_given);
  CHECK(p.opts.keyspace == 500);
  CHECK(p.opts.keyspace_given);
  CHECK(p.opts.key_pattern == KeyPattern::kSequential);
  CHECK(p.opts.threads == 4);
  CHECK(p.opts.connections == 16);
  CHECK(p.opts.pipeline == 8);
  CHECK(p.opts.requests == 1000);
  CHECK(p.opts.miss_ratio == doctest::Approx(0.25));
  CHECK(p.opts.zipf_s == doctest::Approx(0.8));
  CHECK(p.opts.prefill_fraction == doctest::Approx(0.5));
  CHECK(p.opts.server_memory == 64ull << 20);
  CHECK(p.opts.server_pid == 42);
  CHECK(p.opts.seed == 9);
  CHECK(p.opts.json);
  CHECK(p.opts.get_ratio == doctest::Approx(0.3));
  CHECK(p.opts.warmup_s == doctest::Approx(1.5));
  CHECK(p.opts.duration_s == doctest::Approx(2));
}

TEST_CASE("every workload has a name that parses back to it") {
  for (WorkloadKind kind : {WorkloadKind::kSet, WorkloadKind::kGet, WorkloadKind::kMixed, WorkloadKind::kKvCache}) {
    std::string arg = std::string("--workload=") + WorkloadName(kind);
    Parsed p = Parse({arg.c_str()});
    REQUIRE(p.ok);
    CHECK(p.opts.workload == kind);
  }
}

TEST_CASE("--help stops parsing and asks for the usage text") {
  Parsed p = Parse({"--port", "1", "--help", "--bogus"});
  CHECK(p.ok);
  CHECK(p.help);
  CHECK(std::string(Usage()).find("--workload NAME") != std::string::npos);
}

TEST_CASE("an unknown option or a missing value is named in the error") {
  Parsed p = Parse({"--bogus", "1"});
  CHECK_FALSE(p.ok);
  CHECK(p.error == "unknown option --bogus (see --help)");

  p = Parse({"--port"});
  CHECK_FALSE(p.ok);
  CHECK(p.error == "missing value for --port");
}

TEST_CASE("values out of range or malformed are refused, quoting the value") {
  struct Case {
    const char* option;
    const char* value;
  };
  for (Case c : std::initializer_list<Case>{
           {"--port", "0"}, {"--port", "65536"}, {"--port", "http"}, {"--port", "-1"},
           {"--threads", "0"}, {"--threads", "1025"}, {"--connections", "0"}, {"--pipeline", "0"},
           {"--duration", "0"}, {"--duration", "abc"}, {"--duration", "1s"}, {"--requests", "0"},
           {"--requests", "-5"}, {"--warmup", "-1"}, {"--value-size", "4m-1m"}, {"--value-size", "1m-"},
           {"--value-size", "-1m"}, {"--value-size", "513m"}, {"--value-size", "lots"},
           {"--keyspace", "0"}, {"--key-pattern", "zigzag"}, {"--workload", "scan"},
           {"--get-ratio", "1.5"}, {"--get-ratio", "nan"}, {"--server-memory", "0"},
           {"--miss-ratio", "-0.1"}, {"--zipf", "11"}, {"--prefill", "2"}, {"--server-pid", "0"},
           {"--seed", "x"}}) {
    CAPTURE(c.option);
    CAPTURE(c.value);
    Parsed p = Parse({c.option, c.value});
    CHECK_FALSE(p.ok);
    CHECK(p.error == std::string("bad value for ") + c.option + ": '" + c.value + "'");
  }
}

TEST_CASE("the largest value size accepted is 512 MiB") {
  Parsed p = Parse({"--value-size", "512m"});
  CHECK(p.ok);
  CHECK(p.opts.value_max == 512ull << 20);
  p = Parse({"--value-size", "1k-512m"});
  CHECK(p.ok);
}
