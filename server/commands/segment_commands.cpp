// SEGMENT MOUNT / UNMOUNT / LIST / QUERY: the memory segments this node contributes.
#include <fmt/format.h>

#include "config/options.h"
#include "server/command.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/commands/help_reply.h"
#include "storage/store.h"

namespace crescent::server {

namespace {

void WriteSegment(protocol::ReplyWriter& reply, const storage::SegmentInfo& s) {
  reply.Map(4);
  reply.Bulk("name");
  reply.Bulk(s.name);
  reply.Bulk("capacity");
  reply.Integer(static_cast<int64_t>(s.capacity));
  reply.Bulk("used");
  reply.Integer(static_cast<int64_t>(s.used));
  reply.Bulk("objects");
  reply.Integer(s.replicas);
}

void SegmentMount(CommandContext& ctx) {
  auto size = config::ParseSize(ctx.args[3]);
  if (!size.ok() || *size < (1 << 20)) {
    return ctx.Error(errors::kSegmentSizeTooSmall);
  }
  if (ctx.args[2].empty()) return ctx.Error(errors::InvalidParams("a segment needs a name"));
  Status s = ctx.store.MountSegment(std::string(ctx.args[2]), static_cast<size_t>(*size));
  if (!s.ok()) return ctx.Error(errors::SegmentErrorText(s, ctx.args[2]));
  ctx.reply.Ok();
}

void SegmentUnmount(CommandContext& ctx) {
  auto dropped = ctx.store.UnmountSegment(ctx.args[2]);
  if (!dropped.ok()) {
    // The only argument the store refuses is the node's own segment.
    if (dropped.status().code() == StatusCode::kInvalidArgument) {
      return ctx.Error(errors::HomeSegmentNotUnmountable(ctx.args[2]));
    }
    return ctx.Error(errors::SegmentErrorText(dropped.status(), ctx.args[2]));
  }
  ctx.reply.Integer(static_cast<int64_t>(*dropped));
}

void SegmentList(CommandContext& ctx) {
  auto segments = ctx.store.Segments();
  ctx.reply.Array(segments.size());
  for (const auto& s : segments) WriteSegment(ctx.reply, s);
}

void SegmentQuery(CommandContext& ctx) {
  for (const auto& s : ctx.store.Segments()) {
    if (s.name == ctx.args[2]) return WriteSegment(ctx.reply, s);
  }
  ctx.Error(errors::SegmentNotFound(ctx.args[2]));
}

void SegmentHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "SEGMENT <subcommand> [<arg> ...]. Subcommands are:",
      "MOUNT <name> <size>", "    Add a memory segment of <size> (such as 512MB) to the pool.",
      "UNMOUNT <name>", "    Remove a segment; objects with no other replica are dropped.",
      "LIST", "    Return every mounted segment with its capacity and use.",
      "QUERY <name>", "    Return one segment's capacity and use.",
      "HELP", "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

const CommandSpec kSubcommands[] = {
    {"help", 2, 0, 0, 0, 0, SegmentHelp, "segment", "Returns helpful text about the different subcommands.", "0.1.0"},
    {"list", 2, 0, 0, 0, 0, SegmentList, "segment", "Lists the mounted segments.", "0.1.0"},
    {"mount", 4, kCmdAdmin, 0, 0, 0, SegmentMount, "segment", "Mounts a new memory segment.", "0.1.0"},
    {"query", 3, 0, 0, 0, 0, SegmentQuery, "segment", "Returns a segment's capacity and use.", "0.1.0"},
    {"unmount", 3, kCmdAdmin, 0, 0, 0, SegmentUnmount, "segment", "Unmounts a segment, dropping its replicas.", "0.1.0"},
};

const CommandSpec kCommands[] = {
    {"segment", -2, 0, 0, 0, 0, nullptr, "segment", "A container for memory segment commands.", "0.1.0", kSubcommands},
};

}  // namespace

std::span<const CommandSpec> SegmentCommands() { return kCommands; }

}  // namespace crescent::server
