// What the Mooncake object commands share: parsing the put options (REPLICAS, SOFTPIN,
// HARDPIN, PREFER, SAMENODE, TTL), compiling a key pattern with RE2, and writing an
// object's metadata as a reply (RESP3 map, RESP2 flat array of field, value).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <re2/re2.h>

#include "protocol/reply_writer.h"
#include "server/command.h"
#include "storage/store.h"

namespace crescent::server {

// Parses args as put options; replies with the error and returns false on a bad one.
bool ParsePutOptions(CommandContext& ctx, std::span<const std::string_view> args,
                     storage::PutOptions* out);

// A compiled pattern, or null after replying with INVALID_PARAMS. The program size is
// bounded so that no pattern can make the server spend unbounded memory.
std::unique_ptr<RE2> CompileKeyPattern(CommandContext& ctx, std::string_view pattern);

void WriteObjectInfo(protocol::ReplyWriter& reply, const storage::ObjectInfo& info,
                     int64_t now_ms);

}  // namespace crescent::server
