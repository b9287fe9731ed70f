// Keyspace commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN, RANDOMKEY, RENAME,
// RENAMENX, COPY and the TTL family, with Redis 7's replies and errors.
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/glob.h"
#include "server/command.h"
#include "server/commands/parse.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/store.h"

namespace crescent::server {

namespace {

using storage::CurrentValue;
using storage::kNoExpiry;
using storage::UpdateDecision;

void Del(CommandContext& ctx) {
  int64_t removed = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) removed += ctx.store.Remove(ctx.args[i]) ? 1 : 0;
  ctx.reply.Integer(removed);
}

void Exists(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) found += ctx.store.Exists(ctx.args[i]) ? 1 : 0;
  ctx.reply.Integer(found);
}

// TOUCH counts as a use of each key (OBJECT IDLETIME restarts), as in Redis; EXISTS
// does not.
void Touch(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) found += ctx.store.Touch(ctx.args[i]) ? 1 : 0;
  ctx.reply.Integer(found);
}

void Type(CommandContext& ctx) {
  ctx.reply.SimpleString(ctx.store.Exists(ctx.args[1]) ? "string" : "none");
}

// What one KEYS or SCAN may spend on glob steps (match-budget).
uint64_t GlobBudget(const CommandContext& ctx) {
  return static_cast<uint64_t>(ctx.server.config().Int(config::OptionId::kMatchBudget));
}

// KEYS is a walk (see Store): a snapshot per slice rather than Redis's atomic one, the
// glob run with no lock held and its steps bounded by match-budget.
void Keys(CommandContext& ctx) {
  std::string_view pattern = ctx.args[1];
  auto keys = ctx.store.MatchKeys(
      [&](std::string_view key, uint64_t* budget) {
        auto m = GlobMatchBounded(pattern, key, budget);
        if (!m) return storage::KeyMatch::kOverBudget;
        return *m ? storage::KeyMatch::kYes : storage::KeyMatch::kNo;
      },
      GlobBudget(ctx));
  if (!keys.ok()) return ctx.Error(keys.status());
  ctx.reply.Array(keys->size());
  for (const auto& m : *keys) ctx.reply.Bulk(m.key);
}

