// COMMAND and its subcommands (COUNT, INFO, DOCS, LIST), answered from the command table.
#include "common/glob.h"
#include "server/command.h"
#include "server/command_docs.h"
#include "server/command_table.h"
#include "server/commands/parse.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/commands/help_reply.h"

namespace crescent::server {

namespace {

std::vector<std::string_view> FlagNames(uint32_t flags) {
  std::vector<std::string_view> out;
  if (flags & kCmdWrite) out.push_back("write");
  if (flags & kCmdRead) out.push_back("readonly");
  if (flags & kCmdDenyOom) out.push_back("denyoom");
  if (flags & kCmdAdmin) out.push_back("admin");
  if (flags & kCmdNoAuth) out.push_back("no_auth");
  if (flags & kCmdFast) out.push_back("fast");
  if (flags & kCmdNoMulti) out.push_back("no_multi");
  return out;
}

std::vector<std::string> AclCategories(const CommandSpec& spec) {
  std::vector<std::string> out;
  if (spec.group == "string") out.push_back("@string");
  if (spec.group == "generic") out.push_back("@keyspace");
  if (spec.group == "bitmap") out.push_back("@bitmap");
  if (spec.group == "connection") out.push_back("@connection");
  if (spec.flags & kCmdWrite) out.push_back("@write");
  if (spec.flags & kCmdRead) out.push_back("@read");
  if (spec.flags & kCmdAdmin) {
    out.push_back("@admin");
    out.push_back("@dangerous");
  }
  out.push_back((spec.flags & kCmdFast) ? "@fast" : "@slow");
  return out;
}

void WriteInfo(protocol::ReplyWriter& reply, const CommandEntry& entry) {
  const CommandSpec& spec = *entry.spec;
  reply.Array(10);
  reply.Bulk(entry.full_name);
  reply.Integer(spec.arity);
  auto flags = FlagNames(spec.flags);
  reply.Set(flags.size());
  for (auto f : flags) reply.SimpleString(f);
  reply.Integer(spec.first_key);
  reply.Integer(spec.last_key);
  reply.Integer(spec.key_step);
  auto categories = AclCategories(spec);
  reply.Set(categories.size());
  for (const auto& c : categories) reply.SimpleString(c);
  reply.Array(0);  // tips
  if (spec.first_key > 0) {
    reply.Array(1);
    reply.Map(4);
    reply.Bulk("flags");
    reply.Array(0);
    reply.Bulk("begin_search");
    reply.Map(2);
    reply.Bulk("type");
    reply.Bulk("index");
    reply.Bulk("spec");
    reply.Map(1);
    reply.Bulk("index");
    reply.Integer(spec.first_key);
    reply.Bulk("find_keys");
    reply.Map(2);
    reply.Bulk("type");
    reply.Bulk("range");
    reply.Bulk("spec");
    reply.Map(3);
    reply.Bulk("lastkey");
    reply.Integer(spec.last_key < 0 ? -1 : spec.last_key - spec.first_key);
    reply.Bulk("keystep");
    reply.Integer(spec.key_step);
    reply.Bulk("limit");
    reply.Integer(0);
    reply.Bulk("notes");
    reply.Bulk("");
  } else {
    reply.Array(0);
  }
  std::vector<const CommandEntry*> subs;
  for (const auto& [name, sub] : entry.subcommands) subs.push_back(sub.get());
  std::sort(subs.begin(), subs.end(),
            [](auto* a, auto* b) { return a->full_name < b->full_name; });
  reply.Array(subs.size());
  for (auto* sub : subs) WriteInfo(reply, *sub);
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void WriteDocs(protocol::ReplyWriter& reply, const CommandEntry& entry) {
  const CommandSpec& spec = *entry.spec;
  const CommandDoc* doc = FindCommandDoc(entry.full_name);
  bool has_subs = !entry.subcommands.empty();
  bool has_args = doc != nullptr && !doc->arguments.empty();
  reply.Map(3 + (doc ? 1 : 0) + (has_args ? 1 : 0) + (has_subs ? 1 : 0));
  reply.Bulk("summary");
  reply.Bulk(spec.summary);
  reply.Bulk("since");
  reply.Bulk(spec.since);
  reply.Bulk("group");
  reply.Bulk(spec.group);
  if (doc) {
    reply.Bulk("complexity");
    reply.Bulk(doc->complexity);
  }
  if (has_args) {
    reply.Bulk("arguments");
    reply.Array(doc->arguments.size());
    for (const ArgumentDoc& arg : doc->arguments) {
      std::vector<std::string_view> flags;
      if (arg.optional) flags.push_back("optional");
      if (arg.multiple) flags.push_back("multiple");
      bool token = arg.type == "pure-token";
      reply.Map(2 + (flags.empty() ? 0 : 1) + (token ? 1 : 0));
      reply.Bulk("name");
      reply.Bulk(arg.name);
      reply.Bulk("type");
      reply.Bulk(arg.type);
      if (token) {
        reply.Bulk("token");
        reply.Bulk(ToUpper(arg.name));
      }
      if (!flags.empty()) {
        reply.Bulk("flags");
        reply.Array(flags.size());
        for (auto f : flags) reply.SimpleString(f);
      }
    }
  }
  if (has_subs) {
    reply.Bulk("subcommands");
    reply.Map(entry.subcommands.size());
    for (const auto& [name, sub] : entry.subcommands) {
      reply.Bulk(sub->full_name);
      WriteDocs(reply, *sub);
    }
  }
}

// COMMAND INFO / DOCS name: "get" or "client|list".
const CommandEntry* FindEntry(const CommandTable& table, std::string_view name) {
  size_t bar = name.find('|');
  const CommandEntry* entry = table.Find(name.substr(0, bar));
  if (entry == nullptr || bar == std::string_view::npos) return entry;
  return entry->FindSubcommand(name.substr(bar + 1));
}

void CommandAll(CommandContext& ctx) {
  const CommandTable& table = ctx.server.commands();
  ctx.reply.Array(table.size());
  table.ForEach([&](const CommandEntry& e) { WriteInfo(ctx.reply, e); });
}

void CommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.commands().size()));
}

