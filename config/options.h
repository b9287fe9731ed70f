// The option table: every setting of crescentd, once. The command line, the YAML file,
// CONFIG GET/SET/REWRITE and INFO all read it, so a name, a default or a bound is
// written in exactly one place (options.cpp).
//
// Config holds the current values. Reads of numbers are lock-free (atomics), so the
// request path may read options freely; strings are read under a lock. Any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/users.h"

namespace crescent::config {

enum class OptionType { kString, kInt, kSize, kDuration, kDouble, kBool, kEnum };

enum class OptionId : int {
  kConfig, kBind, kPort, kIoThreads, kIoBusyPollUs, kMaxMemory, kHugePages, kEvictionPolicy,
  kEvictionHighWatermark, kEvictionRatio, kLeaseTtl, kSoftPinTtl, kAllowEvictSoftPinned,
  kPersistence, kPersistenceQueueSize, kDir, kRequirePass, kProtectedMode, kTlsPort,
  kTlsCertFile, kTlsKeyFile, kTlsCaCertFile, kMaxClients, kTimeout, kProtoMaxBulkLen, kClientQueryBufferLimit,
  kClientOutputBufferLimit, kSlowlogLogSlowerThan, kSlowlogMaxLen, kMetricsPort,
  kMetricsBind, kLogLevel, kLogFile, kClusterConfig, kNodeName, kMaxKeySize,
  kMaxCommandArgs, kRegexMaxProgramSize, kMatchBudget, kRequestTimeout, kLatencyMonitorThreshold,
  kCount,
};

struct OptionSpec {
  OptionId id;
  std::string_view name;
  OptionType type;
  std::string_view default_value;
  double min = 0;                 // numeric bounds (sizes in bytes, durations in ms)
  double max = 0;
  std::string_view choices;       // kEnum: "a|b|c"
  bool mutable_at_runtime = false;
  bool secret = false;            // never logged, CONFIG GET shows it only to admins
  std::string_view help;
  // Set for an option of a feature that is not there yet: any value but the default is
  // refused (at start-up, from the file or the command line) with this reason, rather
  // than accepted and silently ignored.
  std::string_view unavailable = {};
};

std::span<const OptionSpec> AllOptions();
const OptionSpec* FindOption(std::string_view name);  // case-insensitive
inline const OptionSpec& Spec(OptionId id) { return AllOptions()[static_cast<int>(id)]; }

// Parsers shared by every source of values. Sizes: 123, 4k (1000), 4kb / 4kib (1024),
// m, mb, mib, g, gb, gib as Redis reads them. Durations: 500ms, 10s, 30min, 2h, 1d; a
// plain number is milliseconds.
StatusOr<int64_t> ParseSize(std::string_view text);
StatusOr<int64_t> ParseDurationMs(std::string_view text);
StatusOr<bool> ParseBool(std::string_view text);  // yes/no, true/false, on/off, 1/0

class Config {
 public:
  Config();  // every option at its default

  // Checks and sets one option; the message names the accepted values on failure.
  Status Set(std::string_view name, std::string_view value);
  // Sets several at once, all or nothing, refusing options not mutable at run time.
  Status SetAtRuntime(std::span<const std::pair<std::string, std::string>> pairs);

  // int, size (bytes), duration (ms), bool (0/1) and enum (index in choices); for a
  // string, its length (so "is a password set?" costs no lock on the request path).
  int64_t Int(OptionId id) const {
    return numbers_[static_cast<int>(id)].load(std::memory_order_relaxed);
  }
  bool Bool(OptionId id) const { return Int(id) != 0; }
  double Double(OptionId id) const;
  std::string String(OptionId id) const;  // the value as CONFIG GET and REWRITE show it
  std::string_view EnumName(OptionId id) const;

  // Whether the value was set explicitly (not the default).
  bool IsSet(OptionId id) const;

  // Named users (the YAML file's `users:`), fixed at start-up.
  const std::vector<UserSpec>& users() const { return users_; }
  void set_users(std::vector<UserSpec> users) { users_ = std::move(users); }

 private:
  Status Apply(const OptionSpec& spec, std::string_view value);
  std::atomic<int64_t> numbers_[static_cast<int>(OptionId::kCount)];
  std::atomic<double> doubles_[static_cast<int>(OptionId::kCount)];
  mutable std::shared_mutex mu_;
  std::vector<std::string> texts_;  // GUARDED_BY(mu_)
  std::vector<bool> set_;           // GUARDED_BY(mu_)
  std::vector<UserSpec> users_;     // written before the server starts only
};

// Start-up: reads the YAML file named by --config (if any), then the flags, which win.
// Returns the message for the user on failure (with file, line and key for YAML).
// `exit_now` is set for --help and --version, whose text goes to `out`.
Status LoadStartupConfig(int argc, char** argv, Config* config, bool* exit_now,
                         std::string* out);

}  // namespace crescent::config
