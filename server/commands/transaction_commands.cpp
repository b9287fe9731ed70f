// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, with Redis's semantics.
//
// While a client is in MULTI, the dispatcher checks each command as if it were to run
// (arity, authentication, key sizes, ACL) and queues it; a refusal dooms the
// transaction (EXEC then answers EXECABORT and runs nothing). EXEC runs the queue with
// every other I/O thread parked (IoBarrier), so no other client's command comes in
// between, whatever shards the commands touch. Errors of single commands inside EXEC
// (WRONGTYPE, a full pool...) are replies in the array; the others still run, as in
// Redis: there is no rollback.
//
// WATCH keeps each key's existence, version and expiry (Client::WatchedKey); EXEC
// compares them inside the exclusive section and answers a null array if any changed.
// A write of any client (this one included), an expiry, an eviction, a removal and a
// TTL change all change one of them. Writing a key that was absent and removing it again
// before EXEC leaves no trace; Redis would abort then, this runs (a benign difference:
// the state the transaction sees is the state it watched).
#include "server/client.h"
#include "server/command.h"
#include "server/dispatcher.h"
#include "server/errors.h"
#include "server/io_barrier.h"
#include "server/server.h"

namespace crescent::server {

namespace {

Client::WatchedKey Snapshot(storage::Store& store, std::string_view key) {
  auto info = store.Query(key, /*lease=*/false);
  if (!info) return {};
  return {.exists = true, .version = info->version, .expire_at_ms = info->expire_at_ms};
}

bool WatchedUnchanged(storage::Store& store, const Client& client) {
  for (const auto& [key, then] : client.watched) {
    if (!(Snapshot(store, key) == then)) return false;
  }
  return true;
}

void Multi(CommandContext& ctx) {
  if (ctx.client.multi) return ctx.Error(errors::kMultiNested);
  ctx.client.multi.emplace();
  ctx.reply.Ok();
}

void Exec(CommandContext& ctx) {
  if (!ctx.client.multi) return ctx.Error(errors::kExecWithoutMulti);
  Client::Transaction transaction = std::move(*ctx.client.multi);
  ctx.client.multi.reset();
  if (transaction.aborted) {
    ctx.client.watched.clear();
    return ctx.Error(errors::kExecAbort);
  }
  ctx.server.barrier().RunExclusive([&] {
    if (!WatchedUnchanged(ctx.store, ctx.client)) {
      ctx.reply.NullArray();
      return;
    }
    ctx.reply.Array(transaction.commands.size());
    std::vector<std::string_view> args;
    for (const auto& command : transaction.commands) {
      args.assign(command.begin(), command.end());
      // Checked again: an ACL or a password may have changed since it was queued. A
      // refusal is this command's reply.
      const CommandEntry* entry = Resolve(ctx.server, ctx.client, ctx.reply, args);
      if (entry != nullptr) Call(ctx.server, ctx.client, ctx.reply, entry, args);
    }
  });
  ctx.client.watched.clear();
}

void Discard(CommandContext& ctx) {
  if (!ctx.client.multi) return ctx.Error(errors::kDiscardWithoutMulti);
  ctx.client.multi.reset();
  ctx.client.watched.clear();
  ctx.reply.Ok();
}

void Watch(CommandContext& ctx) {
  if (ctx.client.multi) return ctx.Error(errors::kWatchInMulti);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string key(ctx.args[i]);
    if (ctx.client.watched.contains(key)) continue;  // the first WATCH's state counts
    ctx.client.watched.emplace(std::move(key), Snapshot(ctx.store, ctx.args[i]));
  }
  ctx.reply.Ok();
}

void Unwatch(CommandContext& ctx) {
  ctx.client.watched.clear();
  ctx.reply.Ok();
}

constexpr uint32_t kTx = kCmdFast;

const CommandSpec kCommands[] = {
    {"discard", 1, kTx | kCmdRunsInMulti, 0, 0, 0, Discard, "transactions", "Discards a transaction.", "2.0.0"},
    {"exec", 1, kCmdRunsInMulti, 0, 0, 0, Exec, "transactions", "Executes all commands in a transaction.", "1.2.0"},
    {"multi", 1, kTx | kCmdRunsInMulti, 0, 0, 0, Multi, "transactions", "Starts a transaction.", "1.2.0"},
    {"unwatch", 1, kTx, 0, 0, 0, Unwatch, "transactions", "Forgets about watched keys of a transaction.", "2.2.0"},
    {"watch", -2, kTx | kCmdRead | kCmdRunsInMulti, 1, -1, 1, Watch, "transactions", "Monitors changes to keys to determine the execution of a transaction.", "2.2.0"},
};

}  // namespace

std::span<const CommandSpec> TransactionCommands() { return kCommands; }

}  // namespace crescent::server
