// String commands: SET and its variants, GET and its variants, MSET/MGET, APPEND,
// GETRANGE/SETRANGE, INCR/DECR, INCRBYFLOAT and LCS, with Redis 7's replies and errors.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/lcs.h"
#include "server/client.h"
#include "server/command.h"
#include "server/commands/expire_args.h"
#include "server/commands/parse.h"
#include "server/commands/reply_value.h"
#include "server/commands/value_snapshot.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/store.h"

namespace crescent::server {

namespace {

using storage::CurrentValue;
using storage::UpdateDecision;
using V = UpdateDecision::Value;
using Ttl = UpdateDecision::Ttl;

size_t MaxStringSize(CommandContext& ctx) {
  return static_cast<size_t>(ctx.server.config().Int(config::OptionId::kProtoMaxBulkLen));
}

// SET's options, parsed completely before anything is written.
struct SetOptions {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keep_ttl = false;
  std::optional<int64_t> expire_at_ms;
};

// EX / PX / EXAT / PXAT, or nothing.
std::optional<ExpireUnit> ExpireOption(std::string_view a) {
  if (EqualsIgnoreCase(a, "EX")) return ExpireUnit::kSeconds;
  if (EqualsIgnoreCase(a, "PX")) return ExpireUnit::kMilliseconds;
  if (EqualsIgnoreCase(a, "EXAT")) return ExpireUnit::kUnixSeconds;
  if (EqualsIgnoreCase(a, "PXAT")) return ExpireUnit::kUnixMilliseconds;
  return std::nullopt;
}

// Parses args[first..] as SET options; replies and returns false on error. As Redis 7.0:
// the syntax of every option is checked before the expiry's value is read (`EX abc junk`
// is a syntax error, `EX abc` is not an integer); one expiry option may be repeated, the
// last one counting, but two different ones conflict, as NX and XX do.
bool ParseSetOptions(CommandContext& ctx, size_t first, SetOptions* out) {
  bool have_expire = false;
  ExpireUnit unit = ExpireUnit::kSeconds;
  std::string_view expire_value;
  for (size_t i = first; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(a, "NX") && !out->xx) {
      out->nx = true;
    } else if (EqualsIgnoreCase(a, "XX") && !out->nx) {
      out->xx = true;
    } else if (EqualsIgnoreCase(a, "GET")) {
      out->get = true;
    } else if (EqualsIgnoreCase(a, "KEEPTTL") && !have_expire) {
      out->keep_ttl = true;
    } else if (!out->keep_ttl && has_next && ExpireOption(a) &&
               (!have_expire || *ExpireOption(a) == unit)) {
      unit = *ExpireOption(a);
      have_expire = true;
      expire_value = ctx.args[++i];
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  if (have_expire) {
    auto parsed = ParseExpire(expire_value, unit, ctx.now_ms, "set");
    if (!parsed.expire_at_ms) {
      ctx.Error(parsed.error);
      return false;
    }
    out->expire_at_ms = parsed.expire_at_ms;
  }
  return true;
}

// The common path of SET, SETNX, SETEX, PSETEX and GETSET. Replies with `reply_applied`
// semantics chosen by the caller through the returned flags.
struct SetResult {
  bool ok = false;       // false: an error was already sent
  bool applied = false;  // the value was written
  bool existed = false;
  std::optional<std::string> old_value;
};

SetResult DoSet(CommandContext& ctx, std::string_view key, std::string_view value,
                const SetOptions& options) {
  SetResult result;
  // A large value may already be in the store, read there straight from the socket.
  std::optional<storage::PreparedValue> received = ctx.client.TakeReceived(value);
  StatusOr<storage::PreparedValue> prepared =
      received ? StatusOr<storage::PreparedValue>(std::move(*received)) : ctx.store.Prepare(value);
  if (!prepared.ok()) {
    ctx.Error(prepared.status());
    return result;
  }
  Status s = ctx.store.Update(key, [&](const CurrentValue& current) {
    UpdateDecision d;
    result.existed = current.exists;
    result.applied = false;
    if (options.get && current.exists) result.old_value.emplace(current.value);
    if ((options.nx && current.exists) || (options.xx && !current.exists)) return d;
    result.applied = true;
    d.value = V::kWritePrepared;
    d.prepared = &prepared.value();
    if (options.expire_at_ms) {
      d.ttl = Ttl::kSet;
      d.expire_at_ms = *options.expire_at_ms;
    } else {
      d.ttl = options.keep_ttl ? Ttl::kKeep : Ttl::kClear;
    }
    return d;
  });
  if (!s.ok()) {
    ctx.Error(s);
    return result;
  }
  result.ok = true;
  return result;
}

void Set(CommandContext& ctx) {
  SetOptions options;
  if (!ParseSetOptions(ctx, 3, &options)) return;
  SetResult r = DoSet(ctx, ctx.args[1], ctx.args[2], options);
  if (!r.ok) return;
  if (options.get) {
    if (r.old_value) return ctx.reply.Bulk(*r.old_value);
    return ctx.reply.Null();
  }
  if (!r.applied) return ctx.reply.Null();
  ctx.reply.Ok();
}

void SetNx(CommandContext& ctx) {
  SetOptions options;
  options.nx = true;
  SetResult r = DoSet(ctx, ctx.args[1], ctx.args[2], options);
  if (r.ok) ctx.reply.Integer(r.applied ? 1 : 0);
}

void SetExpiring(CommandContext& ctx, ExpireUnit unit, std::string_view name) {
  SetOptions options;
  auto parsed = ParseExpire(ctx.args[2], unit, ctx.now_ms, name);
  if (!parsed.expire_at_ms) return ctx.Error(parsed.error);
  options.expire_at_ms = parsed.expire_at_ms;
  SetResult r = DoSet(ctx, ctx.args[1], ctx.args[3], options);
  if (r.ok) ctx.reply.Ok();
}

void SetEx(CommandContext& ctx) { SetExpiring(ctx, ExpireUnit::kSeconds, "setex"); }
void PSetEx(CommandContext& ctx) { SetExpiring(ctx, ExpireUnit::kMilliseconds, "psetex"); }

void GetSet(CommandContext& ctx) {
  SetOptions options;
  options.get = true;
  SetResult r = DoSet(ctx, ctx.args[1], ctx.args[2], options);
  if (!r.ok) return;
  if (r.old_value) return ctx.reply.Bulk(*r.old_value);
  ctx.reply.Null();
}

void Get(CommandContext& ctx) {
  bool found = ctx.store.Get(ctx.args[1], [&](const storage::ValueView& v) {
    ReplyValue(ctx.reply, v);
  });
  if (!found) ctx.reply.Null();
}

void GetDel(CommandContext& ctx) {
  std::optional<std::string> old;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    if (current.exists) {
      old.emplace(current.value);
      d.value = V::kDelete;
    }
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  if (!old) return ctx.reply.Null();
  ctx.reply.Bulk(*old);
}

void GetEx(CommandContext& ctx) {
  std::optional<int64_t> expire_at;
  bool persist = false;
  std::optional<ExpireUnit> unit;
  std::string_view expire_value;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    // PERSIST or one expiry option, which may be repeated (the last one counts), as
    // Redis 7.0 takes them.
    if (EqualsIgnoreCase(a, "PERSIST") && !unit) {
      persist = true;
    } else if (!persist && has_next && ExpireOption(a) && (!unit || *ExpireOption(a) == *unit)) {
      unit = ExpireOption(a);
      expire_value = ctx.args[++i];
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if (unit) {  // read once the syntax is known good, as SET does
    auto parsed = ParseExpire(expire_value, *unit, ctx.now_ms, "getex");
    if (!parsed.expire_at_ms) return ctx.Error(parsed.error);
    expire_at = parsed.expire_at_ms;
  }
  std::optional<std::string> value;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    if (!current.exists) return d;
    value.emplace(current.value);
    if (expire_at) {
      d.ttl = Ttl::kSet;
      d.expire_at_ms = *expire_at;
    } else if (persist) {
      d.ttl = Ttl::kClear;
    }
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  if (!value) return ctx.reply.Null();
  ctx.reply.Bulk(*value);
}

void MSetGeneric(CommandContext& ctx, bool only_if_none_exist) {
  if (ctx.args.size() % 2 == 0) return ctx.Error(errors::WrongArity(ctx.full_name));
  std::vector<std::string_view> keys;
  std::vector<storage::PreparedValue> values;
  keys.reserve(ctx.args.size() / 2);
  values.reserve(ctx.args.size() / 2);
  for (size_t i = 1; i < ctx.args.size(); i += 2) {
    auto prepared = ctx.store.Prepare(ctx.args[i + 1]);
    if (!prepared.ok()) return ctx.Error(prepared.status());
    keys.push_back(ctx.args[i]);
    values.push_back(std::move(prepared).value());
  }
  auto applied = ctx.store.MultiSet(keys, values, only_if_none_exist);
  if (!applied.ok()) return ctx.Error(applied.status());
  if (only_if_none_exist) return ctx.reply.Integer(*applied ? 1 : 0);
  ctx.reply.Ok();
}

void MSet(CommandContext& ctx) { MSetGeneric(ctx, false); }
void MSetNx(CommandContext& ctx) { MSetGeneric(ctx, true); }

void MGet(CommandContext& ctx) {
  ctx.reply.Array(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    bool found = ctx.store.Get(ctx.args[i], [&](const storage::ValueView& v) {
      ReplyValue(ctx.reply, v);
    });
    if (!found) ctx.reply.Null();
  }
}

void StrLen(CommandContext& ctx) {
  size_t len = 0;
  ctx.store.Get(ctx.args[1], [&](const storage::ValueView& v) { len = v.bytes().size(); });
  ctx.reply.Integer(static_cast<int64_t>(len));
}

void Append(CommandContext& ctx) {
  std::string_view suffix = ctx.args[2];
  size_t max = MaxStringSize(ctx);
  std::string joined;
  size_t new_len = 0;
  bool too_large = false;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    new_len = current.value.size() + suffix.size();
    if (current.exists && new_len > max) {
      too_large = true;
      return d;
    }
    joined.assign(current.value);
    joined.append(suffix);
    d.value = V::kWrite;
    d.new_value = joined;
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  if (too_large) return ctx.Error(errors::kStringTooLong);
  ctx.reply.Integer(static_cast<int64_t>(new_len));
}

void GetRange(CommandContext& ctx) {
  auto start = ParseInt64(ctx.args[2]);
  auto end = ParseInt64(ctx.args[3]);
  if (!start || !end) return ctx.Error(errors::kNotInteger);
  bool found = ctx.store.Get(ctx.args[1], [&](const storage::ValueView& v) {
    int64_t s = *start, e = *end;
    int64_t len = static_cast<int64_t>(v.bytes().size());
    if (s < 0 && e < 0 && s > e) return ctx.reply.Bulk("");
    if (s < 0) s = len + s;
    if (e < 0) e = len + e;
    if (s < 0) s = 0;
    if (e < 0) e = 0;
    if (e >= len) e = len - 1;
    if (s > e || len == 0) return ctx.reply.Bulk("");
    ctx.reply.Bulk(v.bytes().substr(static_cast<size_t>(s), static_cast<size_t>(e - s + 1)));
  });
  if (!found) ctx.reply.Bulk("");
}

void SetRange(CommandContext& ctx) {
  auto offset = ParseInt64(ctx.args[2]);
  if (!offset) return ctx.Error(errors::kNotInteger);
  if (*offset < 0) return ctx.Error(errors::kOffsetOutOfRange);
  std::string_view patch = ctx.args[3];
  size_t max = MaxStringSize(ctx);
  size_t off = static_cast<size_t>(*offset);
  bool too_large = false;
  size_t result_len = 0;
  std::string updated;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    too_large = false;
    result_len = current.value.size();
    if (patch.empty()) return d;  // nothing to write, nothing created
    if (off + patch.size() > max) {
      too_large = true;
      return d;
    }
    updated.assign(current.value);
    if (updated.size() < off + patch.size()) updated.resize(off + patch.size(), '\0');
    std::memcpy(updated.data() + off, patch.data(), patch.size());
    result_len = updated.size();
    d.value = V::kWrite;
    d.new_value = updated;
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  if (too_large) return ctx.Error(errors::kStringTooLong);
  ctx.reply.Integer(static_cast<int64_t>(result_len));
}

void IncrBy(CommandContext& ctx, int64_t increment) {
  std::string_view error;
  int64_t result = 0;
  char digits[24];
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    error = {};
    int64_t value = 0;
    if (current.exists) {
      auto parsed = ParseInt64(current.value);
      if (!parsed) {
        error = errors::kNotInteger;
        return d;
      }
      value = *parsed;
    }
    if ((increment < 0 && value < 0 && increment < INT64_MIN - value) ||
        (increment > 0 && value > 0 && increment > INT64_MAX - value)) {
      error = errors::kOverflow;
      return d;
    }
    result = value + increment;
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), result);
    d.value = V::kWrite;
    d.new_value = std::string_view(digits, static_cast<size_t>(end - digits));
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  if (!error.empty()) return ctx.Error(error);
  ctx.reply.Integer(result);
}

void Incr(CommandContext& ctx) { IncrBy(ctx, 1); }
void Decr(CommandContext& ctx) { IncrBy(ctx, -1); }

void IncrByCommand(CommandContext& ctx) {
  auto v = ParseInt64(ctx.args[2]);
  if (!v) return ctx.Error(errors::kNotInteger);
  IncrBy(ctx, *v);
}

void DecrByCommand(CommandContext& ctx) {
  auto v = ParseInt64(ctx.args[2]);
  if (!v) return ctx.Error(errors::kNotInteger);
  if (*v == INT64_MIN) return ctx.Error(errors::kDecrementOverflow);
  IncrBy(ctx, -*v);
}

void IncrByFloat(CommandContext& ctx) {
  auto increment = ParseLongDouble(ctx.args[2]);
  if (!increment) return ctx.Error(errors::kNotFloat);
  std::string_view error;
  std::string formatted;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    error = {};
    long double value = 0;
    if (current.exists) {
      auto parsed = ParseLongDouble(current.value);
      if (!parsed) {
        error = errors::kNotFloat;
        return d;
      }
      value = *parsed;
    }
    long double result = value + *increment;
    if (std::isnan(result) || std::isinf(result)) {
      error = errors::kNanOrInfinity;
      return d;
    }
    formatted = FormatLongDouble(result);
    d.value = V::kWrite;
    d.new_value = formatted;
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  if (!error.empty()) return ctx.Error(error);
  ctx.reply.Bulk(formatted);
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]. Missing keys are empty
// strings. The O(len1 * len2) table is built on snapshots, outside the shard locks, and
// refused (as Redis does) when it would take more than proto-max-bulk-len bytes.
void Lcs(CommandContext& ctx) {
  auto a = ValueSnapshot::Read(ctx.store, ctx.args[1]);
  auto b = ValueSnapshot::Read(ctx.store, ctx.args[2]);
  bool want_len = false, want_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    bool has_next = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "IDX")) {
      want_idx = true;
    } else if (EqualsIgnoreCase(opt, "LEN")) {
      want_len = true;
    } else if (EqualsIgnoreCase(opt, "WITHMATCHLEN")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "MINMATCHLEN") && has_next) {
      auto v = ParseInt64(ctx.args[++j]);
      if (!v) return ctx.Error(errors::kNotInteger);
      min_match_len = std::max<int64_t>(*v, 0);
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if (want_idx && want_len) return ctx.Error(errors::kLcsLenWithIdx);
  std::string_view x = a ? a->bytes() : std::string_view();
  std::string_view y = b ? b->bytes() : std::string_view();
  if (x.size() >= UINT32_MAX - 1 || y.size() >= UINT32_MAX - 1) {
    return ctx.Error(errors::kLcsStringTooLong);
  }
  if (LcsTableCells(x.size(), y.size()) * sizeof(uint32_t) > MaxStringSize(ctx)) {
    return ctx.Error(errors::kLcsTableTooLarge);
  }
  LcsResult result = ComputeLcs(x, y, !want_len && !want_idx, want_idx,
                                static_cast<uint64_t>(min_match_len));
  if (want_len) return ctx.reply.Integer(result.length);
  if (!want_idx) return ctx.reply.Bulk(result.subsequence);
  ctx.reply.Map(2);
  ctx.reply.Bulk("matches");
  ctx.reply.Array(result.matches.size());
  for (const LcsMatch& m : result.matches) {
    ctx.reply.Array(with_match_len ? 3 : 2);
    ctx.reply.Array(2);
    ctx.reply.Integer(m.a_start);
    ctx.reply.Integer(m.a_end);
    ctx.reply.Array(2);
    ctx.reply.Integer(m.b_start);
    ctx.reply.Integer(m.b_end);
    if (with_match_len) ctx.reply.Integer(m.length());
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(result.length);
}

constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
constexpr uint32_t kR = kCmdRead;

const CommandSpec kCommands[] = {
    {"append", 3, kW, 1, 1, 1, Append, "string", "Appends a string to the value of a key. Creates the key if it doesn't exist.", "2.0.0"},
    {"decr", 2, kW | kCmdFast, 1, 1, 1, Decr, "string", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0"},
    {"decrby", 3, kW | kCmdFast, 1, 1, 1, DecrByCommand, "string", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "1.0.0"},
    {"get", 2, kR | kCmdFast, 1, 1, 1, Get, "string", "Get the value of a key", "1.0.0"},
    {"getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1, GetDel, "string", "Returns the string value of a key after deleting the key.", "6.2.0"},
    {"getex", -2, kCmdWrite | kCmdFast, 1, 1, 1, GetEx, "string", "Returns the string value of a key after setting its expiration time.", "6.2.0"},
    {"getrange", 4, kR, 1, 1, 1, GetRange, "string", "Returns a substring of the string stored at a key.", "2.4.0"},
    {"getset", 3, kW | kCmdFast, 1, 1, 1, GetSet, "string", "Returns the previous string value of a key after setting it to a new value.", "1.0.0"},
    {"incr", 2, kW | kCmdFast, 1, 1, 1, Incr, "string", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0"},
    {"incrby", 3, kW | kCmdFast, 1, 1, 1, IncrByCommand, "string", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "1.0.0"},
    {"incrbyfloat", 3, kW | kCmdFast, 1, 1, 1, IncrByFloat, "string", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "2.6.0"},
    {"lcs", -3, kR, 1, 2, 1, Lcs, "string", "Finds the longest common substring.", "7.0.0"},
    {"mget", -2, kR | kCmdFast, 1, -1, 1, MGet, "string", "Atomically returns the string values of one or more keys.", "1.0.0"},
    {"mset", -3, kW, 1, -1, 2, MSet, "string", "Atomically creates or modifies the string values of one or more keys.", "1.0.1"},
    {"msetnx", -3, kW, 1, -1, 2, MSetNx, "string", "Atomically modifies the string values of one or more keys only when all keys don't exist.", "1.0.1"},
    {"psetex", 4, kW, 1, 1, 1, PSetEx, "string", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "2.6.0"},
    {"set", -3, kW, 1, 1, 1, Set, "string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "1.0.0"},
    {"setex", 4, kW, 1, 1, 1, SetEx, "string", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "2.0.0"},
    {"setnx", 3, kW | kCmdFast, 1, 1, 1, SetNx, "string", "Set the string value of a key only when the key doesn't exist.", "1.0.0"},
    {"setrange", 4, kW, 1, 1, 1, SetRange, "string", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "2.2.0"},
    {"strlen", 2, kR | kCmdFast, 1, 1, 1, StrLen, "string", "Returns the length of a string value.", "2.2.0"},
    {"substr", 4, kR, 1, 1, 1, GetRange, "string", "Returns a substring from a string value.", "1.0.0"},
};

}  // namespace

std::span<const CommandSpec> StringCommands() { return kCommands; }

}  // namespace crescent::server
