// Server commands: INFO, DBSIZE, FLUSHALL, FLUSHDB, TIME, CONFIG, MEMORY, SLOWLOG.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "common/glob.h"
#include "server/client.h"
#include "server/command.h"
#include "server/commands/parse.h"
#include "server/errors.h"
#include "server/info.h"
#include "server/server.h"
#include "server/commands/help_reply.h"
#include "storage/store.h"

namespace crescent::server {

namespace {

using config::OptionId;

void Info(CommandContext& ctx) {
  std::string text = BuildInfo(ctx.server, ctx.args.subspan(1));
  ctx.reply.Verbatim("txt", text);
}

void DbSize(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.store.Size())); }

void Flush(CommandContext& ctx) {
  if (ctx.args.size() > 2) return ctx.Error(errors::kSyntax);
  if (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "ASYNC") &&
      !EqualsIgnoreCase(ctx.args[1], "SYNC")) {
    return ctx.Error(errors::kSyntax);
  }
  ctx.store.Clear();
  ctx.reply.Ok();
}

void Time(CommandContext& ctx) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

void ConfigGet(CommandContext& ctx) {
  std::vector<std::pair<std::string_view, std::string>> found;
  for (const auto& spec : config::AllOptions()) {
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      if (GlobMatch(ctx.args[i], spec.name, true)) {
        found.emplace_back(spec.name, ctx.server.config().String(spec.id));
        break;
      }
    }
  }
  ctx.reply.Map(found.size());
  for (const auto& [name, value] : found) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
}

// Side effects of options that are read once rather than on every use.
void ApplyRuntimeChange(CommandContext& ctx, std::string_view name) {
  if (EqualsIgnoreCase(name, "loglevel")) {
    std::string_view level = ctx.server.config().EnumName(OptionId::kLogLevel);
    spdlog::set_level(level == "debug"     ? spdlog::level::debug
                      : level == "warning" ? spdlog::level::warn
                      : level == "error"   ? spdlog::level::err
                                           : spdlog::level::info);
  }
}

void ConfigSet(CommandContext& ctx) {
  // Fewer than one pair is an arity error (the dispatcher's); a name without a value
  // after at least one pair is a syntax error, as Redis 7.0 answers.
  if (ctx.args.size() % 2 != 0) return ctx.Error(errors::kSyntax);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    for (const auto& p : pairs) {
      if (EqualsIgnoreCase(p.first, ctx.args[i])) {
        return ctx.Error(errors::ConfigSetDuplicate(ctx.args[i]));
      }
    }
    pairs.emplace_back(ctx.args[i], ctx.args[i + 1]);
  }
  Status s = ctx.server.config().SetAtRuntime(pairs);
  if (!s.ok()) return ctx.Error(errors::ConfigSetFailed(s.message()));
  for (const auto& p : pairs) ApplyRuntimeChange(ctx, p.first);
  ctx.reply.Ok();
}

void ConfigResetStat(CommandContext& ctx) {
  ctx.server.stats().ResetErrors();
  ctx.store.ResetStats();
  ctx.server.stats().commands_processed = 0;
  ctx.server.stats().connections_received = 0;
  ctx.server.stats().rejected_connections = 0;
  ctx.server.stats().net_input_bytes = 0;
  ctx.server.stats().net_output_bytes = 0;
  ctx.server.ResetIoLoopStats();
  ctx.server.commands().ForEach([](const CommandEntry& e) {
    auto reset = [](const CommandEntry& entry) {
      entry.stats.calls = 0;
      entry.stats.usec = 0;
      entry.stats.rejected_calls = 0;
      entry.stats.failed_calls = 0;
      entry.stats.latency.Reset();
    };
    reset(e);
    for (const auto& [name, sub] : e.subcommands) reset(*sub);
  });
  ctx.reply.Ok();
}

// Writes every option that differs from its default into the configuration file,
// atomically (a temporary file renamed over the old one).
void ConfigRewrite(CommandContext& ctx) {
  config::Config& cfg = ctx.server.config();
  std::string path = cfg.String(OptionId::kConfig);
  if (path.empty()) return ctx.Error(errors::kNoConfigFile);
  std::string text = "# Written by CONFIG REWRITE: the options that differ from their defaults.\n";
  config::Config defaults;
  for (const auto& spec : config::AllOptions()) {
    if (spec.id == OptionId::kConfig) continue;
    std::string value = cfg.String(spec.id);
    if (value == defaults.String(spec.id)) continue;
    std::string quoted;
    for (char c : value) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    text += fmt::format("{}: \"{}\"\n", spec.name, quoted);
  }
  std::string temp = path + ".rewrite.tmp";
  {
    std::ofstream f(temp, std::ios::trunc);
    f << text;
    f.flush();
    if (!f) return ctx.Error(errors::RewriteCannotWrite(temp));
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) return ctx.Error(errors::RewriteFailed(ec.message()));
  ctx.reply.Ok();
}

void ConfigHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
      "RESETSTAT", "    Reset statistics reported by the INFO command.",
      "REWRITE", "    Rewrite the configuration file.",
      "HELP", "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

