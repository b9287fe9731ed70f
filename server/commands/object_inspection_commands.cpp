// OBJECT ENCODING / FREQ / IDLETIME / REFCOUNT / HELP: Redis's view of how a value is
// held, for the strings Crescent stores. Crescent keeps every value as bytes in its
// pools; what these report is what redis-server would report for the same value, so
// tools and tests written against Redis read the same answers.
//
// None of them touches the key (Redis's LOOKUP_NOTOUCH): asking for the idle time does
// not reset it.
#include <cstdint>
#include <optional>
#include <string_view>

#include "server/command.h"
#include "server/commands/parse.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/commands/help_reply.h"
#include "storage/store.h"

namespace crescent::server {

namespace {

// Redis's rule (object.c, tryObjectEncoding) for a string set by SET or RESTORE: an
// integer in canonical form that fits 64 bits is "int"; otherwise up to 44 bytes live
// in the object's own allocation ("embstr"), longer ones in a separate one ("raw").
constexpr size_t kMaxIntChars = 20;
constexpr size_t kEmbstrMax = 44;
// Redis shares one object for each of the integers 0-9999 (OBJ_SHARED_INTEGERS), whose
// reference count reads as INT_MAX (OBJ_SHARED_REFCOUNT) - unless the eviction policy
// is LRU or LFU, which need an access record per key and so never share.
constexpr int64_t kSharedIntegers = 10000;
constexpr int64_t kSharedRefcount = INT32_MAX;

enum class Encoding { kInt, kEmbstr, kRaw };

struct StringShape {
  Encoding encoding = Encoding::kRaw;
  std::optional<int64_t> integer;
};

// Reads the value without touching it; nullopt when the key is absent.
std::optional<StringShape> ShapeOf(CommandContext& ctx, std::string_view key) {
  std::optional<StringShape> shape;
  ctx.store.Peek(key, [&](const storage::ValueView& v) {
    StringShape s;
    std::string_view bytes = v.bytes();
    if (bytes.size() <= kMaxIntChars) s.integer = ParseInt64(bytes);
    s.encoding = s.integer ? Encoding::kInt : bytes.size() <= kEmbstrMax ? Encoding::kEmbstr : Encoding::kRaw;
    shape = s;
  });
  return shape;
}

void ObjectEncoding(CommandContext& ctx) {
  auto shape = ShapeOf(ctx, ctx.args[2]);
  if (!shape) return ctx.reply.Null();
  switch (shape->encoding) {
    case Encoding::kInt:
      return ctx.reply.Bulk("int");
    case Encoding::kEmbstr:
      return ctx.reply.Bulk("embstr");
    case Encoding::kRaw:
      return ctx.reply.Bulk("raw");
  }
}

void ObjectRefcount(CommandContext& ctx) {
  auto shape = ShapeOf(ctx, ctx.args[2]);
  if (!shape) return ctx.reply.Null();
  // Crescent always has a maxmemory; of its policies only ttl (Redis's volatile-ttl)
  // lets Redis share integers.
  bool sharing = ctx.server.config().EnumName(config::OptionId::kEvictionPolicy) == "ttl";
  bool shared = sharing && shape->integer && *shape->integer >= 0 && *shape->integer < kSharedIntegers;
  ctx.reply.Integer(shared ? kSharedRefcount : 1);
}

// Redis looks the key up first (a missing key is nil whatever the policy), then asks
// whether the policy keeps what was asked for.
void ObjectIdleTime(CommandContext& ctx) {
  auto access = ctx.store.Access(ctx.args[2]);
  if (!access) return ctx.reply.Null();
  if (access->frequency_tracked) return ctx.Error(errors::kIdleTimeNotTracked);
  ctx.reply.Integer(access->idle_ms / 1000);
}

void ObjectFreq(CommandContext& ctx) {
  auto access = ctx.store.Access(ctx.args[2]);
  if (!access) return ctx.reply.Null();
  if (!access->frequency_tracked) return ctx.Error(errors::kFrequencyNotTracked);
  ctx.reply.Integer(access->frequency);
}

void ObjectHelp(CommandContext& ctx) {
  // Redis 7.0's text, word for word.
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help."};
  ReplyHelp(ctx.reply, kLines);
}

constexpr uint32_t kR = kCmdRead;

const CommandSpec kSubcommands[] = {
    {"encoding", 3, kR, 2, 2, 1, ObjectEncoding, "generic", "Returns the internal encoding of a Redis object.", "2.2.3"},
    {"freq", 3, kR, 2, 2, 1, ObjectFreq, "generic", "Returns the logarithmic access frequency counter of a Redis object.", "4.0.0"},
    {"help", 2, 0, 0, 0, 0, ObjectHelp, "generic", "Returns helpful text about the different subcommands.", "6.2.0"},
    {"idletime", 3, kR, 2, 2, 1, ObjectIdleTime, "generic", "Returns the time since the last access to a Redis object.", "2.2.3"},
    {"refcount", 3, kR, 2, 2, 1, ObjectRefcount, "generic", "Returns the reference count of a value of a key.", "2.2.3"},
};

const CommandSpec kCommands[] = {
    {"object", -2, 0, 0, 0, 0, nullptr, "generic", "A container for object introspection commands.", "2.2.3", kSubcommands},
};

}  // namespace

std::span<const CommandSpec> ObjectInspectionCommands() { return kCommands; }

}  // namespace crescent::server
