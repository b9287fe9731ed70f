// Dispatch: the one place where a parsed request becomes a command call. It looks the
// command up, checks arity, authentication and memory before the handler runs (as
// Redis's processCommand does), times the call and feeds commandstats, errorstats and
// the slow log. I/O thread of the client.
#pragma once

#include <span>
#include <string_view>

#include "protocol/reply_writer.h"

namespace crescent::server {

class Server;
class Client;

struct CommandEntry;

// Runs a request, or queues it when the client is in MULTI.
void Dispatch(Server& server, Client& client, protocol::ReplyWriter& reply,
              std::span<const std::string_view> args);

// The checks before a command runs (lookup, arity, authentication, key sizes, ACL):
// the entry to call, or null after replying with the refusal (which also dooms a
// transaction being queued).
const CommandEntry* Resolve(Server& server, Client& client, protocol::ReplyWriter& reply,
                            std::span<const std::string_view> args);

// Runs a resolved command now (EXEC runs its queue through this): times it and feeds
// commandstats, errorstats, the slow log and MONITOR.
void Call(Server& server, Client& client, protocol::ReplyWriter& reply, const CommandEntry* entry,
          std::span<const std::string_view> args);

// Whether `client` must authenticate before running ordinary commands.
bool AuthRequired(Server& server, const Client& client);

}  // namespace crescent::server
