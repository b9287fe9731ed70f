// ACL WHOAMI / LIST / USERS: who a connection is and which users exist (no secrets).
#include "server/acl.h"
#include "server/client.h"
#include "server/command.h"
#include "server/server.h"
#include "server/commands/help_reply.h"

namespace crescent::server {

namespace {

void AclWhoAmI(CommandContext& ctx) { ctx.reply.Bulk(ctx.client.user()); }

void AclList(CommandContext& ctx) {
  const auto& users = ctx.server.config().users();
  bool default_password = ctx.server.config().Int(config::OptionId::kRequirePass) > 0;
  ctx.reply.Array(users.size() + 1);
  ctx.reply.Bulk(acl::Describe(nullptr, default_password));
  for (const auto& user : users) ctx.reply.Bulk(acl::Describe(&user, true));
}

void AclUsers(CommandContext& ctx) {
  const auto& users = ctx.server.config().users();
  ctx.reply.Array(users.size() + 1);
  ctx.reply.Bulk("default");
  for (const auto& user : users) ctx.reply.Bulk(user.name);
}

void AclHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "WHOAMI", "    Return the current connection username.",
      "LIST", "    Show users and their rules, without passwords.",
      "USERS", "    List all the registered usernames.",
      "HELP", "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

const CommandSpec kSubcommands[] = {
    {"help", 2, 0, 0, 0, 0, AclHelp, "server", "Returns helpful text about the different subcommands.", "6.0.0"},
    {"list", 2, kCmdAdmin, 0, 0, 0, AclList, "server", "Dumps the effective rules in ACL file format.", "6.0.0"},
    {"users", 2, kCmdAdmin, 0, 0, 0, AclUsers, "server", "Lists all ACL users.", "6.0.0"},
    {"whoami", 2, 0, 0, 0, 0, AclWhoAmI, "server", "Returns the authenticated username of the current connection.", "6.0.0"},
};

const CommandSpec kCommands[] = {
    {"acl", -2, 0, 0, 0, 0, nullptr, "server", "A container for Access List Control commands.", "6.0.0", kSubcommands},
};

}  // namespace

std::span<const CommandSpec> AclCommands() { return kCommands; }

}  // namespace crescent::server
