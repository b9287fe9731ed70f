#include "tools/crescent_cli/options.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace crescent::cli {
namespace {

// One entry per command: what it takes and what --help says of it.
struct CommandEntry {
  std::string_view name;
  std::string_view usage;    // after "crescent-cli [options] NAME"
  std::string_view summary;
  int min_args;
  int max_args;
  std::string_view options;  // the command's own options, one per line ("" for none)
};

constexpr CommandEntry kCommands[] = {
    {"ping", "", "check that the server answers, and how fast", 0, 0, ""},
    {"status", "",
     "a summary: version, uptime, clients, keys, memory and pool, segments, evictions, "
     "leases and pins, hit rate",
     0, 0, ""},
    {"info", "[SECTION]",
     "the server's INFO text (or one section of it: server, clients, memory, stats, "
     "segments, eviction, all, ...)",
     0, 1, ""},
    {"segments", "", "the mounted memory segments (SEGMENT LIST) as a table", 0, 0, ""},
    {"keys", "PATTERN [--count N] [--limit N]",
     "keys matching a glob pattern (walks the keyspace with SCAN, never KEYS)", 1, 1,
     "  --count N    SCAN COUNT hint (default: 1000)\n"
     "  --limit N    stop after this many keys\n"},
    {"query", "KEY",
     "an object's metadata (QUERY): size, version, checksum, TTL, lease, pins, replicas; "
     "exit code 1 if the key does not exist",
     1, 1, ""},
    {"remove-regex", "REGEX [--dry-run] [--force] [--sample N]",
     "remove every object whose key matches a regular expression (RE2, searched anywhere in "
     "the key; anchor with ^ and $)",
     1, 1,
     "  --dry-run    remove nothing: count the matches and show a sample (QUERYREGEX)\n"
     "  --force      remove leased objects too (REMOVEREGEX ... FORCE)\n"
     "  --sample N   keys shown by --dry-run (default: 10)\n"},
    {"config", "get PATTERN | set NAME VALUE | rewrite",
     "read or change the server's configuration: get (CONFIG GET, a glob pattern), set "
     "(CONFIG SET, at run time), rewrite (CONFIG REWRITE, to the configuration file)",
     1, 3, ""},
    {"dump", "FILE [--batch N] [--batch-bytes N]",
     "write every object (key, value, TTL, soft pin, hard pin) to a file; '-' writes to "
     "stdout",
     1, 1,
     "  --batch N        keys per pipeline (default: 1000)\n"
     "  --batch-bytes N  value bytes per GET pipeline (default: 64 MiB)\n"},
    {"load", "FILE [--batch N] [--batch-bytes N] [--relative-ttl]",
     "put every object of a dump file (UPSERT with its remaining TTL, soft pin and hard "
     "pin); '-' reads stdin (checksum checked at the end)",
     1, 1,
     "  --batch N        objects per pipeline (default: 1000)\n"
     "  --batch-bytes N  value bytes per pipeline (default: 64 MiB)\n"
     "  --relative-ttl   count TTLs and soft pins from now, as they were at the dump, instead\n"
     "                   of subtracting the time since the dump (nothing is then skipped)\n"},
    {"cluster", "[ARGS...]",
     "cluster administration: not available yet (the server runs as a single node, not in "
     "cluster mode); exits with code 1",
     0, 1000, ""},
};

const CommandEntry* FindCommand(std::string_view name) {
  for (const CommandEntry& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

constexpr std::string_view kGlobalOptions =
    "options (before or after the command):\n"
    "  -h, --host HOST        server address (default: 127.0.0.1)\n"
    "  -p, --port PORT        server port (default: 6379)\n"
    "  -a, --password PASS    password (default: $CRESCENT_PASSWORD, or $REDISCLI_AUTH)\n"
    "      --user USER        user name for AUTH user password\n"
    "  -u, --uri URI          redis://[user:password@]host[:port][/db]; rediss:// for TLS\n"
    "  -n DB                  database number (SELECT)\n"
    "      --tls              connect with TLS (to the server's tls-port)\n"
    "      --cacert FILE      CA certificate (PEM) that the server's certificate must chain\n"
    "                         to (also --tls-ca); without it the certificate is not checked\n"
    "      --cert FILE        client certificate (PEM) (also --tls-cert)\n"
    "      --key FILE         client private key (PEM) (also --tls-key)\n"
    "      --json             machine-readable output (one JSON document)\n"
    "  -t, --timeout SECONDS  wait for the connection and for each reply (default: 30)\n"
    "      --no-progress      no progress bars on stderr\n"
    "      --help             this help; COMMAND --help: the command's\n";

constexpr std::string_view kEpilog =
    "exit codes:\n"
    "  0  success\n"
    "  1  the command failed: the server replied with an error, the key was not found\n"
    "     (query), objects could not be loaded, a dump file is unreadable or corrupt, or\n"
    "     the command is not available (cluster)\n"
    "  2  usage error: unknown command or option, missing or bad argument\n"
    "  3  connection or authentication failure: cannot connect, TLS handshake failed,\n"
    "     timeout, wrong password or user, authentication required\n"
    "\n"
    "dump files: a binary-safe stream of records (key, value, TTL and soft pin relative to the\n"
    "dump's time, hard pin) behind the magic bytes \\x89CRDUMP\\n, ending with the object count\n"
    "and a SHA-256 of the whole file; the layout is described in docs/cli-dump-format.md.\n"
    "Reading objects leases them (lease-ttl), as any read does: REMOVE refuses them meanwhile.\n"
    "\n"
    "--json prints one JSON document on stdout for every command, errors included\n"
    "({\"error\": ..., \"exit_code\": ...}). Keys that are not UTF-8 are shown with \\xNN escapes.\n"
    "Progress bars (dump, load, remove-regex) go to stderr when it is a terminal.\n"
    "The password may be given in the environment variable CRESCENT_PASSWORD instead of\n"
    "--password (which other users can see in the process list).\n";

int64_t PositiveInt(const std::string& option, const std::string& v, const std::string& cmd) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n <= 0) {
    throw UsageError("argument " + option + ": expected a positive integer, got '" + v + "'", cmd);
  }
  return n;
}

int PortNumber(const std::string& v, const std::string& cmd) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) {
    throw UsageError("argument --port: expected a port number, got '" + v + "'", cmd);
  }
  if (n < 1 || n > 65535) {
    throw UsageError("argument --port: port must be between 1 and 65535, got " + v, cmd);
  }
  return static_cast<int>(n);
}

