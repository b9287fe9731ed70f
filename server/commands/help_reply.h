// The reply of every XXX HELP subcommand: its lines as simple strings, as Redis sends them.
#pragma once

#include <span>
#include <string_view>

#include "protocol/reply_writer.h"

namespace crescent::server {

inline void ReplyHelp(protocol::ReplyWriter& reply, std::span<const std::string_view> lines) {
  reply.Array(lines.size());
  for (std::string_view line : lines) reply.SimpleString(line);
}

}  // namespace crescent::server
