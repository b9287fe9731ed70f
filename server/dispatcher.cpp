#include "server/dispatcher.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "server/acl.h"
#include "server/client.h"
#include "server/errors.h"
#include "server/server.h"

namespace crescent::server {

void CommandContext::Error(std::string_view text) {
  failed = true;
  reply.Error(text);
  size_t space = text.find(' ');
  server.stats().CountError(text.substr(0, space));
}

void CommandContext::Error(const Status& status) { Error(errors::ErrorText(status)); }

bool AuthRequired(Server& server, const Client& client) {
  return !client.authenticated && acl::AuthRequired(server.config());
}

namespace {

bool ArityOk(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

void Reject(Server& server, protocol::ReplyWriter& reply, const CommandEntry* entry,
            std::string_view text) {
  reply.Error(text);
  server.stats().CountError(text.substr(0, text.find(' ')));
  if (entry != nullptr) entry->stats.rejected_calls.fetch_add(1, std::memory_order_relaxed);
}

// A refusal while queuing a transaction also dooms it (Redis's flagTransaction).
void RejectQueued(Server& server, Client& client, protocol::ReplyWriter& reply,
                  const CommandEntry* entry, std::string_view text) {
  Reject(server, reply, entry, text);
  if (client.multi) client.multi->aborted = true;
}

void Queue(Server& server, Client& client, protocol::ReplyWriter& reply,
           const CommandEntry* entry, std::span<const std::string_view> args) {
  Client::Transaction& multi = *client.multi;
  size_t bytes = 0;
  for (std::string_view arg : args) bytes += arg.size();
  size_t limit = static_cast<size_t>(server.config().Int(config::OptionId::kClientQueryBufferLimit));
  if (multi.bytes + bytes > limit) {
    RejectQueued(server, client, reply, entry, errors::kTransactionTooLarge);
    return;
  }
  multi.bytes += bytes;
  multi.commands.emplace_back(args.begin(), args.end());
  reply.SimpleString("QUEUED");
}

}  // namespace

const CommandEntry* Resolve(Server& server, Client& client, protocol::ReplyWriter& reply,
                            std::span<const std::string_view> args) {
  const CommandEntry* entry = server.commands().Find(args[0]);
  if (entry == nullptr) {
    RejectQueued(server, client, reply, nullptr, errors::UnknownCommand(args[0], args));
    return nullptr;
  }
  // A container (CLIENT, CONFIG...) dispatches on its first argument; one that has a
  // handler of its own (COMMAND) runs it when called bare.
  if (!entry->spec->subcommands.empty() && (args.size() >= 2 || entry->spec->handler == nullptr)) {
    if (!ArityOk(entry->spec->arity, args.size())) {
      RejectQueued(server, client, reply, entry, errors::WrongArity(entry->full_name));
      return nullptr;
    }
    const CommandEntry* sub = entry->FindSubcommand(args[1]);
    if (sub == nullptr) {
      RejectQueued(server, client, reply, entry,
                   errors::UnknownSubcommand(args[1], entry->full_name));
      return nullptr;
    }
    entry = sub;
  }
  const CommandSpec& spec = *entry->spec;
  if (!ArityOk(spec.arity, args.size())) {
    RejectQueued(server, client, reply, entry, errors::WrongArity(entry->full_name));
    return nullptr;
  }
  if (!(spec.flags & kCmdNoAuth) && AuthRequired(server, client)) {
    RejectQueued(server, client, reply, entry, errors::kNoAuth);
    return nullptr;
  }
  if (spec.first_key > 0) {
    // One check for every command that names keys: none may be longer than max-key-size.
    size_t max_key = static_cast<size_t>(server.config().Int(config::OptionId::kMaxKeySize));
    int last = spec.last_key < 0 ? static_cast<int>(args.size()) + spec.last_key : spec.last_key;
    for (int i = spec.first_key; i <= last && i < static_cast<int>(args.size()); i += spec.key_step) {
      if (args[static_cast<size_t>(i)].size() > max_key) {
        RejectQueued(server, client, reply, entry, errors::kKeyTooLong);
        return nullptr;
      }
    }
  }
  // Deny-oom: Redis refuses deny-oom commands here when used memory is over maxmemory
  // and eviction cannot bring it under. Crescent runs no such check up front, because
  // the state it tests cannot arise: the pool is a fixed arena of maxmemory bytes, so
  // "used" never exceeds it, and whether a write fits depends on its own size (a full
  // size class for 1 MiB values can sit beside free 64-byte slots). The write path
  // already asks the real question: Store places the value, evicts and retries when it
  // cannot, and returns kOutOfMemory only when nothing evictable is left. That status
  // becomes Redis's -OOM text (object commands: NO_AVAILABLE_HANDLE) in
  // errors::ErrorText, counted in INFO errorstats, before anything was changed. An
  // up-front test would either refuse writes that fit or repeat that placement.
  if (client.acl_user != nullptr) {
    std::string denied = acl::Check(client.acl_user, spec, entry->full_name, args);
    if (!denied.empty()) {
      RejectQueued(server, client, reply, entry, denied);
      return nullptr;
    }
  }
  return entry;
}

void Dispatch(Server& server, Client& client, protocol::ReplyWriter& reply,
              std::span<const std::string_view> args) {
  const CommandEntry* entry = Resolve(server, client, reply, args);
  if (entry == nullptr) return;
  if (client.multi && !(entry->spec->flags & kCmdRunsInMulti)) {
    if (entry->spec->flags & kCmdNoMulti) {
      RejectQueued(server, client, reply, entry, errors::kNotAllowedInMulti);
    } else {
      Queue(server, client, reply, entry, args);
    }
    return;
  }
  Call(server, client, reply, entry, args);
}

void Call(Server& server, Client& client, protocol::ReplyWriter& reply, const CommandEntry* entry,
          std::span<const std::string_view> args) {
  const CommandSpec& spec = *entry->spec;
  auto started = std::chrono::steady_clock::now();
  int64_t now_ms = server.clock().NowMs();
  client.Touch(now_ms);
  client.set_last_command(&entry->full_name);
  CommandContext ctx{args, reply, client, server, server.store(), now_ms, entry->full_name};
  spec.handler(ctx);
  // After the command ran, as Redis feeds its monitors from call(): a transaction's
  // commands appear before its EXEC. Administrative commands and those that may carry
  // a password (AUTH, HELLO) are not shown.
  if (server.monitors().active() && !(spec.flags & (kCmdAdmin | kCmdNoAuth))) {
    auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    server.monitors().Feed(client.id(), client.addr(), now_us, args);
  }
  // Nanoseconds for the histogram: most commands take well under a microsecond, which
  // the microsecond figures of INFO and the slow log would round to zero.
  auto duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - started).count();
  auto duration_us = duration_ns / 1000;

