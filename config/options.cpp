#include "config/options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <mutex>

#include <fmt/format.h>

namespace crescent::config {

namespace {

using T = OptionType;
using I = OptionId;
constexpr double kMaxInt = 9.2e18;

// Why cluster-config and node-name are refused for now (OptionSpec::unavailable).
constexpr std::string_view kNoClusterYet =
    "cluster mode is not available yet; this build of crescentd runs a single node only "
    "(remove the option, or leave it empty)";

// The table. Order follows OptionId (checked at start-up by AllOptions()).
const OptionSpec kOptions[] = {
    {I::kConfig, "config", T::kString, "", 0, 0, "", false, false,
     "YAML file read first; flags given on the command line win"},
    {I::kBind, "bind", T::kString, "127.0.0.1", 0, 0, "", false, false,
     "address of the RESP listener"},
    {I::kPort, "port", T::kInt, "6379", 0, 65535, "", false, false, "RESP port (0: none)"},
    {I::kIoThreads, "io-threads", T::kInt, "0", 0, 256, "", false, false,
     "I/O threads (0: half the usable cores, at least 1, so that idle threads busy-poll)"},
    {I::kIoBusyPollUs, "io-busy-poll-us", T::kInt, "50", 0, 10000, "", true, false,
     "microseconds an idle I/O thread polls its sockets before it sleeps (0: never); only "
     "while most idle periods end sooner, and only when I/O threads are at most half the cores"},
    {I::kMaxMemory, "maxmemory", T::kSize, "1GB", 1 << 20, kMaxInt, "", false, false,
     "size of this node's memory segment (the pool)"},
    {I::kHugePages, "huge-pages", T::kBool, "yes", 0, 1, "", false, false,
     "back the pool with huge pages when the kernel grants them"},
    {I::kEvictionPolicy, "eviction-policy", T::kEnum, "lru", 0, 0, "lru|lfu|ttl", true, false,
     "order of eviction: least recently used, least frequently used, nearest expiry"},
    {I::kEvictionHighWatermark, "eviction-high-watermark", T::kDouble, "0.90", 0.05, 1.0, "",
     true, false, "fraction of the pool in use above which eviction starts"},
    {I::kEvictionRatio, "eviction-ratio", T::kDouble, "0.05", 0.001, 0.5, "", true, false,
     "fraction of the pool that one eviction pass frees"},
    {I::kLeaseTtl, "lease-ttl", T::kDuration, "10s", 0, 86400e3, "", true, false,
     "lease granted on reads: the object is not evicted or removed meanwhile"},
    {I::kSoftPinTtl, "soft-pin-ttl", T::kDuration, "30min", 0, 365 * 86400e3, "", true, false,
     "how long a soft pin protects an object"},
    {I::kAllowEvictSoftPinned, "allow-evict-soft-pinned", T::kBool, "yes", 0, 1, "", true,
     false, "whether soft-pinned objects may be evicted after every other candidate"},
    {I::kPersistence, "persistence", T::kEnum, "async", 0, 0, "off|async|sync", false, false,
     "SSD tier: off, async (behind the reply) or sync (after the WAL)"},
    {I::kPersistenceQueueSize, "persistence-queue-size", T::kSize, "64MB", 1 << 20, kMaxInt, "",
     false, false,
     "bytes of async writes queued for the disk; a write finding it full stays in memory only"},
    {I::kDir, "dir", T::kString, "./data-{port}", 0, 0, "", false, false,
     "where RocksDB lives; {port} stands for the RESP port, so instances differ"},
    {I::kRequirePass, "requirepass", T::kString, "", 0, 0, "", true, true,
     "password of the default user (empty: none)"},
    {I::kProtectedMode, "protected-mode", T::kBool, "yes", 0, 1, "", true, false,
     "refuse non-loopback clients when no password is set"},
    {I::kTlsPort, "tls-port", T::kInt, "0", 0, 65535, "", false, false, "TLS port (0: off)"},
    {I::kTlsCertFile, "tls-cert-file", T::kString, "", 0, 0, "", false, false,
     "server certificate (PEM)"},
    {I::kTlsKeyFile, "tls-key-file", T::kString, "", 0, 0, "", false, true,
     "server private key (PEM)"},
    {I::kTlsCaCertFile, "tls-ca-cert-file", T::kString, "", 0, 0, "", false, false,
     "CA that client certificates must chain to"},
    {I::kMaxClients, "maxclients", T::kInt, "10000", 1, 1'000'000, "", true, false,
     "most clients connected at once"},
    {I::kTimeout, "timeout", T::kInt, "0", 0, 100'000'000, "", true, false,
     "close a client idle for this many seconds (0: never)"},
    {I::kProtoMaxBulkLen, "proto-max-bulk-len", T::kSize, "512MB", 1024 * 1024, kMaxInt, "",
     true, false, "largest bulk string a client may send"},
    {I::kClientQueryBufferLimit, "client-query-buffer-limit", T::kSize, "1GB", 1024 * 1024,
     kMaxInt, "", true, false, "largest unprocessed input held for one client"},
    {I::kClientOutputBufferLimit, "client-output-buffer-limit", T::kSize, "64MB", 1024 * 1024,
     kMaxInt, "", true, false,
     "copied reply bytes a client may leave unread before it is disconnected"},
    {I::kSlowlogLogSlowerThan, "slowlog-log-slower-than", T::kInt, "10000", -1, kMaxInt, "",
     true, false, "microseconds above which a command enters the slow log (-1: never)"},
    {I::kSlowlogMaxLen, "slowlog-max-len", T::kInt, "128", 0, 1'000'000, "", true, false,
     "entries kept in the slow log"},
    {I::kMetricsPort, "metrics-port", T::kInt, "-1", -1, 65535, "", false, false,
     "HTTP port of /metrics and /health (0: off; -1: the RESP port + 2742, so 9121 for 6379)"},
    {I::kMetricsBind, "metrics-bind", T::kString, "127.0.0.1", 0, 0, "", false, false,
     "address of the metrics endpoint"},
    {I::kLogLevel, "loglevel", T::kEnum, "info", 0, 0, "debug|info|warning|error", true, false,
     "least severe log level written"},
    {I::kLogFile, "logfile", T::kString, "", 0, 0, "", false, false,
     "log file (empty: stderr)"},
    {I::kClusterConfig, "cluster-config", T::kString, "", 0, 0, "", false, false,
     "the cluster's YAML file", kNoClusterYet},
    {I::kNodeName, "node-name", T::kString, "", 0, 0, "", false, false,
     "this node's name in the cluster file", kNoClusterYet},
    {I::kMaxKeySize, "max-key-size", T::kSize, "1MB", 1, 512.0 * 1024 * 1024, "", true, false,
     "longest key a command may name"},
    {I::kMaxCommandArgs, "max-command-args", T::kInt, "1048576", 1, 2147483647, "", true, false,
     "most elements a request may have"},
    // 16KB holds about 1,000 RE2 instructions: 20 times a key pattern such as
    // "^tenant-[0-9]+/model-(a|b)/layer-[0-9]{1,3}/" (34). Matching speed does not depend on
    // it for key-sized texts (measured: 4KB to 8MB the same within noise).
    {I::kRegexMaxProgramSize, "regex-max-program-size", T::kSize, "16KB", 4096, 64.0 * 1024 * 1024,
     "", true, false, "memory a compiled regular expression (RE2) may use"},
    // 2^24 units: a regular expression's worst case (RE2 falling back to its NFA) cost
    // ~14 ns a unit on a loaded core (a 1 MiB key, a 67-instruction program: 1.0 s), so a
    // command stays under ~0.25 s, with room for a busier machine under the 1 s a stall
    // may last; a glob step costs ~4 ns. Commands run to their end on an I/O thread,
    // whose other clients wait meanwhile.
    {I::kMatchBudget, "match-budget", T::kInt, "16777216", 1000, kMaxInt, "", true, false,
     "work one KEYS, SCAN MATCH, QUERYREGEX or REMOVEREGEX may spend matching keys: "
     "key bytes x regex program size, or glob steps; past it the command is refused"},
    {I::kRequestTimeout, "request-timeout", T::kDuration, "30s", 0, 86400e3, "", true, false,
     "close a client whose request stays incomplete this long (0: never)"},
    {I::kLatencyMonitorThreshold, "latency-monitor-threshold", T::kInt, "0", 0, kMaxInt, "",
     true, false, "milliseconds from which a command is a LATENCY sample (0: off)"},
};
static_assert(std::size(kOptions) == static_cast<size_t>(OptionId::kCount));

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Splits "123kb" into 123 and "kb"; false if the number part is missing or bad.
bool SplitNumber(std::string_view text, double* number, std::string* unit) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) ||
                             text[i] == '.' || (i == 0 && text[i] == '-'))) {
    ++i;
  }
  if (i == 0) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, *number);
  if (ec != std::errc() || ptr != text.data() + i) return false;
  unit->clear();
  for (char c : text.substr(i)) unit->push_back(std::tolower(static_cast<unsigned char>(c)));
  return true;
}

