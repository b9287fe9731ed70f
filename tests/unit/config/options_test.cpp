#include <doctest/doctest.h>

#include <set>

#include "config/options.h"

using namespace crescent;
using namespace crescent::config;

TEST_CASE("the option table is consistent and every default is valid") {
  std::set<std::string_view> names;
  int index = 0;
  for (const OptionSpec& spec : AllOptions()) {
    CHECK(static_cast<int>(spec.id) == index++);
    CHECK(names.insert(spec.name).second);
    CHECK(!spec.help.empty());
    Config scratch;
    Status s = scratch.Set(spec.name, spec.default_value);
    CHECK_MESSAGE(s.ok(), spec.name, ": ", s.message());
  }
}

TEST_CASE("sizes and durations read units as Redis does") {
  CHECK(*ParseSize("1048576") == 1048576);
  CHECK(*ParseSize("4GB") == 4LL << 30);
  CHECK(*ParseSize("512MiB") == 512LL << 20);
  CHECK(*ParseSize("1k") == 1000);
  CHECK(*ParseSize("1kb") == 1024);
  CHECK(*ParseSize("2m") == 2000000);
  CHECK(!ParseSize("12x").ok());
  CHECK(!ParseSize("-1").ok());
  CHECK(!ParseSize("").ok());
  CHECK(*ParseDurationMs("500ms") == 500);
  CHECK(*ParseDurationMs("10s") == 10000);
  CHECK(*ParseDurationMs("30min") == 1800000);
  CHECK(*ParseDurationMs("2h") == 7200000);
  CHECK(*ParseDurationMs("250") == 250);
  CHECK(!ParseDurationMs("soon").ok());
}

TEST_CASE("Set checks types, bounds and choices and names the accepted values") {
  Config config;
  CHECK(config.Int(OptionId::kPort) == 6379);
  CHECK(config.Int(OptionId::kMaxMemory) == 1LL << 30);
  CHECK(config.Int(OptionId::kLeaseTtl) == 10000);
  CHECK(config.String(OptionId::kSoftPinTtl) == "30min");
  CHECK(config.EnumName(OptionId::kPersistence) == "async");
  CHECK(config.Double(OptionId::kEvictionHighWatermark) == doctest::Approx(0.9));

  CHECK(config.Set("port", "7000").ok());
  CHECK(config.Int(OptionId::kPort) == 7000);
  CHECK(config.IsSet(OptionId::kPort));
  Status s = config.Set("port", "70000");
  CHECK(!s.ok());
  CHECK(s.message() == "invalid value '70000' for 'port': argument must be between 0 and 65535 inclusive");
  s = config.Set("persistence", "sometimes");
  CHECK(s.message() == "invalid value 'sometimes' for 'persistence': argument(s) must be one of the following: off, async, sync");
  s = config.Set("maxmemory", "lots");
  CHECK(s.message() == "invalid value 'lots' for 'maxmemory': argument must be a memory value (such as 4GB, 512MiB or 1048576)");
  CHECK(config.EnumName(OptionId::kPersistence) == "async");
  CHECK(config.Set("MAXMEMORY", "64mb").ok());
  CHECK(config.String(OptionId::kMaxMemory) == std::to_string(64 << 20));
  CHECK(config.Set("protected-mode", "no").ok());
  CHECK(!config.Bool(OptionId::kProtectedMode));
  CHECK(!config.Set("protected-mode", "maybe").ok());
  CHECK(config.Set("no-such-option", "1").message() == "unknown option 'no-such-option'");
}

TEST_CASE("options of features not there yet refuse any value but their default") {
  for (std::string_view name : {"cluster-config", "node-name"}) {
    Config config;
    Status s = config.Set(name, "cluster.yaml");
    REQUIRE(!s.ok());
    CHECK(s.message().find(name) != std::string::npos);
    CHECK(s.message().find("cluster mode is not available yet") != std::string::npos);
    CHECK(config.String(FindOption(name)->id).empty());
    CHECK(config.Set(name, "").ok());
  }
}

TEST_CASE("run-time changes are all or nothing and refuse immutable options") {
  Config config;
  std::vector<std::pair<std::string, std::string>> pairs = {{"maxclients", "50"},
                                                            {"eviction-ratio", "7"}};
  CHECK(!config.SetAtRuntime(pairs).ok());
  CHECK(config.Int(OptionId::kMaxClients) == 10000);
  pairs = {{"port", "1"}};
  Status s = config.SetAtRuntime(pairs);
  CHECK(s.message().find("can't set immutable config") != std::string::npos);
  pairs = {{"maxclients", "50"}, {"eviction-ratio", "0.1"}};
  CHECK(config.SetAtRuntime(pairs).ok());
  CHECK(config.Int(OptionId::kMaxClients) == 50);
  CHECK(config.Double(OptionId::kEvictionRatio) == doctest::Approx(0.1));
}