// MEMORY USAGE key [SAMPLES count]: the count is checked as Redis checks it (an integer,
// not negative; repeated, the last counts) though there is nothing to sample: a value
// is one allocation whose size is known.
void MemoryUsage(CommandContext& ctx) {
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    if (!EqualsIgnoreCase(ctx.args[i], "SAMPLES") || i + 1 >= ctx.args.size()) {
      return ctx.Error(errors::kSyntax);
    }
    auto samples = ParseInt64(ctx.args[i + 1]);
    if (!samples) return ctx.Error(errors::kNotInteger);
    if (*samples < 0) return ctx.Error(errors::kSyntax);
  }
  auto usage = ctx.store.MemoryUsage(ctx.args[2]);
  if (!usage) return ctx.reply.Null();
  ctx.reply.Integer(static_cast<int64_t>(*usage));
}

void MemoryHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value.",
      "HELP", "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

void SlowlogGet(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    auto v = ParseInt64(ctx.args[2]);
    if (!v || *v < -1) {
      return ctx.Error(errors::kSlowlogCount);
    }
    count = *v == -1 ? INT64_MAX : *v;
  } else if (ctx.args.size() > 3) {
    return ctx.Error(errors::SubcommandSyntax(ctx.args[1], "slowlog"));
  }
  auto entries = ctx.server.slowlog().Get(static_cast<size_t>(count));
  ctx.reply.Array(entries.size());
  for (const auto& e : entries) {
    ctx.reply.Array(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.unix_time_s);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.Array(e.args.size());
    for (const auto& a : e.args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog().size()));
}

void SlowlogReset(CommandContext& ctx) {
  ctx.server.slowlog().Reset();
  ctx.reply.Ok();
}

void SlowlogHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
      "LEN", "    Return the length of the slowlog.",
      "RESET", "    Reset the slowlog.",
      "HELP", "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

constexpr uint32_t kAdmin = kCmdAdmin;

const CommandSpec kConfigSubcommands[] = {
    {"get", -3, kAdmin, 0, 0, 0, ConfigGet, "server", "Returns the effective values of configuration parameters.", "2.0.0"},
    {"help", 2, 0, 0, 0, 0, ConfigHelp, "server", "Returns helpful text about the different subcommands.", "5.0.0"},
    {"resetstat", 2, kAdmin, 0, 0, 0, ConfigResetStat, "server", "Resets the server's statistics.", "2.0.0"},
    {"rewrite", 2, kAdmin, 0, 0, 0, ConfigRewrite, "server", "Persists the effective configuration to file.", "2.8.0"},
    {"set", -4, kAdmin, 0, 0, 0, ConfigSet, "server", "Sets configuration parameters in-flight.", "2.0.0"},
};

const CommandSpec kMemorySubcommands[] = {
    {"help", 2, 0, 0, 0, 0, MemoryHelp, "server", "Returns helpful text about the different subcommands.", "4.0.0"},
    {"usage", -3, kCmdRead, 2, 2, 1, MemoryUsage, "server", "Estimates the memory usage of a key.", "4.0.0"},
};

const CommandSpec kSlowlogSubcommands[] = {
    {"get", -2, kAdmin, 0, 0, 0, SlowlogGet, "server", "Returns the slow log's entries.", "2.2.12"},
    {"help", 2, 0, 0, 0, 0, SlowlogHelp, "server", "Show helpful text about the different subcommands", "6.2.0"},
    {"len", 2, kAdmin, 0, 0, 0, SlowlogLen, "server", "Returns the number of entries in the slow log.", "2.2.12"},
    {"reset", 2, kAdmin, 0, 0, 0, SlowlogReset, "server", "Clears all entries from the slow log.", "2.2.12"},
};

const CommandSpec kCommands[] = {
    {"config", -2, 0, 0, 0, 0, nullptr, "server", "A container for server configuration commands.", "2.0.0", kConfigSubcommands},
    {"dbsize", 1, kCmdRead | kCmdFast, 0, 0, 0, DbSize, "server", "Returns the number of keys in the database.", "1.0.0"},
    {"flushall", -1, kCmdWrite, 0, 0, 0, Flush, "server", "Removes all keys from all databases.", "1.0.0"},
    {"flushdb", -1, kCmdWrite, 0, 0, 0, Flush, "server", "Remove all keys from the current database.", "1.0.0"},
    {"info", -1, 0, 0, 0, 0, Info, "server", "Returns information and statistics about the server.", "1.0.0"},
    {"memory", -2, 0, 0, 0, 0, nullptr, "server", "A container for memory diagnostics commands.", "4.0.0", kMemorySubcommands},
    {"slowlog", -2, 0, 0, 0, 0, nullptr, "server", "A container for slow log commands.", "2.2.12", kSlowlogSubcommands},
    {"time", 1, kCmdFast, 0, 0, 0, Time, "server", "Returns the server time.", "2.6.0"},
};

}  // namespace

std::span<const CommandSpec> ServerCommands() { return kCommands; }

}  // namespace crescent::server
