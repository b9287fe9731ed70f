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

// The KeyMatcher of QUERYREGEX and REMOVEREGEX: a search (PartialMatch) for `re` in each
// key, charged before it runs RE2's worst case, (key bytes + 1) x program size. RE2's
// DFA is usually much faster than that, but its NFA fallback (a DFA out of memory, as
// with "[ab]*a[ab]{20}") is not, and the charge must hold for every pattern.
struct RegexKeyMatcher {
  const RE2& re;
  storage::KeyMatch operator()(std::string_view key, uint64_t* budget) const;
};

// match-budget: what one command may spend matching keys.
uint64_t MatchBudget(const CommandContext& ctx);

void WriteObjectInfo(protocol::ReplyWriter& reply, const storage::ObjectInfo& info,
                     int64_t now_ms);

}  // namespace crescent::server
