// The node's lifecycle and what Redis's replication commands mean on it: SHUTDOWN,
// SAVE, BGSAVE, LASTSAVE, ROLE, WAIT.
//
// SAVE and BGSAVE mean, for the SSD tier, "every write queued for RocksDB so far has
// been written" (persistence async queues writes behind the reply); with persistence
// sync there is nothing to wait for, and with persistence off there is no tier to save
// to, which is an error rather than a silent success. LASTSAVE is the unix time of the
// last such save (the start-up time before any). SHUTDOWN stops the node as SIGTERM
// does; NOSAVE drops the async writes not yet written instead of waiting for them.
// Crescent has no replicas of the Redis kind: ROLE says master with none, and WAIT
// answers 0 at once (no replica exists to acknowledge anything).
#include "server/client.h"
#include "server/command.h"
#include "server/commands/parse.h"
#include "server/errors.h"
#include "server/server.h"

namespace crescent::server {

namespace {

void Shutdown(CommandContext& ctx) {
  bool nosave = false, save = false, abort = false;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "NOSAVE")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "SAVE")) {
      save = true;
    } else if (EqualsIgnoreCase(a, "NOW") || EqualsIgnoreCase(a, "FORCE")) {
      // NOW: no replica to wait for. FORCE: a failing save never stops the shutdown
      // here (what the SSD tier could not write is logged).
    } else if (EqualsIgnoreCase(a, "ABORT")) {
      abort = true;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if ((nosave && save) || (abort && ctx.args.size() > 2)) return ctx.Error(errors::kSyntax);
  if (abort) return ctx.Error(errors::kNoShutdownInProgress);
  // No reply: the client sees its connection closed, as with Redis (redis-cli counts
  // that as success).
  ctx.client.close_after_reply = true;
  ctx.server.ShutdownFromCommand(/*discard_disk_queue=*/nosave);
}

void Save(CommandContext& ctx) {
  Status status = ctx.server.Save();
  if (status.code() == StatusCode::kInvalidArgument) return ctx.Error(errors::kPersistenceOff);
  if (!status.ok()) return ctx.Error(errors::kSaveFailed);
  ctx.reply.Ok();
}

void BgSave(CommandContext& ctx) {
  bool schedule = false;
  if (ctx.args.size() == 2) {
    if (!EqualsIgnoreCase(ctx.args[1], "SCHEDULE")) return ctx.Error(errors::kSyntax);
    schedule = true;
  }
  switch (ctx.server.StartBackgroundSave(schedule)) {
    case Server::BackgroundSave::kStarted:
      return ctx.reply.SimpleString("Background saving started");
    case Server::BackgroundSave::kScheduled:
      return ctx.reply.SimpleString("Background saving scheduled");
    case Server::BackgroundSave::kAlreadyRunning:
      return ctx.Error(errors::kBgSaveInProgress);
    case Server::BackgroundSave::kPersistenceOff:
      return ctx.Error(errors::kPersistenceOff);
  }
}

void LastSave(CommandContext& ctx) { ctx.reply.Integer(ctx.server.last_save_s()); }

void Role(CommandContext& ctx) {
  ctx.reply.Array(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(0);  // replication offset
  ctx.reply.Array(0);    // replicas
}

void Wait(CommandContext& ctx) {
  if (!ParseInt64(ctx.args[1])) return ctx.Error(errors::kNotInteger);
  auto timeout = ParseInt64(ctx.args[2]);
  if (!timeout) return ctx.Error(errors::kTimeoutNotInteger);
  if (*timeout < 0) return ctx.Error(errors::kTimeoutNegative);
  ctx.reply.Integer(0);
}

constexpr uint32_t kAdmin = kCmdAdmin;

const CommandSpec kCommands[] = {
    {"bgsave", -1, kAdmin, 0, 0, 0, BgSave, "server", "Asynchronously saves the database(s) to disk.", "1.0.0"},
    {"lastsave", 1, kCmdFast, 0, 0, 0, LastSave, "server", "Returns the Unix timestamp of the last successful save to disk.", "1.0.0"},
    {"role", 1, kCmdFast, 0, 0, 0, Role, "server", "Returns the replication role.", "2.8.12"},
    {"save", 1, kAdmin | kCmdNoMulti, 0, 0, 0, Save, "server", "Synchronously saves the database(s) to disk.", "1.0.0"},
    {"shutdown", -1, kAdmin | kCmdNoMulti, 0, 0, 0, Shutdown, "server", "Synchronously saves the database(s) to disk and shuts down the Redis server.", "1.0.0"},
    {"wait", 3, 0, 0, 0, 0, Wait, "generic", "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.", "3.0.0"},
};

}  // namespace

std::span<const CommandSpec> LifecycleCommands() { return kCommands; }

}  // namespace crescent::server