void Scan(CommandContext& ctx) {
  // Redis reads the cursor with strtoull: digits only, any value up to 2^64-1.
  std::string_view text = ctx.args[1];
  uint64_t cursor = 0;
  bool valid = !text.empty() && text.size() <= 20;
  for (char c : text) {
    if (c < '0' || c > '9') valid = false;
  }
  if (valid) {
    char* end = nullptr;
    std::string copy(text);
    errno = 0;
    cursor = std::strtoull(copy.c_str(), &end, 10);
    valid = errno == 0;
  }
  if (!valid) return ctx.Error(errors::kInvalidCursor);

  std::optional<std::string_view> pattern;
  std::optional<std::string_view> type;
  int64_t count = 10;
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    if (i + 1 >= ctx.args.size()) return ctx.Error(errors::kSyntax);
    std::string_view option = ctx.args[i];
    if (EqualsIgnoreCase(option, "MATCH")) {
      pattern = ctx.args[i + 1];
    } else if (EqualsIgnoreCase(option, "COUNT")) {
      auto v = ParseInt64(ctx.args[i + 1]);
      if (!v) return ctx.Error(errors::kNotInteger);
      if (*v < 1) return ctx.Error(errors::kSyntax);
      count = *v;
    } else if (EqualsIgnoreCase(option, "TYPE")) {
      type = ctx.args[i + 1];
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  bool type_matches = !type || EqualsIgnoreCase(*type, "string");
  bool match_all = !pattern || *pattern == "*";
  std::vector<std::string> keys;
  uint64_t budget = GlobBudget(ctx);
  bool over_budget = false;
  uint64_t next = ctx.store.Scan(cursor, static_cast<size_t>(count), [&](std::string_view key) {
    if (!type_matches || over_budget) return;
    if (match_all) {
      keys.emplace_back(key);
      return;
    }
    auto m = GlobMatchBounded(*pattern, key, &budget);
    over_budget = !m;
    if (m && *m) keys.emplace_back(key);
  });
  // A COUNT large enough to cover the keyspace makes SCAN a KEYS: the same bound.
  if (over_budget) return ctx.Error(Status(StatusCode::kOverBudget));
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.Array(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

void RandomKey(CommandContext& ctx) {
  auto key = ctx.store.RandomKey();
  if (!key) return ctx.reply.Null();
  ctx.reply.Bulk(*key);
}

void Rename(CommandContext& ctx) {
  auto r = ctx.store.Rename(ctx.args[1], ctx.args[2], false);
  if (r == storage::Store::RenameResult::kNoSuchKey) return ctx.Error(errors::kNoSuchKey);
  if (r == storage::Store::RenameResult::kOutOfMemory) return ctx.Error(Status(StatusCode::kOutOfMemory));
  ctx.reply.Ok();
}

void RenameNx(CommandContext& ctx) {
  auto r = ctx.store.Rename(ctx.args[1], ctx.args[2], true);
  if (r == storage::Store::RenameResult::kNoSuchKey) return ctx.Error(errors::kNoSuchKey);
  if (r == storage::Store::RenameResult::kOutOfMemory) return ctx.Error(Status(StatusCode::kOutOfMemory));
  ctx.reply.Integer(r == storage::Store::RenameResult::kRenamed ? 1 : 0);
}

enum class TtlOutput { kSeconds, kMilliseconds, kUnixSeconds, kUnixMilliseconds };

void TtlGeneric(CommandContext& ctx, TtlOutput output) {
  auto expiry = ctx.store.GetExpiry(ctx.args[1]);
  if (!expiry) return ctx.reply.Integer(-2);
  if (*expiry == kNoExpiry) return ctx.reply.Integer(-1);
  int64_t remaining = std::max<int64_t>(0, *expiry - ctx.now_ms);
  switch (output) {
    case TtlOutput::kSeconds:
      return ctx.reply.Integer((remaining + 500) / 1000);
    case TtlOutput::kMilliseconds:
      return ctx.reply.Integer(remaining);
    case TtlOutput::kUnixSeconds:
      return ctx.reply.Integer(*expiry / 1000);
    case TtlOutput::kUnixMilliseconds:
      return ctx.reply.Integer(*expiry);
  }
}

void Ttl(CommandContext& ctx) { TtlGeneric(ctx, TtlOutput::kSeconds); }
void PTtl(CommandContext& ctx) { TtlGeneric(ctx, TtlOutput::kMilliseconds); }
void ExpireTime(CommandContext& ctx) { TtlGeneric(ctx, TtlOutput::kUnixSeconds); }
void PExpireTime(CommandContext& ctx) { TtlGeneric(ctx, TtlOutput::kUnixMilliseconds); }

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX / XX / GT / LT, as Redis 7.
// As Redis, the options are checked before the time is read.
void ExpireGeneric(CommandContext& ctx, bool seconds, bool relative) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "NX")) {
      nx = true;
    } else if (EqualsIgnoreCase(a, "XX")) {
      xx = true;
    } else if (EqualsIgnoreCase(a, "GT")) {
      gt = true;
    } else if (EqualsIgnoreCase(a, "LT")) {
      lt = true;
    } else {
      return ctx.Error(errors::ExpireUnsupportedOption(a));
    }
  }
  if (nx && (xx || gt || lt)) {
    return ctx.Error(errors::kExpireNxConflict);
  }
  if (gt && lt) return ctx.Error(errors::kExpireGtLtConflict);
  auto when = ParseInt64(ctx.args[2]);
  if (!when) return ctx.Error(errors::kNotInteger);

  int64_t deadline = *when;
  if (seconds) {
    if (deadline > INT64_MAX / 1000 || deadline < INT64_MIN / 1000) {
      return ctx.Error(errors::InvalidExpireTime(ctx.full_name));
    }
    deadline *= 1000;
  }
  if (relative) {
    if ((deadline > 0 && deadline > INT64_MAX - ctx.now_ms) ||
        (deadline < 0 && deadline < INT64_MIN + ctx.now_ms)) {
      return ctx.Error(errors::InvalidExpireTime(ctx.full_name));
    }
    deadline += ctx.now_ms;
  }
  bool applied = false;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    applied = false;
    if (!current.exists) return d;
    bool has_ttl = current.expire_at_ms != kNoExpiry;
    if (nx && has_ttl) return d;
    if (xx && !has_ttl) return d;
    if (gt && (!has_ttl || deadline <= current.expire_at_ms)) return d;
    if (lt && has_ttl && deadline >= current.expire_at_ms) return d;
    applied = true;
    if (deadline <= ctx.now_ms) {
      d.value = UpdateDecision::Value::kDelete;
    } else {
      d.ttl = UpdateDecision::Ttl::kSet;
      d.expire_at_ms = deadline;
    }
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  ctx.reply.Integer(applied ? 1 : 0);
}

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, true, true); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, false, true); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, true, false); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, false, false); }

void Persist(CommandContext& ctx) {
  bool removed = false;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    removed = current.exists && current.expire_at_ms != kNoExpiry;
    if (removed) d.ttl = UpdateDecision::Ttl::kClear;
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  ctx.reply.Integer(removed ? 1 : 0);
}

