// Tests for tools/crescent_cli/options.cpp: redis-cli's habits (-h, -p, -a, --user, -u
// with redis:// and rediss://, --tls --cacert --cert --key), the older long names, the
// order in which options apply, and the usage errors (exit code 2).
#include "tools/crescent_cli/options.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace crescent::cli {
namespace {

Options Parse(std::vector<std::string> argv, const char* env = nullptr) { return ParseOptions(argv, env); }

std::string UsageErrorOf(std::vector<std::string> argv) {
  try {
    ParseOptions(argv, nullptr);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("redis-cli's short options, before or after the command") {
  Options o = Parse({"-h", "10.1.2.3", "-p", "7000", "-a", "pw", "--user", "bob", "ping"});
  CHECK(o.host == "10.1.2.3");
  CHECK(o.port == 7000);
  CHECK(o.has_password);
  CHECK(o.password == "pw");
  CHECK(o.user == "bob");
  CHECK(o.command == "ping");
  o = Parse({"ping", "-p", "7001", "--json"});
  CHECK(o.port == 7001);
  CHECK(o.json);
  o = Parse({"--host", "h", "--port=7002", "--password", "", "status"});
  CHECK(o.host == "h");
  CHECK(o.port == 7002);
  CHECK(o.has_password);
  CHECK(o.password.empty());
}

TEST_CASE("the password comes from the environment unless given") {
  CHECK(Parse({"ping"}, "env").password == "env");
  CHECK(Parse({"-a", "flag", "ping"}, "env").password == "flag");
  CHECK(!Parse({"ping"}).has_password);
}

TEST_CASE("-u URIs, and flags after them win") {
  Options o = Parse({"-u", "redis://alice:s%40cret@example.org:7003/2", "ping"});
  CHECK(o.host == "example.org");
  CHECK(o.port == 7003);
  CHECK(o.user == "alice");
  CHECK(o.password == "s@cret");
  CHECK(o.db == 2);
  CHECK(!o.tls.enabled);
  o = Parse({"-u", "rediss://:pw@[::1]:7004", "ping"});
  CHECK(o.host == "::1");
  CHECK(o.port == 7004);
  CHECK(o.user.empty());
  CHECK(o.password == "pw");
  CHECK(o.tls.enabled);
  o = Parse({"-p", "1", "-u", "redis://h", "ping"});
  CHECK(o.port == 1);  // the URI names no port: the flag's stays
  CHECK(o.host == "h");
  o = Parse({"-u", "redis://h:5", "-p", "6", "ping"});
  CHECK(o.port == 6);
  CHECK(UsageErrorOf({"-u", "http://h", "ping"}).find("redis://") != std::string::npos);
  CHECK(UsageErrorOf({"-u", "redis://h/x", "ping"}).find("database") != std::string::npos);
}

TEST_CASE("TLS options in both spellings") {
  Options o = Parse({"--tls", "--cacert", "ca", "--cert", "c", "--key", "k", "ping"});
  CHECK(o.tls.enabled);
  CHECK(o.tls.ca_file == "ca");
  CHECK(o.tls.cert_file == "c");
  CHECK(o.tls.key_file == "k");
  o = Parse({"--tls-ca", "ca2", "--tls-cert", "c2", "--tls-key", "k2", "ping"});
  CHECK(o.tls.ca_file == "ca2");
  CHECK(o.tls.cert_file == "c2");
  CHECK(o.tls.key_file == "k2");
}

TEST_CASE("commands, their arguments and their options") {
  Options o = Parse({"keys", "user:*", "--count", "5", "--limit", "7"});
  CHECK(o.args == std::vector<std::string>{"user:*"});
  CHECK(o.count == 5);
  CHECK(o.limit == 7);
  o = Parse({"remove-regex", "--dry-run", "^a", "--force", "--sample", "3"});
  CHECK(o.args == std::vector<std::string>{"^a"});
  CHECK((o.dry_run && o.force && o.sample == 3));
  o = Parse({"load", "-", "--relative-ttl", "--batch", "10", "--batch-bytes", "100"});
  CHECK(o.args == std::vector<std::string>{"-"});
  CHECK((o.relative_ttl && o.batch == 10 && o.batch_bytes == 100));
  o = Parse({"config", "set", "maxclients", "10"});
  CHECK(o.args.size() == 3);
  o = Parse({"query", "--", "--odd-key"});
  CHECK(o.args == std::vector<std::string>{"--odd-key"});
  CHECK(Parse({"--help"}).help);
  CHECK(Parse({"dump", "--help"}).help);
  CHECK(Parse({"cluster", "nodes", "--whatever"}).command == "cluster");
}

TEST_CASE("usage errors") {
  CHECK(UsageErrorOf({"bogus-command"}).find("invalid choice") != std::string::npos);
  CHECK(UsageErrorOf({}).find("COMMAND") != std::string::npos);
  CHECK(UsageErrorOf({"query"}).find("KEY") != std::string::npos);
  CHECK(UsageErrorOf({"query", "a", "b"}).find("unrecognized") != std::string::npos);
  CHECK(UsageErrorOf({"config"}).find("ACTION") != std::string::npos);
  CHECK(UsageErrorOf({"config", "set", "maxclients"}).find("NAME VALUE") != std::string::npos);
  CHECK(UsageErrorOf({"config", "drop"}).find("invalid choice") != std::string::npos);
  CHECK(UsageErrorOf({"keys", "*", "--count", "0"}).find("positive integer") != std::string::npos);
  CHECK(UsageErrorOf({"-p", "abc", "ping"}).find("port number") != std::string::npos);
  CHECK(UsageErrorOf({"-p", "70000", "ping"}).find("between 1 and 65535") != std::string::npos);
  CHECK(UsageErrorOf({"--timeout", "-1", "ping"}).find("positive number") != std::string::npos);
  CHECK(UsageErrorOf({"remove-regex", "x", "--no-such-flag"}).find("unrecognized") != std::string::npos);
  CHECK(UsageErrorOf({"ping", "--count", "3"}).find("unrecognized") != std::string::npos);
  CHECK(UsageErrorOf({"-p"}).find("expected one argument") != std::string::npos);
}

TEST_CASE("the help names every command, option and exit code") {
  std::string help = ToolHelp();
  for (const char* s : {"ping", "status", "info", "segments", "keys", "query", "remove-regex", "config",
                        "dump", "load", "cluster", "-h, --host", "-p, --port", "-a, --password", "--user",
                        "-u, --uri", "--tls", "--cacert", "--cert", "--key", "--json", "--timeout",
                        "CRESCENT_PASSWORD", "exit codes:", "0  success", "3  connection"}) {
    CAPTURE(s);
    CHECK(help.find(s) != std::string::npos);
  }
  CHECK(CommandHelp("load").find("--relative-ttl") != std::string::npos);
  CHECK(CommandHelp("nope").empty());
}

}  // namespace
}  // namespace crescent::cli
