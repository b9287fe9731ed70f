// DUMP and RESTORE, with Redis 7.0's payload format (server/commands/dump_payload.h) so
// that values move between redis-server and crescentd byte for byte, and Redis's
// replies and errors.
#include <memory>
#include <optional>
#include <string>

#include "server/command.h"
#include "server/commands/dump_payload.h"
#include "server/commands/parse.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/store.h"

namespace crescent::server {

namespace {

using storage::CurrentValue;
using storage::kNoExpiry;
using storage::UpdateDecision;

void Dump(CommandContext& ctx) {
  // The payload is built outside the shard lock (compressing a large value takes a
  // while): a large value is pinned where it is, a small one copied.
  std::shared_ptr<const void> pin;
  std::string copy;
  std::string_view bytes;
  bool found = ctx.store.Get(ctx.args[1], [&](const storage::ValueView& v) {
    pin = v.Pin();
    if (pin) {
      bytes = v.bytes();
    } else {
      copy.assign(v.bytes());
      bytes = copy;
    }
  });
  if (!found) return ctx.reply.Null();
  ctx.reply.Bulk(EncodeDumpPayload(bytes));
}

// RESTORE's options, parsed completely before anything is looked up.
struct RestoreOptions {
  bool replace = false;
  bool absolute_ttl = false;
  std::optional<int64_t> idle_seconds;
  std::optional<int64_t> frequency;
};

// Parses args[4..]; replies and returns false on error. IDLETIME and FREQ exclude each
// other (Redis answers a syntax error to both).
bool ParseRestoreOptions(CommandContext& ctx, RestoreOptions* out) {
  auto fail = [&](std::string_view text) {
    ctx.Error(text);
    return false;
  };
  for (size_t i = 4; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(a, "REPLACE")) {
      out->replace = true;
    } else if (EqualsIgnoreCase(a, "ABSTTL")) {
      out->absolute_ttl = true;
    } else if (EqualsIgnoreCase(a, "IDLETIME") && has_next && !out->frequency) {
      auto v = ParseInt64(ctx.args[++i]);
      if (!v) return fail(errors::kNotInteger);
      if (*v < 0) return fail(errors::kInvalidIdleTime);
      out->idle_seconds = *v;
    } else if (EqualsIgnoreCase(a, "FREQ") && has_next && !out->idle_seconds) {
      auto v = ParseInt64(ctx.args[++i]);
      if (!v) return fail(errors::kNotInteger);
      if (*v < 0 || *v > 255) return fail(errors::kInvalidFreq);
      out->frequency = *v;
    } else {
      return fail(errors::kSyntax);
    }
  }
  return true;
}

void Restore(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  RestoreOptions options;
  if (!ParseRestoreOptions(ctx, &options)) return;
  // Redis's order: an existing key, then the TTL, then the payload.
  if (!options.replace && ctx.store.Exists(key)) return ctx.Error(errors::kBusyKey);
  auto ttl = ParseInt64(ctx.args[2]);
  if (!ttl) return ctx.Error(errors::kNotInteger);
  if (*ttl < 0) return ctx.Error(errors::kInvalidTtl);

  size_t max_size = static_cast<size_t>(ctx.server.config().Int(config::OptionId::kProtoMaxBulkLen));
  std::string scratch;
  StatusOr<std::string_view> value = DecodeDumpPayload(ctx.args[3], max_size, &scratch);
  if (!value.ok()) {
    switch (value.status().code()) {
      case StatusCode::kCorruption:
        return ctx.Error(errors::kDumpPayloadWrong);
      case StatusCode::kTooLarge:
        return ctx.Error(errors::kStringTooLong);
      default:
        return ctx.Error(errors::kBadDataFormat);
    }
  }

  // TTL 0: none. A relative one that overflows never comes.
  int64_t expire_at = kNoExpiry;
  if (*ttl != 0) {
    expire_at = options.absolute_ttl ? *ttl
                : *ttl > INT64_MAX - ctx.now_ms ? INT64_MAX
                                                : *ttl + ctx.now_ms;
  }
  if (expire_at != kNoExpiry && expire_at <= ctx.now_ms) {
    // Already expired: nothing is created, but REPLACE still deletes the key it names
    // (as Redis does, which propagates that as a DEL).
    if (options.replace) ctx.store.Remove(key);
    return ctx.reply.Ok();
  }

  // The same write path as SET: prepared outside the lock, committed under it.
  StatusOr<storage::PreparedValue> prepared = ctx.store.Prepare(*value);
  if (!prepared.ok()) return ctx.Error(prepared.status());
  bool busy = false;
  Status s = ctx.store.Update(key, [&](const CurrentValue& current) {
    UpdateDecision d;
    busy = current.exists && !options.replace;  // created since the check above
    if (busy) return d;
    d.value = UpdateDecision::Value::kWritePrepared;
    d.prepared = &prepared.value();
    d.ttl = expire_at != kNoExpiry ? UpdateDecision::Ttl::kSet : UpdateDecision::Ttl::kClear;
    d.expire_at_ms = expire_at;
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  if (busy) return ctx.Error(errors::kBusyKey);
  if (options.idle_seconds || options.frequency) {
    std::optional<int64_t> idle_ms;
    if (options.idle_seconds) {
      idle_ms = *options.idle_seconds > INT64_MAX / 1000 ? INT64_MAX : *options.idle_seconds * 1000;
    }
    std::optional<uint32_t> frequency;
    if (options.frequency) frequency = static_cast<uint32_t>(*options.frequency);
    ctx.store.SetAccess(key, idle_ms, frequency);
  }
  ctx.reply.Ok();
}

const CommandSpec kCommands[] = {
    {"dump", 2, kCmdRead, 1, 1, 1, Dump, "generic", "Returns a serialized representation of the value stored at a key.", "2.6.0"},
    {"restore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1, Restore, "generic", "Creates a key from the serialized representation of a value.", "2.6.0"},
};

}  // namespace

std::span<const CommandSpec> DumpCommands() { return kCommands; }

}  // namespace crescent::server
