// The command table's consistency: what the dispatcher and COMMAND rely on.
#include <doctest/doctest.h>

#include <cctype>
#include <set>
#include <string>

#include "server/command_docs.h"
#include "server/command_table.h"

using namespace crescent::server;

namespace {

void CheckEntry(const CommandEntry& e, std::set<std::string>* names) {
  const CommandSpec& spec = *e.spec;
  INFO("command " << e.full_name);
  CHECK(!spec.name.empty());
  for (char c : spec.name) CHECK((std::islower(static_cast<unsigned char>(c)) || c == '-' || c == '_'));
  CHECK(names->insert(e.full_name).second);
  CHECK(spec.arity != 0);
  CHECK(!spec.summary.empty());
  CHECK(!spec.group.empty());
  CHECK(!((spec.flags & kCmdRead) && (spec.flags & kCmdWrite)));
  if (spec.subcommands.empty()) {
    CHECK((spec.handler != nullptr));
    const CommandDoc* doc = FindCommandDoc(e.full_name);
    CHECK(doc != nullptr);
    // Only flat types: redis-cli 7.0 crashes on a oneof or block without nested arguments.
    static const std::set<std::string_view> kFlatTypes = {
        "key", "string", "integer", "double", "pattern", "unix-time", "pure-token"};
    if (doc != nullptr) {
      for (const ArgumentDoc& arg : doc->arguments) {
        INFO("argument " << arg.name << " of type " << arg.type);
        CHECK(kFlatTypes.contains(arg.type));
      }
    }
  } else {
    // A container needs at least its subcommand name unless it can run bare.
    CHECK((spec.arity <= -2 || spec.handler != nullptr));
  }
  if (spec.first_key > 0) {
    int min_args = spec.arity > 0 ? spec.arity : -spec.arity;
    CHECK(spec.first_key < min_args);
    CHECK(spec.key_step >= 1);
    CHECK((spec.last_key == -1 || spec.last_key >= spec.first_key));
    CHECK((spec.flags & (kCmdRead | kCmdWrite)) != 0);
  } else {
    CHECK(spec.last_key == 0);
  }
  if (spec.flags & kCmdDenyOom) CHECK((spec.flags & kCmdWrite));
}

}  // namespace

TEST_CASE("every command is well formed, unique and documented") {
  CommandTable table;
  std::set<std::string> names;
  size_t count = 0;
  table.ForEach([&](const CommandEntry& e) {
    ++count;
    CheckEntry(e, &names);
    for (const auto& [name, sub] : e.subcommands) {
      CHECK(sub->parent == &e);
      CHECK(sub->full_name == e.full_name + "|" + name);
      CheckEntry(*sub, &names);
    }
  });
  CHECK(count == table.size());
  CHECK(count > 50);
}

TEST_CASE("lookup ignores case and rejects unknown names") {
  CommandTable table;
  REQUIRE(table.Find("GET") != nullptr);
  CHECK(table.Find("GeT") == table.Find("get"));
  CHECK(table.Find("nosuchcommand") == nullptr);
  CHECK(table.Find(std::string(1000, 'a')) == nullptr);
  const CommandEntry* client = table.Find("client");
  REQUIRE(client != nullptr);
  CHECK(client->FindSubcommand("SETNAME") != nullptr);
  CHECK(client->FindSubcommand("nope") == nullptr);
}

TEST_CASE("the commands of the design are all present") {
  CommandTable table;
  for (const char* name :
       {"ping", "echo", "hello", "auth", "quit", "select", "client", "command", "info", "dbsize",
        "flushall", "flushdb", "config", "time", "memory", "slowlog", "set", "get", "getdel",
        "getex", "getset", "setnx", "setex", "psetex", "mset", "msetnx", "mget", "strlen",
        "append", "getrange", "setrange", "incr", "decr", "incrby", "decrby", "incrbyfloat", "del",
        "unlink", "exists", "touch", "type", "keys", "scan", "randomkey", "rename", "renamenx",
        "ttl", "pttl", "expire", "pexpire", "expireat", "pexpireat", "expiretime", "pexpiretime",
        "persist", "put", "upsert", "batchput", "batchget", "exist", "batchexist", "query",
        "batchquery", "queryregex", "remove", "batchremove", "removeregex", "removeall",
        "getsize", "segment", "acl"}) {
    CHECK_MESSAGE(table.Find(name) != nullptr, name);
  }
  for (const char* sub : {"id", "setname", "getname", "setinfo", "list", "kill"}) {
    CHECK_MESSAGE(table.Find("client")->FindSubcommand(sub) != nullptr, sub);
  }
  for (const char* sub : {"get", "set", "resetstat", "rewrite"}) {
    CHECK_MESSAGE(table.Find("config")->FindSubcommand(sub) != nullptr, sub);
  }
  for (const char* sub : {"count", "docs", "info"}) {
    CHECK_MESSAGE(table.Find("command")->FindSubcommand(sub) != nullptr, sub);
  }
  for (const char* sub : {"mount", "unmount", "list", "query"}) {
    CHECK_MESSAGE(table.Find("segment")->FindSubcommand(sub) != nullptr, sub);
  }
  for (const char* sub : {"whoami", "list", "users"}) {
    CHECK_MESSAGE(table.Find("acl")->FindSubcommand(sub) != nullptr, sub);
  }
  // Every family adds at least one command: the e2e test_command_table.py checks, from
  // the sources, that each family declared in command.h is in the table entry by entry.
  for (auto family : {ConnectionCommands(), StringCommands(), KeyspaceCommands(),
                      ServerCommands(), IntrospectionCommands(), ObjectCommands(),
                      SegmentCommands(), AclCommands()}) {
    REQUIRE(!family.empty());
    for (const CommandSpec& spec : family) CHECK_MESSAGE(table.Find(spec.name) != nullptr, spec.name);
  }
}
