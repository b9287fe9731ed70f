// Options: crescent-cli's command line, parsed by hand in redis-cli's habits: -h host,
// -p port, -a password, --user, -u redis://[user:pass@]host:port[/db] (rediss:// for TLS),
// --tls --cacert --cert --key, then a COMMAND and its arguments. Global options may stand
// before or after the command; options are applied in order, so a flag after -u wins over
// the URI and the URI wins over the flags before it. The older long names (--host, --port,
// --password, --tls-ca, --tls-cert, --tls-key) are accepted too.
//
// Usage errors (exit code 2) are thrown as UsageError; --help is reported in `help`.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/crescent_cli/connection.h"

namespace crescent::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitCommand = 1,     // the command failed
  kExitUsage = 2,       // unknown command or option, missing or bad argument
  kExitConnection = 3,  // cannot connect, TLS, timeout, authentication
};

class UsageError : public std::runtime_error {
 public:
  UsageError(const std::string& message, std::string command)
      : std::runtime_error(message), command(std::move(command)) {}
  std::string command;  // the command whose usage to show, "" for the tool's
};

struct Options {
  // Connection.
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  bool has_password = false;  // an empty password is a password
  std::string user;
  int db = 0;
  TlsSettings tls;
  double timeout_s = 30;
  // Output.
  bool json = false;
  bool no_progress = false;
  // What to do.
  bool help = false;             // --help: the tool's help, or the command's if one is given
  std::string command;           // "ping", "status", ... ("" with --help alone)
  std::vector<std::string> args;  // the command's positional arguments
  // Options of the commands (each command reads its own).
  int64_t count = 1000;        // keys: SCAN COUNT
  int64_t limit = 0;           // keys: 0 = no limit
  bool dry_run = false;        // remove-regex
  bool force = false;          // remove-regex
  int64_t sample = 10;         // remove-regex --dry-run
  int64_t batch = 1000;        // dump, load
  int64_t batch_bytes = 64ll << 20;  // dump, load
  bool relative_ttl = false;   // load
};

// Parses argv (without argv[0]). The password defaults to $CRESCENT_PASSWORD (or
// $REDISCLI_AUTH), passed in `env_password` (nullptr when unset). Throws UsageError.
Options ParseOptions(const std::vector<std::string>& argv, const char* env_password);

// Applies a redis:// or rediss:// URI to `o`. Throws UsageError when it is malformed.
void ApplyUri(const std::string& uri, Options* o);

// The tool's help (--help) and a command's help (COMMAND --help); "" if no such command.
std::string ToolHelp();
std::string CommandHelp(const std::string& command);
// The one-line usage shown with usage errors.
std::string UsageLine(const std::string& command);

}  // namespace crescent::cli
