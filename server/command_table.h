// CommandTable: every command and subcommand, found by name case-insensitively, with
// its statistics (INFO commandstats). Built once at start-up; read-only afterwards
// except for the statistics, which are relaxed atomics (any thread).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/command.h"
#include "server/latency_histogram.h"

namespace crescent::server {

struct CommandStats {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> rejected_calls{0};  // refused before the handler ran
  std::atomic<uint64_t> failed_calls{0};    // the handler replied with an error
  LatencyHistogram latency;                 // handler time of each call (/metrics)
};

// Transparent hashing, so that lookups take a string_view without building a string.
struct CommandNameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using CommandNameMap = std::unordered_map<std::string, V, CommandNameHash, std::equal_to<>>;

struct CommandEntry {
  const CommandSpec* spec = nullptr;
  std::string full_name;  // "client|list"
  const CommandEntry* parent = nullptr;
  CommandNameMap<std::unique_ptr<CommandEntry>> subcommands;
  mutable CommandStats stats;

  // Subcommand by name (any case), or null.
  const CommandEntry* FindSubcommand(std::string_view name) const;
};

class CommandTable {
 public:
  CommandTable();

  const CommandEntry* Find(std::string_view name) const;  // any case
  size_t size() const { return commands_.size(); }

  // Every command in name order, then for each its subcommands: for COMMAND and INFO.
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& entry : ordered_) f(*entry);
  }

 private:
  CommandNameMap<std::unique_ptr<CommandEntry>> commands_;
  std::vector<const CommandEntry*> ordered_;
};

std::string ToLower(std::string_view s);

}  // namespace crescent::server