double PositiveSeconds(const std::string& v, const std::string& cmd) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !(d > 0) || !std::isfinite(d)) {
    throw UsageError("argument --timeout: expected a positive number of seconds, got '" + v + "'", cmd);
  }
  return d;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// `text` in lines of at most `width` columns, every line after the first indented by
// `indent` spaces.
std::string Wrap(std::string_view text, size_t indent, size_t width) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t space = text.find(' ', start);
    std::string_view word = text.substr(start, space == text.npos ? text.npos : space - start);
    start = space == text.npos ? text.size() : space + 1;
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  return out + line;
}

}  // namespace

void ApplyUri(const std::string& uri, Options* o) {
  std::string_view rest = uri;
  bool tls;
  if (rest.starts_with("redis://")) {
    tls = false;
    rest.remove_prefix(8);
  } else if (rest.starts_with("rediss://")) {
    tls = true;
    rest.remove_prefix(9);
  } else {
    throw UsageError("argument -u: the URI must start with redis:// or rediss://, got '" + uri + "'", "");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == rest.npos ? std::string_view() : rest.substr(slash + 1);
  size_t at = authority.rfind('@');
  if (at != authority.npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    size_t colon = userinfo.find(':');
    if (colon == userinfo.npos) {
      // redis-cli: a lone user info is the password (the default user).
      o->password = PercentDecode(userinfo);
    } else {
      std::string user = PercentDecode(userinfo.substr(0, colon));
      if (!user.empty()) o->user = user;
      o->password = PercentDecode(userinfo.substr(colon + 1));
    }
    o->has_password = true;
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {  // [::1]:6379
    size_t close = authority.find(']');
    if (close == authority.npos) throw UsageError("argument -u: bad IPv6 address in '" + uri + "'", "");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(':')) port = after.substr(1);
  } else if (size_t colon = authority.rfind(':'); colon != authority.npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!host.empty()) o->host = std::string(host);
  if (!port.empty()) o->port = PortNumber(std::string(port), "");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (!path.empty()) {
    int db = 0;
    auto [p, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc() || p != path.data() + path.size() || db < 0) {
      throw UsageError("argument -u: the database must be a number, got '" + std::string(path) + "'", "");
    }
    o->db = db;
  }
  o->tls.enabled = o->tls.enabled || tls;
}

Options ParseOptions(const std::vector<std::string>& argv, const char* env_password) {
  Options o;
  if (env_password != nullptr) {
    o.password = env_password;
    o.has_password = true;
  }
  bool options_ended = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (options_ended || a == "-" || a.empty() || a[0] != '-') {
      if (o.command.empty()) {
        if (FindCommand(a) == nullptr) {
          throw UsageError("argument COMMAND: invalid choice: '" + a + "' (choose from ping, status, "
                           "info, segments, keys, query, remove-regex, config, dump, load, cluster)", "");
        }
        o.command = a;
      } else {
        o.args.push_back(a);
      }
      continue;
    }
    if (a == "--") {
      options_ended = true;
      continue;
    }
    // --name=value
    std::string name = a;
    std::string inline_value;
    bool has_inline = false;
    if (a.starts_with("--")) {
      if (size_t eq = a.find('='); eq != a.npos) {
        name = a.substr(0, eq);
        inline_value = a.substr(eq + 1);
        has_inline = true;
      }
    }
    const std::string& cmd = o.command;
    auto value = [&]() -> std::string {
      if (has_inline) return inline_value;
      if (i + 1 >= argv.size()) throw UsageError("argument " + name + ": expected one argument", cmd);
      return argv[++i];
    };
    auto flag = [&]() {
      if (has_inline) throw UsageError("argument " + name + ": ignored explicit argument '" + inline_value + "'", cmd);
    };
    auto command_option = [&](std::initializer_list<std::string_view> commands) {
      for (std::string_view c : commands) {
        if (c == cmd) return true;
      }
      throw UsageError("unrecognized arguments: " + a, cmd);
    };
    if (name == "-h" || name == "--host") {
      o.host = value();
    } else if (name == "-p" || name == "--port") {
      o.port = PortNumber(value(), cmd);
    } else if (name == "-a" || name == "--pass" || name == "--password") {
      o.password = value();
      o.has_password = true;
    } else if (name == "--user") {
      o.user = value();
    } else if (name == "-u" || name == "--uri") {
      ApplyUri(value(), &o);
    } else if (name == "-n") {
      std::string v = value();
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), o.db);
      if (ec != std::errc() || p != v.data() + v.size() || o.db < 0) {
        throw UsageError("argument -n: expected a database number, got '" + v + "'", cmd);
      }
    } else if (name == "--tls") {
      flag();
      o.tls.enabled = true;
    } else if (name == "--cacert" || name == "--tls-ca") {
      o.tls.ca_file = value();
    } else if (name == "--cert" || name == "--tls-cert") {
      o.tls.cert_file = value();
    } else if (name == "--key" || name == "--tls-key") {
      o.tls.key_file = value();
    } else if (name == "--json") {
      flag();
      o.json = true;
    } else if (name == "-t" || name == "--timeout") {
      o.timeout_s = PositiveSeconds(value(), cmd);
    } else if (name == "--no-progress") {
      flag();
      o.no_progress = true;
    } else if (name == "--help") {
      flag();
      o.help = true;
    } else if (name == "--count" && command_option({"keys"})) {
      o.count = PositiveInt(name, value(), cmd);
    } else if (name == "--limit" && command_option({"keys"})) {
      o.limit = PositiveInt(name, value(), cmd);
    } else if (name == "--dry-run" && command_option({"remove-regex"})) {
      flag();
      o.dry_run = true;
    } else if (name == "--force" && command_option({"remove-regex"})) {
      flag();
      o.force = true;
    } else if (name == "--sample" && command_option({"remove-regex"})) {
      o.sample = PositiveInt(name, value(), cmd);
    } else if (name == "--batch" && command_option({"dump", "load"})) {
      o.batch = PositiveInt(name, value(), cmd);
    } else if (name == "--batch-bytes" && command_option({"dump", "load"})) {
      o.batch_bytes = PositiveInt(name, value(), cmd);
    } else if (name == "--relative-ttl" && command_option({"load"})) {
      flag();
      o.relative_ttl = true;
    } else if (o.command == "cluster") {
      o.args.push_back(a);  // the stub takes anything
    } else {
      throw UsageError("unrecognized arguments: " + a, cmd);
    }
  }
  if (o.help) return o;
  if (o.command.empty()) throw UsageError("the following arguments are required: COMMAND", "");
  const CommandEntry* c = FindCommand(o.command);
  int n = static_cast<int>(o.args.size());
  if (o.command == "config") {
    if (n == 0) throw UsageError("the following arguments are required: ACTION (get, set, rewrite)", "config");
    const std::string& action = o.args[0];
    int want = action == "get" ? 2 : action == "set" ? 3 : action == "rewrite" ? 1 : -1;
    if (want < 0) {
      throw UsageError("argument ACTION: invalid choice: '" + action + "' (choose from get, set, rewrite)", "config");
    }
    if (n < want) {
      throw UsageError(action == "get" ? "the following arguments are required: PATTERN"
                                       : "the following arguments are required: NAME VALUE", "config");
    }
    if (n > want) throw UsageError("unrecognized arguments: " + o.args[want], "config");
    return o;
  }
  if (n < c->min_args) {
    throw UsageError("the following arguments are required: " +
                     std::string(c->usage.substr(0, c->usage.find(' '))), o.command);
  }
  if (n > c->max_args) throw UsageError("unrecognized arguments: " + o.args[c->max_args], o.command);
  return o;
}

