// Connection commands: PING, ECHO, HELLO, AUTH, QUIT, SELECT, CLIENT.
#include <spdlog/spdlog.h>

#include "server/acl.h"
#include "server/client.h"
#include "server/command.h"
#include "server/commands/parse.h"
#include "server/connection.h"
#include "server/dispatcher.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/version.h"
#include "server/commands/help_reply.h"

namespace crescent::server {

namespace {

using config::OptionId;

void Ping(CommandContext& ctx) {
  if (ctx.args.size() > 2) return ctx.Error(errors::WrongArity("ping"));
  if (ctx.args.size() == 2) return ctx.reply.Bulk(ctx.args[1]);
  ctx.reply.SimpleString("PONG");
}

void Echo(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

// AUTH's check, shared with HELLO ... AUTH. Replies only on failure; failures are
// logged with the client's address and the user name, never the password.
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view password,
                  bool user_given) {
  const config::UserSpec* spec = nullptr;
  switch (acl::Authenticate(ctx.server.config(), user, password, user_given, &spec)) {
    case acl::AuthResult::kOk:
      ctx.client.authenticated = true;
      ctx.client.acl_user = spec;
      ctx.client.set_user(std::string(user));
      return true;
    case acl::AuthResult::kNoPasswordConfigured:
      ctx.Error(errors::kAuthWithoutPassword);
      return false;
    case acl::AuthResult::kWrongPass:
      break;
  }
  spdlog::warn("authentication failed: client id={} addr={} user={}", ctx.client.id(),
               ctx.client.addr(), user.substr(0, 64));
  ctx.Error(errors::kWrongPass);
  return false;
}

void Auth(CommandContext& ctx) {
  if (ctx.args.size() > 3) return ctx.Error(errors::kSyntax);
  bool user_given = ctx.args.size() == 3;
  std::string_view user = user_given ? ctx.args[1] : "default";
  if (!Authenticate(ctx, user, ctx.args.back(), user_given)) return;
  ctx.reply.Ok();
}

void Hello(CommandContext& ctx) {
  int64_t proto = ctx.client.resp3 ? 3 : 2;
  size_t i = 1;
  if (ctx.args.size() >= 2) {
    auto v = ParseInt64(ctx.args[1]);
    if (!v) return ctx.Error(errors::kProtocolNotInteger);
    if (*v < 2 || *v > 3) return ctx.Error(errors::kNoProto);
    proto = *v;
    i = 2;
  }
  std::optional<std::string_view> user, password, name;
  for (; i < ctx.args.size(); ++i) {
    bool more = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[i], "AUTH") && i + 2 < ctx.args.size()) {
      user = ctx.args[i + 1];
      password = ctx.args[i + 2];
      i += 2;
    } else if (EqualsIgnoreCase(ctx.args[i], "SETNAME") && more) {
      name = ctx.args[++i];
    } else {
      return ctx.Error(errors::HelloSyntax(ctx.args[i]));
    }
  }
  if (user && !Authenticate(ctx, *user, *password, true)) return;
  if (AuthRequired(ctx.server, ctx.client)) {
    return ctx.Error(errors::kHelloNoAuth);
  }
  if (name) {
    for (char c : *name) {
      if (c < '!' || c > '~') {
        return ctx.Error(errors::kBadClientName);
      }
    }
    ctx.client.set_name(std::string(*name));
  }
  ctx.client.resp3 = proto == 3;
  ctx.reply.set_resp3(proto == 3);
  ctx.reply.Map(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("crescent");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatibleVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(proto);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id()));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.Array(0);
}

void Quit(CommandContext& ctx) {
  ctx.client.close_after_reply = true;
  ctx.reply.Ok();
}

void Select(CommandContext& ctx) {
  auto db = ParseInt64(ctx.args[1]);
  if (!db || *db < INT32_MIN || *db > INT32_MAX) return ctx.Error(errors::kNotInteger);
  if (*db != 0) return ctx.Error(errors::kDbIndexOutOfRange);
  ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void ClientId(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.client.id())); }

void ClientSetName(CommandContext& ctx) {
  if (!ValidClientName(ctx.args[2])) {
    return ctx.Error(errors::kBadClientName);
  }
  ctx.client.set_name(std::string(ctx.args[2]));
  ctx.reply.Ok();
}

