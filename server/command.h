// A command is one declarative entry: name, arity, flags, key positions, handler, and
// the text COMMAND DOCS shows. Each command family (server/commands/*.cpp) exports its
// entries; CommandTable gathers them. Arity, authentication and limits are checked by
// the dispatcher (Dispatcher::Execute) before a handler runs, so a handler can index
// args up to the arity without checking.
//
// Handlers parse every argument before they change anything, and reply exactly once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/reply_writer.h"

namespace crescent::storage {
class Store;
}

namespace crescent::server {

class Server;
class Client;

enum CommandFlag : uint32_t {
  kCmdRead = 1 << 0,
  kCmdWrite = 1 << 1,
  kCmdAdmin = 1 << 2,
  kCmdFast = 1 << 3,
  kCmdNoAuth = 1 << 4,      // allowed before authentication (AUTH, HELLO, QUIT)
  // Needs room in the pool for what it writes; COMMAND INFO shows it as "denyoom". No
  // check runs up front (see the note on deny-oom in dispatcher.cpp): a deny-oom command
  // that finds no room after eviction fails with kOutOfMemory, which errors::ErrorText
  // turns into Redis's OOM text (Mooncake's NO_AVAILABLE_HANDLE for object commands).
  kCmdDenyOom = 1 << 5,
  kCmdConnection = 1 << 8,  // about the connection, not the data
  kCmdNoMulti = 1 << 9,     // refused inside MULTI (SAVE, SHUTDOWN, MONITOR)
  kCmdRunsInMulti = 1 << 10,  // runs at once inside MULTI instead of being queued (EXEC...)
  // Redis's "loading" and "stale" flags have no counterpart: Crescent reads its SSD tier
  // before it listens, and has no replicas that could be stale, so every command may
  // always run.
};

struct CommandContext;
using CommandHandler = void (*)(CommandContext&);

struct CommandSpec {
  std::string_view name;  // lower case
  int arity;              // count includes the name; negative: at least -arity
  uint32_t flags;
  int first_key;          // 0: no keys
  int last_key;           // -1: the last argument
  int key_step;
  CommandHandler handler;  // null for a container (see subcommands)
  std::string_view group;
  std::string_view summary;
  std::string_view since = "1.0.0";
  std::span<const CommandSpec> subcommands = {};
};

// What a handler gets. `args[0]` is the command name as the client sent it.
struct CommandContext {
  std::span<const std::string_view> args;
  protocol::ReplyWriter& reply;
  Client& client;
  Server& server;
  storage::Store& store;
  int64_t now_ms;
  const std::string& full_name;  // "get", "client|setname"

  // Errors go through these so that INFO errorstats counts them by code.
  void Error(std::string_view text);
  void Error(const Status& status);
  bool failed = false;  // set by Error(): the call counts as failed_calls
};

// The families' entries.
std::span<const CommandSpec> ConnectionCommands();
std::span<const CommandSpec> StringCommands();
std::span<const CommandSpec> KeyspaceCommands();
std::span<const CommandSpec> ServerCommands();
std::span<const CommandSpec> IntrospectionCommands();
std::span<const CommandSpec> ObjectCommands();
std::span<const CommandSpec> SegmentCommands();
std::span<const CommandSpec> AclCommands();
std::span<const CommandSpec> TransactionCommands();
std::span<const CommandSpec> LifecycleCommands();
std::span<const CommandSpec> DiagnosticCommands();
std::span<const CommandSpec> BitCommands();
std::span<const CommandSpec> DumpCommands();
std::span<const CommandSpec> ObjectInspectionCommands();

}  // namespace crescent::server
