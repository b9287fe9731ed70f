// Mooncake Store's object commands over RESP: PUT, UPSERT, BATCHPUT, BATCHGET, EXIST,
// BATCHEXIST, QUERY, BATCHQUERY, QUERYREGEX, REMOVE, BATCHREMOVE, REMOVEREGEX,
// REMOVEALL, GETSIZE. Errors carry Mooncake's error names as their code; a miss is a
// nil (or 0), never an error. Reply shapes are documented in docs/design.md.
#include <fmt/format.h>

#include "server/client.h"
#include "server/command.h"
#include "server/commands/object_args.h"
#include "server/commands/parse.h"
#include "server/commands/reply_value.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/store.h"

namespace crescent::server {

namespace {

using errors::ErrorStyle;

// An error for one element of a batch reply: counted, but the call itself succeeds.
void ItemError(CommandContext& ctx, const Status& status) {
  std::string text = errors::ErrorText(status, ErrorStyle::kObject);
  ctx.reply.Error(text);
  ctx.server.stats().CountError(std::string_view(text).substr(0, text.find(' ')));
}

void PutGeneric(CommandContext& ctx, bool overwrite) {
  storage::PutOptions options;
  options.overwrite = overwrite;
  if (!ParsePutOptions(ctx, ctx.args.subspan(3), &options)) return;
  // A large value may already be in the store, read there straight from the socket; it
  // landed before PREFER was known, so a preference means placing it again.
  std::optional<storage::PreparedValue> received = ctx.client.TakeReceived(ctx.args[2]);
  Status s;
  if (received && options.config.preferred_segments.empty()) {
    ctx.store.CompleteReplicas(&*received, options.config);
    s = ctx.store.CommitObject(ctx.args[1], &*received, options);
  } else {
    s = ctx.store.PutObject(ctx.args[1], ctx.args[2], options);
  }
  if (!s.ok()) return ctx.Error(errors::ErrorText(s, ErrorStyle::kObject));
  ctx.reply.Ok();
}

void Put(CommandContext& ctx) { PutGeneric(ctx, false); }
void Upsert(CommandContext& ctx) { PutGeneric(ctx, true); }

// BATCHPUT numkeys key value [key value ...] [options]: the count keeps keys apart from
// option names. Replies with one result per key.
void BatchPut(CommandContext& ctx) {
  auto n = ParseInt64(ctx.args[1]);
  if (!n || *n < 1) return ctx.Error(errors::kNumKeysNotPositive);
  size_t count = static_cast<size_t>(*n);
  if (count > (ctx.args.size() - 2) / 2) {
    return ctx.Error(errors::kNumKeysTooLarge);
  }
  storage::PutOptions options;
  options.overwrite = false;
  if (!ParsePutOptions(ctx, ctx.args.subspan(2 + 2 * count), &options)) return;
  ctx.reply.Array(count);
  for (size_t i = 0; i < count; ++i) {
    Status s = ctx.store.PutObject(ctx.args[2 + 2 * i], ctx.args[3 + 2 * i], options);
    if (s.ok()) {
      ctx.reply.Ok();
    } else {
      ItemError(ctx, s);
    }
  }
}

void BatchGet(CommandContext& ctx) {
  ctx.reply.Array(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    bool found = ctx.store.Get(ctx.args[i], [&](const storage::ValueView& v) {
      ReplyValue(ctx.reply, v);
    });
    if (!found) ctx.reply.Null();
  }
}

void Exist(CommandContext& ctx) { ctx.reply.Integer(ctx.store.Exists(ctx.args[1], true) ? 1 : 0); }

void BatchExist(CommandContext& ctx) {
  ctx.reply.Array(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.reply.Integer(ctx.store.Exists(ctx.args[i], true) ? 1 : 0);
  }
}

void Query(CommandContext& ctx) {
  auto info = ctx.store.Query(ctx.args[1]);
  if (!info) return ctx.reply.Null();
  WriteObjectInfo(ctx.reply, *info, ctx.now_ms);
}

void BatchQuery(CommandContext& ctx) {
  ctx.reply.Array(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    auto info = ctx.store.Query(ctx.args[i]);
    if (info) {
      WriteObjectInfo(ctx.reply, *info, ctx.now_ms);
    } else {
      ctx.reply.Null();
    }
  }
}

// QUERYREGEX pattern: every object whose key the pattern matches (anywhere in the key,
// as a search), as a map of key to metadata. Grants no leases. The walk is a snapshot
// per slice (see Store), matched with no lock held, within match-budget.
void QueryRegex(CommandContext& ctx) {
  auto re = CompileKeyPattern(ctx, ctx.args[1]);
  if (!re) return;
  auto keys = ctx.store.MatchKeys(RegexKeyMatcher{*re}, MatchBudget(ctx));
  if (!keys.ok()) return ctx.Error(errors::ErrorText(keys.status(), ErrorStyle::kObject));
  std::vector<std::pair<std::string, storage::ObjectInfo>> found;
  for (auto& m : *keys) {
    if (auto info = ctx.store.Query(m.key, false)) found.emplace_back(std::move(m.key), std::move(*info));
  }
  ctx.reply.Map(found.size());
  for (const auto& [key, info] : found) {
    ctx.reply.Bulk(key);
    WriteObjectInfo(ctx.reply, info, ctx.now_ms);
  }
}

// The optional FORCE that closes REMOVE, REMOVEREGEX and REMOVEALL: args[at], if there
// is one, must be FORCE and must be the last argument. Replies and returns false if not.
bool ParseTrailingForce(CommandContext& ctx, size_t at, bool* force) {
  *force = false;
  if (ctx.args.size() <= at) return true;
  if (ctx.args.size() > at + 1 || !EqualsIgnoreCase(ctx.args[at], "FORCE")) {
    ctx.Error(errors::kSyntax);
    return false;
  }
  *force = true;
  return true;
}

void Remove(CommandContext& ctx) {
  bool force = false;
  if (!ParseTrailingForce(ctx, 2, &force)) return;
  Status s = ctx.store.RemoveObject(ctx.args[1], force);
  if (s.code() == StatusCode::kNotFound) return ctx.reply.Integer(0);
  if (!s.ok()) return ctx.Error(errors::ErrorText(s, ErrorStyle::kObject));
  ctx.reply.Integer(1);
}

// BATCHREMOVE [FORCE] key [key ...]: one result per key (1, 0 or an error). A lone
// FORCE is a key named FORCE, since at least one key is required.
void BatchRemove(CommandContext& ctx) {
  bool force = EqualsIgnoreCase(ctx.args[1], "FORCE") && ctx.args.size() > 2;
  size_t first = force ? 2 : 1;
  ctx.reply.Array(ctx.args.size() - first);
  for (size_t i = first; i < ctx.args.size(); ++i) {
    Status s = ctx.store.RemoveObject(ctx.args[i], force);
    if (s.ok()) {
      ctx.reply.Integer(1);
    } else if (s.code() == StatusCode::kNotFound) {
      ctx.reply.Integer(0);
    } else {
      ItemError(ctx, s);
    }
  }
}

// REMOVEREGEX pattern [FORCE]: matches every key first, then removes the matched keys
// that still hold the value they were matched with; a key re-written meanwhile by
// another client stays. Past match-budget it fails and removes nothing.
void RemoveRegex(CommandContext& ctx) {
  bool force = false;
  if (!ParseTrailingForce(ctx, 2, &force)) return;
  auto re = CompileKeyPattern(ctx, ctx.args[1]);
  if (!re) return;
  auto removed = ctx.store.RemoveMatching(RegexKeyMatcher{*re}, MatchBudget(ctx), force);
  if (!removed.ok()) return ctx.Error(errors::ErrorText(removed.status(), ErrorStyle::kObject));
  ctx.reply.Integer(static_cast<int64_t>(*removed));
}

// REMOVEALL [FORCE]: matches nothing, so no budget; removed a slice per lock hold.
void RemoveAll(CommandContext& ctx) {
  bool force = false;
  if (!ParseTrailingForce(ctx, 1, &force)) return;
  ctx.reply.Integer(static_cast<int64_t>(ctx.store.RemoveAll(force)));
}

void GetSize(CommandContext& ctx) {
  auto info = ctx.store.Query(ctx.args[1], false);  // metadata only: no disk read
  if (!info) return ctx.reply.Null();
  ctx.reply.Integer(static_cast<int64_t>(info->size));
}

constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
constexpr uint32_t kR = kCmdRead;

const CommandSpec kCommands[] = {
    {"batchexist", -2, kR | kCmdFast, 1, -1, 1, BatchExist, "object", "Tells for each key whether its object exists, leasing those that do.", "0.1.0"},
    {"batchget", -2, kR, 1, -1, 1, BatchGet, "object", "Returns the values of several objects, leasing them.", "0.1.0"},
    {"batchput", -4, kW, 2, -1, 2, BatchPut, "object", "Puts several objects (never overwriting) with one replicate config.", "0.1.0"},
    {"batchquery", -2, kR, 1, -1, 1, BatchQuery, "object", "Returns the metadata of several objects.", "0.1.0"},
    {"batchremove", -2, kCmdWrite, 1, -1, 1, BatchRemove, "object", "Removes several objects; leased ones only with FORCE.", "0.1.0"},
    {"exist", 2, kR | kCmdFast, 1, 1, 1, Exist, "object", "Tells whether an object exists, leasing it if it does.", "0.1.0"},
    {"getsize", 2, kR | kCmdFast, 1, 1, 1, GetSize, "object", "Returns the size of an object's value.", "0.1.0"},
    {"put", -3, kW, 1, 1, 1, Put, "object", "Puts an object; fails with OBJECT_ALREADY_EXISTS if it exists.", "0.1.0"},
    {"query", 2, kR, 1, 1, 1, Query, "object", "Returns an object's metadata and replicas, leasing it.", "0.1.0"},
    {"queryregex", 2, kR, 0, 0, 0, QueryRegex, "object", "Returns the metadata of every object whose key matches a regular expression.", "0.1.0"},
    {"remove", -2, kCmdWrite, 1, 1, 1, Remove, "object", "Removes an object; a leased one only with FORCE.", "0.1.0"},
    {"removeall", -1, kCmdWrite, 0, 0, 0, RemoveAll, "object", "Removes every object; leased ones only with FORCE.", "0.1.0"},
    {"removeregex", -2, kCmdWrite, 0, 0, 0, RemoveRegex, "object", "Removes every object whose key matches a regular expression.", "0.1.0"},
    {"upsert", -3, kW, 1, 1, 1, Upsert, "object", "Puts an object, replacing it if it exists.", "0.1.0"},
};

}  // namespace

std::span<const CommandSpec> ObjectCommands() { return kCommands; }

}  // namespace crescent::server