int EnumIndex(std::string_view choices, std::string_view value) {
  int index = 0;
  size_t start = 0;
  while (start <= choices.size()) {
    size_t end = choices.find('|', start);
    if (end == std::string_view::npos) end = choices.size();
    if (EqualsNoCase(choices.substr(start, end - start), value)) return index;
    ++index;
    start = end + 1;
  }
  return -1;
}

std::string_view EnumAt(std::string_view choices, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = choices.find('|', start) + 1;
  size_t end = choices.find('|', start);
  return choices.substr(start, end == std::string_view::npos ? choices.size() - start
                                                             : end - start);
}

std::string FormatDuration(int64_t ms) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "min"}, {1000, "s"}};
  if (ms != 0) {
    for (auto [size, name] : kUnits) {
      if (ms % size == 0) return fmt::format("{}{}", ms / size, name);
    }
  }
  return fmt::format("{}ms", ms);
}

std::string FormatNumber(double d) {
  std::string s = fmt::format("{}", d);
  return s;
}

std::string_view AcceptedForms(OptionType type) {
  switch (type) {
    case T::kSize:
      return " (such as 4GB, 512MiB or 1048576)";
    case T::kDuration:
      return " (such as 500ms, 10s or 30min)";
    default:
      return "";
  }
}

}  // namespace

