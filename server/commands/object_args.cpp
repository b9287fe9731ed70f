#include "server/commands/object_args.h"

#include <algorithm>

#include <fmt/format.h>

#include "server/commands/parse.h"
#include "server/errors.h"
#include "server/server.h"

namespace crescent::server {

namespace {
constexpr int64_t kMaxReplicas = 16;
}  // namespace

bool ParsePutOptions(CommandContext& ctx, std::span<const std::string_view> args,
                     storage::PutOptions* out) {
  auto invalid = [&](std::string_view why) {
    ctx.Error(errors::InvalidParams(why));
    return false;
  };
  auto syntax = [&] {
    ctx.Error(errors::kSyntax);
    return false;
  };
  // Each option at most once (ERR syntax error otherwise): a second REPLICAS or TTL is
  // more likely a mistake than an intent that the last one wins. SOFTPIN and HARDPIN may
  // come together: they are separate properties, and QUERY reports both.
  bool replicas = false, softpin = false, hardpin = false, prefer = false, samenode = false,
       ttl = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    bool has_next = i + 1 < args.size();
    if (EqualsIgnoreCase(a, "REPLICAS") && has_next && !replicas) {
      replicas = true;
      auto n = ParseInt64(args[++i]);
      if (!n || *n < 1 || *n > kMaxReplicas) {
        return invalid(fmt::format("REPLICAS must be between 1 and {}", kMaxReplicas));
      }
      out->config.replicas = static_cast<uint32_t>(*n);
    } else if (EqualsIgnoreCase(a, "SOFTPIN") && !softpin) {
      softpin = true;
      out->config.soft_pin = true;
      // An optional duration in milliseconds follows.
      if (has_next) {
        if (auto ms = ParseInt64(args[i + 1])) {
          if (*ms <= 0) return invalid("SOFTPIN duration must be positive");
          out->config.soft_pin_ms = *ms;
          ++i;
        }
      }
    } else if (EqualsIgnoreCase(a, "HARDPIN") && !hardpin) {
      hardpin = true;
      out->config.hard_pin = true;
    } else if (EqualsIgnoreCase(a, "PREFER") && has_next && !prefer) {
      prefer = true;
      std::string_view list = args[++i];
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view name = list.substr(0, comma);
        if (!name.empty()) out->config.preferred_segments.emplace_back(name);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    } else if (EqualsIgnoreCase(a, "SAMENODE") && !samenode) {
      samenode = true;
      out->config.same_node = true;
    } else if (EqualsIgnoreCase(a, "TTL") && has_next && !ttl) {
      ttl = true;
      auto ms = ParseInt64(args[++i]);
      if (!ms || *ms <= 0 || *ms > INT64_MAX - ctx.now_ms) {
        return invalid("TTL must be a positive number of milliseconds");
      }
      out->expire_at_ms = ctx.now_ms + *ms;
    } else {
      return syntax();
    }
  }
  return true;
}

std::unique_ptr<RE2> CompileKeyPattern(CommandContext& ctx, std::string_view pattern) {
  int64_t max_mem = ctx.server.config().Int(config::OptionId::kRegexMaxProgramSize);
  // RE2 bounds the compiled program, not the parse before it: a pattern longer than
  // the program may be is refused before RE2 spends time and memory parsing it.
  if (pattern.size() > static_cast<size_t>(max_mem)) {
    ctx.Error(errors::kRegexLongerThanProgram);
    return nullptr;
  }
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(max_mem);
  auto re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    ctx.Error(errors::InvalidRegex(re->error()));
    return nullptr;
  }
  return re;
}

storage::KeyMatch RegexKeyMatcher::operator()(std::string_view key, uint64_t* budget) const {
  uint64_t cost = (key.size() + 1) * static_cast<uint64_t>(std::max(1, re.ProgramSize()));
  if (cost > *budget) return storage::KeyMatch::kOverBudget;
  *budget -= cost;
  return RE2::PartialMatch(re2::StringPiece(key.data(), key.size()), re) ? storage::KeyMatch::kYes
                                                                         : storage::KeyMatch::kNo;
}

uint64_t MatchBudget(const CommandContext& ctx) {
  return static_cast<uint64_t>(ctx.server.config().Int(config::OptionId::kMatchBudget));
}

void WriteObjectInfo(protocol::ReplyWriter& reply, const storage::ObjectInfo& info,
                     int64_t now_ms) {
  auto remaining = [&](int64_t deadline) -> int64_t {
    return deadline > now_ms ? deadline - now_ms : 0;
  };
  reply.Map(8);
  reply.Bulk("size");
  reply.Integer(static_cast<int64_t>(info.size));
  reply.Bulk("version");
  reply.Integer(static_cast<int64_t>(info.version));
  reply.Bulk("checksum");
  reply.Bulk(fmt::format("{:016x}", info.checksum));
  reply.Bulk("ttl");
  reply.Integer(info.expire_at_ms == storage::kNoExpiry ? -1 : remaining(info.expire_at_ms));
  reply.Bulk("lease");
  reply.Integer(remaining(info.lease_until_ms));
  reply.Bulk("soft_pin");
  reply.Integer(remaining(info.soft_pin_until_ms));
  reply.Bulk("hard_pin");
  reply.Integer(info.hard_pin ? 1 : 0);
  reply.Bulk("replicas");
  reply.Array(info.replicas.size());
  for (const auto& r : info.replicas) {
    reply.Map(3);
    reply.Bulk("segment");
    reply.Bulk(r.segment);
    reply.Bulk("kind");
    reply.Bulk(r.kind == storage::ReplicaKind::kMemory ? "memory" : "disk");
    reply.Bulk("state");
    switch (r.state) {
      case storage::ReplicaState::kInitialized: reply.Bulk("INITIALIZED"); break;
      case storage::ReplicaState::kProcessing: reply.Bulk("PROCESSING"); break;
      case storage::ReplicaState::kComplete: reply.Bulk("COMPLETE"); break;
      case storage::ReplicaState::kFailed: reply.Bulk("FAILED"); break;
      case storage::ReplicaState::kRemoved: reply.Bulk("REMOVED"); break;
    }
  }
}

}  // namespace crescent::server