std::string UsageLine(const std::string& command) {
  const CommandEntry* c = FindCommand(command);
  if (c == nullptr) return "usage: crescent-cli [options] COMMAND [ARGS...] (crescent-cli --help)\n";
  return "usage: crescent-cli [options] " + std::string(c->name) +
         (c->usage.empty() ? "" : " " + std::string(c->usage)) + "\n";
}

std::string ToolHelp() {
  std::string out =
      "usage: crescent-cli [options] COMMAND [ARGS...]\n"
      "\n"
      "Administer a Crescent server.\n"
      "\n"
      "commands:\n";
  for (const CommandEntry& c : kCommands) {
    std::string head = "  " + std::string(c.name);
    out += head + std::string(head.size() < 16 ? 16 - head.size() : 1, ' ') + Wrap(c.summary, 16, 90) + "\n";
  }
  out += "\n";
  out += kGlobalOptions;
  out += "\n";
  out += kEpilog;
  return out;
}

std::string CommandHelp(const std::string& command) {
  const CommandEntry* c = FindCommand(command);
  if (c == nullptr) return "";
  std::string out = UsageLine(command) + "\n" + Wrap(c->summary, 0, 90) + "\n";
  if (!c->options.empty()) out += "\noptions of " + std::string(c->name) + ":\n" + std::string(c->options);
  out += "\n";
  out += kGlobalOptions;
  return out;
}

}  // namespace crescent::cli