std::span<const OptionSpec> AllOptions() { return kOptions; }

const OptionSpec* FindOption(std::string_view name) {
  for (const OptionSpec& spec : kOptions) {
    if (EqualsNoCase(spec.name, name)) return &spec;
  }
  return nullptr;
}

StatusOr<int64_t> ParseSize(std::string_view text) {
  double number;
  std::string unit;
  if (!SplitNumber(text, &number, &unit) || number < 0) {
    return Status(StatusCode::kInvalidArgument, "expected a size such as 4GB, 512MiB or 1048576");
  }
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},          {"b", 1},
      {"k", 1e3},       {"kb", 1024.0},       {"kib", 1024.0},
      {"m", 1e6},       {"mb", 1048576.0},    {"mib", 1048576.0},
      {"g", 1e9},       {"gb", 1073741824.0}, {"gib", 1073741824.0},
      {"t", 1e12},      {"tb", 1099511627776.0}, {"tib", 1099511627776.0}};
  for (auto [name, factor] : kUnits) {
    if (unit == name) {
      double bytes = number * factor;
      if (bytes > kMaxInt) break;
      return static_cast<int64_t>(bytes);
    }
  }
  return Status(StatusCode::kInvalidArgument, "expected a size such as 4GB, 512MiB or 1048576");
}

StatusOr<int64_t> ParseDurationMs(std::string_view text) {
  double number;
  std::string unit;
  if (!SplitNumber(text, &number, &unit) || number < 0) {
    return Status(StatusCode::kInvalidArgument, "expected a duration such as 500ms, 10s or 30min");
  }
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1}, {"ms", 1}, {"s", 1e3}, {"sec", 1e3}, {"min", 60e3}, {"m", 60e3},
      {"h", 3600e3}, {"d", 86400e3}};
  for (auto [name, factor] : kUnits) {
    if (unit == name) return static_cast<int64_t>(std::llround(number * factor));
  }
  return Status(StatusCode::kInvalidArgument, "expected a duration such as 500ms, 10s or 30min");
}

StatusOr<bool> ParseBool(std::string_view text) {
  for (auto yes : {"yes", "true", "on", "1"}) {
    if (EqualsNoCase(text, yes)) return true;
  }
  for (auto no : {"no", "false", "off", "0"}) {
    if (EqualsNoCase(text, no)) return false;
  }
  return Status(StatusCode::kInvalidArgument, "expected yes or no");
}

Config::Config() : texts_(std::size(kOptions)), set_(std::size(kOptions), false) {
  for (const OptionSpec& spec : kOptions) {
    numbers_[static_cast<int>(spec.id)].store(0);
    doubles_[static_cast<int>(spec.id)].store(0);
    Status s = Apply(spec, spec.default_value);
    (void)s;  // defaults are valid by construction (unit tests check every one)
  }
}