void ClientGetName(CommandContext& ctx) {
  std::string name = ctx.client.name();
  if (name.empty()) return ctx.reply.Null();
  ctx.reply.Bulk(name);
}

void ClientSetInfo(CommandContext& ctx) {
  std::string value(ctx.args[3]);
  if (!ValidClientName(value)) {
    return ctx.Error(errors::BadClientInfoValue(ctx.args[2]));
  }
  if (EqualsIgnoreCase(ctx.args[2], "lib-name")) {
    ctx.client.set_lib(&value, nullptr);
  } else if (EqualsIgnoreCase(ctx.args[2], "lib-ver")) {
    ctx.client.set_lib(nullptr, &value);
  } else {
    return ctx.Error(errors::UnrecognizedClientInfoOption(ctx.args[2]));
  }
  ctx.reply.Ok();
}

// CLIENT TYPE names: every client of Crescent is "normal" (no replicas, no pub/sub), so
// a filter on another type matches none. Replies and returns false for an unknown type.
bool ParseClientType(CommandContext& ctx, std::string_view type, bool* matches_normal) {
  if (!EqualsIgnoreCase(type, "normal") && !EqualsIgnoreCase(type, "master") &&
      !EqualsIgnoreCase(type, "replica") && !EqualsIgnoreCase(type, "pubsub")) {
    ctx.Error(errors::UnknownClientType(type));
    return false;
  }
  *matches_normal = EqualsIgnoreCase(type, "normal");
  return true;
}

// CLIENT LIST [TYPE type | ID id [id ...]]: one filter or none, as Redis 7.0 takes it.
void ClientList(CommandContext& ctx) {
  std::vector<uint64_t> ids;
  size_t argc = ctx.args.size();
  if (argc == 4 && EqualsIgnoreCase(ctx.args[2], "TYPE")) {
    bool normal = false;
    if (!ParseClientType(ctx, ctx.args[3], &normal)) return;
    if (!normal) return ctx.reply.Verbatim("txt", "");
  } else if (argc > 3 && EqualsIgnoreCase(ctx.args[2], "ID")) {
    // An id of 0 or less is no client's, but not an error (as Redis 7.0).
    for (size_t i = 3; i < argc; ++i) {
      auto id = ParseInt64(ctx.args[i]);
      if (!id) return ctx.Error(errors::kInvalidClientId);
      if (*id > 0) ids.push_back(static_cast<uint64_t>(*id));
    }
    if (ids.empty()) return ctx.reply.Verbatim("txt", "");
  } else if (argc != 2) {
    return ctx.Error(errors::kSyntax);
  }
  std::string out;
  for (const auto& connection : ctx.server.Clients()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), connection->client().id()) == ids.end()) {
      continue;
    }
    out += connection->Describe(ctx.now_ms);
    out += '\n';
  }
  ctx.reply.Verbatim("txt", out);
}

void ClientInfo(CommandContext& ctx) {
  auto self = ctx.server.FindClient(ctx.client.id());
  ctx.reply.Verbatim("txt", (self ? self->Describe(ctx.now_ms) : std::string()) + "\n");
}