// COPY source destination [DB destination-db] [REPLACE]. Only DB 0 exists. The source's
// value and TTL are read together under its shard lock (an Update that keeps everything),
// then written to the destination with that TTL; an object's pins and lease are not
// copied. The two keys are not locked together: a write to the source between the two
// steps is ordered after the copy.
void Copy(CommandContext& ctx) {
  bool replace = false;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view a = ctx.args[j];
    if (EqualsIgnoreCase(a, "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(a, "DB") && j + 1 < ctx.args.size()) {
      auto db = ParseInt64(ctx.args[++j]);
      if (!db) return ctx.Error(errors::kNotInteger);
      if (*db < INT32_MIN || *db > INT32_MAX) return ctx.Error(errors::kNotInt32);
      if (*db != 0) return ctx.Error(errors::kDbIndexOutOfRange);
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  std::string_view src = ctx.args[1], dst = ctx.args[2];
  if (src == dst) return ctx.Error(errors::kSameObject);

  std::optional<std::string> value;
  int64_t expire_at_ms = kNoExpiry;
  Status s = ctx.store.Update(src, [&](const CurrentValue& current) {
    value.reset();
    if (current.exists) {
      value.emplace(current.value);
      expire_at_ms = current.expire_at_ms;
    }
    return UpdateDecision{};  // keeps the key as it is
  });
  if (!s.ok()) return ctx.Error(s);
  if (!value) return ctx.reply.Integer(0);

  auto prepared = ctx.store.Prepare(*value);
  if (!prepared.ok()) return ctx.Error(prepared.status());
  bool copied = false;
  s = ctx.store.Update(dst, [&](const CurrentValue& current) {
    UpdateDecision d;
    copied = !current.exists || replace;
    if (!copied) return d;
    d.value = UpdateDecision::Value::kWritePrepared;
    d.prepared = &prepared.value();
    if (expire_at_ms == kNoExpiry) {
      d.ttl = UpdateDecision::Ttl::kClear;
    } else {
      d.ttl = UpdateDecision::Ttl::kSet;  // already past: the copy is gone too
      d.expire_at_ms = expire_at_ms;
    }
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  ctx.reply.Integer(copied ? 1 : 0);
}

constexpr uint32_t kR = kCmdRead;
constexpr uint32_t kW = kCmdWrite;
// RENAME moves the value under a new key, whose node is allocated in the pool: unlike
// Redis's, it can find no room (and then fails with OOM), so it is deny-oom here.
constexpr uint32_t kRename = kW | kCmdDenyOom;

const CommandSpec kCommands[] = {
    {"copy", -3, kW | kCmdDenyOom, 1, 2, 1, Copy, "generic", "Copies the value of a key to a new key.", "6.2.0"},
    {"del", -2, kW, 1, -1, 1, Del, "generic", "Deletes one or more keys.", "1.0.0"},
    {"exists", -2, kR | kCmdFast, 1, -1, 1, Exists, "generic", "Determines whether one or more keys exist.", "1.0.0"},
    {"expire", -3, kW | kCmdFast, 1, 1, 1, Expire, "generic", "Sets the expiration time of a key in seconds.", "1.0.0"},
    {"expireat", -3, kW | kCmdFast, 1, 1, 1, ExpireAt, "generic", "Sets the expiration time of a key to a Unix timestamp.", "1.2.0"},
    {"expiretime", 2, kR | kCmdFast, 1, 1, 1, ExpireTime, "generic", "Returns the expiration time of a key as a Unix timestamp.", "7.0.0"},
    {"keys", 2, kR, 0, 0, 0, Keys, "generic", "Returns all key names that match a pattern.", "1.0.0"},
    {"persist", 2, kW | kCmdFast, 1, 1, 1, Persist, "generic", "Removes the expiration time of a key.", "2.2.0"},
    {"pexpire", -3, kW | kCmdFast, 1, 1, 1, PExpire, "generic", "Sets the expiration time of a key in milliseconds.", "2.6.0"},
    {"pexpireat", -3, kW | kCmdFast, 1, 1, 1, PExpireAt, "generic", "Sets the expiration time of a key to a Unix milliseconds timestamp.", "2.6.0"},
    {"pexpiretime", 2, kR | kCmdFast, 1, 1, 1, PExpireTime, "generic", "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0"},
    {"pttl", 2, kR | kCmdFast, 1, 1, 1, PTtl, "generic", "Returns the expiration time in milliseconds of a key.", "2.6.0"},
    {"randomkey", 1, kR, 0, 0, 0, RandomKey, "generic", "Returns a random key name from the database.", "1.0.0"},
    {"rename", 3, kRename, 1, 2, 1, Rename, "generic", "Renames a key and overwrites the destination.", "1.0.0"},
    {"renamenx", 3, kRename | kCmdFast, 1, 2, 1, RenameNx, "generic", "Renames a key only when the target key name doesn't exist.", "1.0.0"},
    {"scan", -2, kR, 0, 0, 0, Scan, "generic", "Iterates over the key names in the database.", "2.8.0"},
    {"touch", -2, kR | kCmdFast, 1, -1, 1, Touch, "generic", "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "3.2.1"},
    {"ttl", 2, kR | kCmdFast, 1, 1, 1, Ttl, "generic", "Returns the expiration time in seconds of a key.", "1.0.0"},
    {"type", 2, kR | kCmdFast, 1, 1, 1, Type, "generic", "Determines the type of value stored at a key.", "1.0.0"},
    {"unlink", -2, kW | kCmdFast, 1, -1, 1, Del, "generic", "Asynchronously deletes one or more keys.", "4.0.0"},
};

}  // namespace

std::span<const CommandSpec> KeyspaceCommands() { return kCommands; }

}  // namespace crescent::server
