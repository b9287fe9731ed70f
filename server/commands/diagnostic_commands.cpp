// Watching the node from a client: MONITOR (every command as it runs, monitor.h) and
// LATENCY (the latency monitor, latency_monitor.h). SLOWLOG is with the server family.
#include "server/client.h"
#include "server/command.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/commands/help_reply.h"

namespace crescent::server {

namespace {

void Monitor(CommandContext& ctx) {
  if (ctx.client.monitor) return ctx.reply.Ok();
  auto connection = ctx.server.FindClient(ctx.client.id());
  if (connection == nullptr) return ctx.reply.Ok();  // closing
  ctx.client.monitor = true;
  ctx.reply.Ok();
  ctx.server.monitors().Add(connection);
}

void LatencyLatest(CommandContext& ctx) {
  auto events = ctx.server.latency().Snapshot();
  ctx.reply.Array(events.size());
  for (const auto& [name, event] : events) {
    ctx.reply.Array(4);
    ctx.reply.Bulk(name);
    ctx.reply.Integer(event.samples.back().unix_s);
    ctx.reply.Integer(event.samples.back().ms);
    ctx.reply.Integer(event.max_ms);
  }
}

void LatencyHistory(CommandContext& ctx) {
  auto events = ctx.server.latency().Snapshot();
  auto it = events.find(std::string(ctx.args[2]));
  if (it == events.end()) return ctx.reply.Array(0);
  ctx.reply.Array(it->second.samples.size());
  for (const auto& sample : it->second.samples) {
    ctx.reply.Array(2);
    ctx.reply.Integer(sample.unix_s);
    ctx.reply.Integer(sample.ms);
  }
}

void LatencyReset(CommandContext& ctx) {
  std::vector<std::string> names(ctx.args.begin() + 2, ctx.args.end());
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.latency().Reset(names)));
}

void LatencyHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "HISTORY <event>", "    Return time-latency samples for the <event> class.",
      "LATEST", "    Return the latest latency samples for all events.",
      "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HELP", "    Prints this help.",
      "Events: 'command' (a command that took at least latency-monitor-threshold ms)."};
  ReplyHelp(ctx.reply, kLines);
}

constexpr uint32_t kDiag = kCmdAdmin;

const CommandSpec kLatencySubcommands[] = {
    {"help", 2, 0, 0, 0, 0, LatencyHelp, "server", "Returns helpful text about the different subcommands.", "2.8.13"},
    {"history", 3, kDiag, 0, 0, 0, LatencyHistory, "server", "Returns timestamp-latency samples for an event.", "2.8.13"},
    {"latest", 2, kDiag, 0, 0, 0, LatencyLatest, "server", "Returns the latest latency samples for all events.", "2.8.13"},
    {"reset", -2, kDiag, 0, 0, 0, LatencyReset, "server", "Resets the latency data for one or more events.", "2.8.13"},
};

const CommandSpec kCommands[] = {
    {"latency", -2, 0, 0, 0, 0, nullptr, "server", "A container for latency diagnostics commands.", "2.8.13", kLatencySubcommands},
    {"monitor", 1, kDiag | kCmdNoMulti, 0, 0, 0, Monitor, "server", "Listens for all requests received by the server in real-time.", "1.0.0"},
};

}  // namespace

std::span<const CommandSpec> DiagnosticCommands() { return kCommands; }

}  // namespace crescent::server