void ClientKill(CommandContext& ctx) {
  // Old form: CLIENT KILL addr:port -> OK or an error.
  if (ctx.args.size() == 3) {
    for (const auto& connection : ctx.server.Clients()) {
      if (connection->client().addr() == ctx.args[2]) {
        if (connection->client().id() == ctx.client.id()) {
          ctx.client.close_after_reply = true;
        } else {
          connection->Kill();
        }
        return ctx.reply.Ok();
      }
    }
    return ctx.Error(errors::kNoSuchClient);
  }
  // New form: filters, all of which must match; replies with the number killed.
  std::optional<uint64_t> id;
  std::optional<std::string_view> addr, laddr, user;
  bool skip_me = true;
  bool type_matches = true;  // TYPE normal, or no TYPE: every client
  if (ctx.args.size() % 2 != 0) return ctx.Error(errors::kSyntax);
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    std::string_view option = ctx.args[i];
    std::string_view value = ctx.args[i + 1];
    if (EqualsIgnoreCase(option, "ID")) {
      auto v = ParseInt64(value);
      if (!v || *v <= 0) return ctx.Error(errors::kClientIdNotPositive);
      id = static_cast<uint64_t>(*v);
    } else if (EqualsIgnoreCase(option, "ADDR")) {
      addr = value;
    } else if (EqualsIgnoreCase(option, "LADDR")) {
      laddr = value;
    } else if (EqualsIgnoreCase(option, "USER")) {
      // As Redis: a user that does not exist is an error, not a filter matching none.
      bool known = value == "default";
      for (const auto& u : ctx.server.config().users()) known = known || u.name == value;
      if (!known) return ctx.Error(errors::NoSuchUser(value));
      user = value;
    } else if (EqualsIgnoreCase(option, "TYPE")) {
      bool normal = false;
      if (!ParseClientType(ctx, value, &normal)) return;
      type_matches = type_matches && normal;
    } else if (EqualsIgnoreCase(option, "SKIPME")) {
      if (EqualsIgnoreCase(value, "yes")) {
        skip_me = true;
      } else if (EqualsIgnoreCase(value, "no")) {
        skip_me = false;
      } else {
        return ctx.Error(errors::kSyntax);
      }
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  int64_t killed = 0;
  if (!type_matches) return ctx.reply.Integer(0);
  for (const auto& connection : ctx.server.Clients()) {
    Client& c = connection->client();
    if (id && c.id() != *id) continue;
    if (addr && c.addr() != *addr) continue;
    if (laddr && c.laddr() != *laddr) continue;
    if (user && c.user() != *user) continue;
    if (c.id() == ctx.client.id()) {
      if (skip_me) continue;
      ctx.client.close_after_reply = true;
    } else {
      connection->Kill();
    }
    ++killed;
  }
  ctx.reply.Integer(killed);
}

// CLIENT PAUSE timeout [WRITE|ALL]: the connection loop holds back the commands
// (Connection::WaitForPause); ALL holds back every command, CLIENT UNPAUSE included, as
// Redis 7.0 does.
void ClientPause(CommandContext& ctx) {
  auto timeout = ParseInt64(ctx.args[2]);
  if (!timeout) return ctx.Error(errors::kTimeoutNotInteger);
  if (*timeout < 0) return ctx.Error(errors::kTimeoutNegative);
  bool writes_only = false;
  if (ctx.args.size() == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "WRITE")) {
      writes_only = true;
    } else if (!EqualsIgnoreCase(ctx.args[3], "ALL")) {
      return ctx.Error(errors::kPauseMode);
    }
  } else if (ctx.args.size() > 4) {
    return ctx.Error(errors::kSyntax);
  }
  ctx.server.Pause(ctx.now_ms + *timeout, writes_only);
  ctx.reply.Ok();
}

void ClientUnpause(CommandContext& ctx) {
  ctx.server.Unpause();
  ctx.reply.Ok();
}

void ClientNoEvict(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[2], "ON")) {
    ctx.client.no_evict = true;
  } else if (EqualsIgnoreCase(ctx.args[2], "OFF")) {
    ctx.client.no_evict = false;
  } else {
    return ctx.Error(errors::kSyntax);
  }
  ctx.reply.Ok();
}

// OFF and SKIP are not answered (the connection drops the replies; see Client).
void ClientReply(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[2], "ON")) {
    ctx.client.reply_off = false;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(ctx.args[2], "OFF")) {
    ctx.client.reply_off = true;
  } else if (EqualsIgnoreCase(ctx.args[2], "SKIP")) {
    ctx.client.reply_skip_next = true;
  } else {
    ctx.Error(errors::kSyntax);
  }
}

// RESET: the connection as it was when it connected: out of MULTI, nothing watched,
// replies on, no longer monitoring, RESP2, no name, and authenticated only if the
// default user needs no password.
void Reset(CommandContext& ctx) {
  Client& c = ctx.client;
  c.multi.reset();
  c.watched.clear();
  c.reply_off = c.reply_skip = c.reply_skip_next = false;
  c.no_evict = false;
  if (c.monitor) {
    c.monitor = false;
    ctx.server.monitors().Remove(c.id());
  }
  c.set_name("");
  c.authenticated = false;
  c.acl_user = nullptr;
  c.set_user("default");
  c.resp3 = false;
  ctx.reply.set_resp3(false);
  ctx.reply.SimpleString("RESET");
}

void ClientHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME", "    Return the name of the current connection.",
      "ID", "    Return the ID of the current connection.",
      "INFO", "    Return information about the current client connection.",
      "KILL <ip:port>", "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID, ADDR, LADDR, USER, TYPE, SKIPME (yes|no).",
      "LIST [TYPE normal] [ID <id> [<id> ...]]", "    Return information about client connections.",
      "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
      "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client meta attributes.",
      "SETNAME <name>", "    Assign the name <name> to the current connection.",
      "UNPAUSE", "    Stop the current client pause, resuming traffic.",
      "HELP", "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

constexpr uint32_t kConn = kCmdConnection;

const CommandSpec kClientSubcommands[] = {
    {"getname", 2, kConn, 0, 0, 0, ClientGetName, "connection", "Returns the name of the connection.", "2.6.9"},
    {"help", 2, kConn, 0, 0, 0, ClientHelp, "connection", "Returns helpful text about the different subcommands.", "5.0.0"},
    {"id", 2, kConn, 0, 0, 0, ClientId, "connection", "Returns the unique client ID of the connection.", "5.0.0"},
    {"info", 2, kConn, 0, 0, 0, ClientInfo, "connection", "Returns information about the connection.", "6.2.0"},
    {"kill", -3, kConn | kCmdAdmin, 0, 0, 0, ClientKill, "connection", "Terminates open connections.", "2.4.0"},
    {"list", -2, kConn | kCmdAdmin, 0, 0, 0, ClientList, "connection", "Lists open connections.", "2.4.0"},
    {"no-evict", 3, kConn | kCmdAdmin, 0, 0, 0, ClientNoEvict, "connection", "Sets the client eviction mode of the connection.", "7.0.0"},
    {"pause", -3, kConn | kCmdAdmin, 0, 0, 0, ClientPause, "connection", "Suspends commands processing.", "3.0.0"},
    {"reply", 3, kConn | kCmdNoMulti, 0, 0, 0, ClientReply, "connection", "Instructs the server whether to reply to commands.", "3.2.0"},
    {"setinfo", 4, kConn, 0, 0, 0, ClientSetInfo, "connection", "Sets information specific to the client or connection.", "7.2.0"},
    {"setname", 3, kConn, 0, 0, 0, ClientSetName, "connection", "Sets the connection name.", "2.6.9"},
    {"unpause", 2, kConn | kCmdAdmin, 0, 0, 0, ClientUnpause, "connection", "Resumes processing of clients that were paused.", "6.2.0"},
};

const CommandSpec kCommands[] = {
    {"auth", -2, kConn | kCmdNoAuth | kCmdFast, 0, 0, 0, Auth, "connection", "Authenticates the connection.", "1.0.0"},
    {"client", -2, kConn, 0, 0, 0, nullptr, "connection", "A container for client connection commands.", "2.4.0", kClientSubcommands},
    {"echo", 2, kConn | kCmdFast, 0, 0, 0, Echo, "connection", "Returns the given string.", "1.0.0"},
    {"hello", -1, kConn | kCmdNoAuth | kCmdFast, 0, 0, 0, Hello, "connection", "Handshakes with the server.", "6.0.0"},
    {"ping", -1, kConn | kCmdFast, 0, 0, 0, Ping, "connection", "Returns the server's liveliness response.", "1.0.0"},
    {"reset", 1, kConn | kCmdNoAuth | kCmdFast | kCmdRunsInMulti, 0, 0, 0, Reset, "connection", "Resets the connection.", "6.2.0"},
    {"quit", -1, kConn | kCmdNoAuth | kCmdFast | kCmdRunsInMulti, 0, 0, 0, Quit, "connection", "Closes the connection.", "1.0.0"},
    {"select", 2, kConn | kCmdFast, 0, 0, 0, Select, "connection", "Changes the selected database.", "1.0.0"},
};

}  // namespace

std::span<const CommandSpec> ConnectionCommands() { return kCommands; }

}  // namespace crescent::server