  entry->stats.calls.fetch_add(1, std::memory_order_relaxed);
  entry->stats.latency.Record(static_cast<uint64_t>(duration_ns));
  entry->stats.usec.fetch_add(static_cast<uint64_t>(duration_us), std::memory_order_relaxed);
  if (ctx.failed) entry->stats.failed_calls.fetch_add(1, std::memory_order_relaxed);
  server.stats().commands_processed.fetch_add(1, std::memory_order_relaxed);

  int64_t latency_threshold_ms = server.config().Int(config::OptionId::kLatencyMonitorThreshold);
  if (latency_threshold_ms > 0 && duration_us >= latency_threshold_ms * 1000) {
    server.latency().Record("command", now_ms / 1000, duration_us / 1000);
  }
  int64_t threshold = server.config().Int(config::OptionId::kSlowlogLogSlowerThan);
  if (threshold >= 0 && duration_us >= threshold) {
    server.slowlog().Add(args, now_ms / 1000, duration_us, client.addr(), client.name(),
                         static_cast<size_t>(server.config().Int(config::OptionId::kSlowlogMaxLen)));
    // The command's name only: its arguments may hold values or passwords.
    spdlog::warn("slow command '{}' took {} us (client id={} addr={})", entry->full_name,
                 duration_us, client.id(), client.addr());
  }
}

}  // namespace crescent::server