Status Config::Apply(const OptionSpec& spec, std::string_view value) {
  int index = static_cast<int>(spec.id);
  auto out_of_range = [&](double v) { return v < spec.min || v > spec.max; };
  // Redis's CONFIG SET wording; Set() adds which option and value it was about.
  auto bad = [](std::string why) { return Status(StatusCode::kInvalidArgument, std::move(why)); };
  auto range = [&]() {
    if (spec.type == T::kDuration) {
      return bad(fmt::format("argument must be between {} and {} inclusive",
                             FormatDuration(static_cast<int64_t>(spec.min)),
                             FormatDuration(static_cast<int64_t>(spec.max))));
    }
    return bad(fmt::format("argument must be between {} and {} inclusive",
                           FormatNumber(spec.min), FormatNumber(spec.max)));
  };
  std::string text(value);
  switch (spec.type) {
    case T::kString:
      numbers_[index].store(static_cast<int64_t>(value.size()));
      break;
    case T::kInt: {
      int64_t v;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        return bad("argument couldn't be parsed into an integer");
      }
      if (out_of_range(static_cast<double>(v))) return range();
      numbers_[index].store(v);
      text = std::to_string(v);
      break;
    }
    case T::kSize: {
      auto v = ParseSize(value);
      if (!v.ok()) return bad("argument must be a memory value");
      if (out_of_range(static_cast<double>(*v))) return range();
      numbers_[index].store(*v);
      text = std::to_string(*v);
      break;
    }
    case T::kDuration: {
      auto v = ParseDurationMs(value);
      if (!v.ok()) return bad("argument must be a duration");
      if (out_of_range(static_cast<double>(*v))) return range();
      numbers_[index].store(*v);
      text = FormatDuration(*v);
      break;
    }
    case T::kDouble: {
      double v;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size() || std::isnan(v)) {
        return bad("argument couldn't be parsed into a number");
      }
      if (out_of_range(v)) return range();
      doubles_[index].store(v);
      text = FormatNumber(v);
      break;
    }
    case T::kBool: {
      auto v = ParseBool(value);
      if (!v.ok()) return bad("argument must be 'yes' or 'no'");
      numbers_[index].store(*v ? 1 : 0);
      text = *v ? "yes" : "no";
      break;
    }
    case T::kEnum: {
      int v = EnumIndex(spec.choices, value);
      if (v < 0) {
        std::string list(spec.choices);
        for (size_t p = list.find('|'); p != std::string::npos; p = list.find('|', p)) {
          list.replace(p, 1, ", ");
        }
        return bad("argument(s) must be one of the following: " + list);
      }
      numbers_[index].store(v);
      text = std::string(EnumAt(spec.choices, v));
      break;
    }
  }
  std::unique_lock lock(mu_);
  texts_[index] = std::move(text);
  return Status::Ok();
}

Status Config::Set(std::string_view name, std::string_view value) {
  const OptionSpec* spec = FindOption(name);
  if (spec == nullptr) {
    return Status(StatusCode::kInvalidArgument, fmt::format("unknown option '{}'", name));
  }
  if (!spec->unavailable.empty() && value != spec->default_value) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("'{}' is refused: {}", spec->name, spec->unavailable));
  }
  Status s = Apply(*spec, value);
  if (!s.ok()) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("invalid value '{}' for '{}': {}{}", value, spec->name, s.message(),
                              AcceptedForms(spec->type)));
  }
  std::unique_lock lock(mu_);
  set_[static_cast<int>(spec->id)] = true;
  return s;
}

Status Config::SetAtRuntime(std::span<const std::pair<std::string, std::string>> pairs) {
  // Check everything on a scratch copy first, so that a bad pair changes nothing.
  Config scratch;
  for (const auto& [name, value] : pairs) {
    const OptionSpec* spec = FindOption(name);
    if (spec == nullptr) {
      return Status(StatusCode::kInvalidArgument, fmt::format("Unknown option or number of arguments for CONFIG SET - '{}'", name));
    }
    if (!spec->mutable_at_runtime) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("CONFIG SET failed (possibly related to argument '{}') - can't set immutable config", spec->name));
    }
    Status s = scratch.Apply(*spec, value);
    if (!s.ok()) {
      return Status(StatusCode::kInvalidArgument,
                    fmt::format("CONFIG SET failed (possibly related to argument '{}') - {}",
                                spec->name, s.message()));
    }
  }
  for (const auto& [name, value] : pairs) {
    Status s = Set(name, value);
    (void)s;  // checked above
  }
  return Status::Ok();
}

double Config::Double(OptionId id) const {
  return doubles_[static_cast<int>(id)].load(std::memory_order_relaxed);
}

std::string Config::String(OptionId id) const {
  std::shared_lock lock(mu_);
  return texts_[static_cast<int>(id)];
}

std::string_view Config::EnumName(OptionId id) const {
  return EnumAt(Spec(id).choices, static_cast<int>(Int(id)));
}

bool Config::IsSet(OptionId id) const {
  std::shared_lock lock(mu_);
  return set_[static_cast<int>(id)];
}

}  // namespace crescent::config