void CommandInfo(CommandContext& ctx) {
  if (ctx.args.size() == 2) return CommandAll(ctx);
  ctx.reply.Array(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const CommandEntry* e = FindEntry(ctx.server.commands(), ctx.args[i]);
    if (e == nullptr) {
      ctx.reply.NullArray();
    } else {
      WriteInfo(ctx.reply, *e);
    }
  }
}

void CommandDocs(CommandContext& ctx) {
  std::vector<const CommandEntry*> entries;
  if (ctx.args.size() == 2) {
    ctx.server.commands().ForEach([&](const CommandEntry& e) { entries.push_back(&e); });
  } else {
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      if (const CommandEntry* e = FindEntry(ctx.server.commands(), ctx.args[i])) entries.push_back(e);
    }
  }
  ctx.reply.Map(entries.size());
  for (const CommandEntry* e : entries) {
    ctx.reply.Bulk(e->full_name);
    WriteDocs(ctx.reply, *e);
  }
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN glob]: every command and
// subcommand ("config|get"), as Redis 7.0 lists them. No module is loaded, so MODULE
// matches none; an unknown category matches none too (not an error, as Redis).
void CommandList(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCategory, kPattern };
  Filter filter = Filter::kNone;
  std::string_view value;
  if (ctx.args.size() == 5 && EqualsIgnoreCase(ctx.args[2], "FILTERBY")) {
    value = ctx.args[4];
    if (EqualsIgnoreCase(ctx.args[3], "MODULE")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(ctx.args[3], "ACLCAT")) {
      filter = Filter::kAclCategory;
    } else if (EqualsIgnoreCase(ctx.args[3], "PATTERN")) {
      filter = Filter::kPattern;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  } else if (ctx.args.size() != 2) {
    return ctx.Error(errors::kSyntax);
  }
  std::string category = "@" + std::string(value);
  auto listed = [&](const CommandEntry& e) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;
      case Filter::kAclCategory:
        for (const auto& c : AclCategories(*e.spec)) {
          if (EqualsIgnoreCase(c, category)) return true;
        }
        return false;
      case Filter::kPattern:
        return GlobMatch(value, e.full_name, true);
    }
    return false;
  };
  std::vector<std::string_view> names;
  ctx.server.commands().ForEach([&](const CommandEntry& e) {
    if (listed(e)) names.push_back(e.full_name);
    for (const auto& [name, sub] : e.subcommands) {
      if (listed(*sub)) names.push_back(sub->full_name);
    }
  });
  ctx.reply.Array(names.size());
  for (auto n : names) ctx.reply.Bulk(n);
}

void CommandHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)", "    Return details about all commands.",
      "COUNT", "    Return the total number of commands in this server.",
      "LIST", "    Return a list of all commands in this server.",
      "INFO [<command-name> ...]", "    Return details about multiple commands.",
      "DOCS [<command-name> ...]", "    Return documentation details about multiple commands.",
      "HELP", "    Print this help."};
  ReplyHelp(ctx.reply, kLines);
}

const CommandSpec kSubcommands[] = {
    {"count", 2, 0, 0, 0, 0, CommandCount, "server", "Returns a count of commands.", "2.8.13"},
    {"docs", -2, 0, 0, 0, 0, CommandDocs, "server", "Returns documentary information about one, multiple or all commands.", "7.0.0"},
    {"help", 2, 0, 0, 0, 0, CommandHelp, "server", "Returns helpful text about the different subcommands.", "5.0.0"},
    {"info", -2, 0, 0, 0, 0, CommandInfo, "server", "Returns information about one, multiple or all commands.", "2.8.13"},
    {"list", -2, 0, 0, 0, 0, CommandList, "server", "Returns a list of command names.", "7.0.0"},
};

const CommandSpec kCommands[] = {
    {"command", -1, 0, 0, 0, 0, CommandAll, "server", "Returns detailed information about all commands.", "2.8.13", kSubcommands},
};

}  // namespace

std::span<const CommandSpec> IntrospectionCommands() { return kCommands; }

}  // namespace crescent::server
