// crescent-cli: administration of a Crescent server (status, segments, keys, queries,
// removals, configuration, dump and load). `crescent-cli --help` describes the use; the
// exit codes are 0 ok, 1 command failed, 2 usage error, 3 connection or authentication.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tools/crescent_cli/commands.h"
#include "tools/crescent_cli/dump_file.h"
#include "tools/crescent_cli/options.h"

namespace crescent::cli {
namespace {

constexpr const char* kClusterMessage =
    "the server is not in cluster mode: cluster commands are not available yet (Crescent "
    "runs as a single node; cluster support will come in a later version)";

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// Connects and authenticates. Failures are exit code 3.
void OpenConnection(const Options& o, Connection* conn) {
  std::string where = o.host + ":" + std::to_string(o.port);
  try {
    conn->Open(o.host, o.port, o.timeout_s, o.tls);
  } catch (const ConnectionError& e) {
    throw Failure("cannot connect to " + where + ": " + e.what(), kExitConnection);
  }
  if (o.has_password) {
    protocol::Reply r = o.user.empty() ? conn->Command({"AUTH", o.password})
                                       : conn->Command({"AUTH", o.user, o.password});
    if (r.is_error()) throw Failure("authentication failed at " + where + ": " + r.str, kExitConnection);
  }
  if (o.db != 0) {
    protocol::Reply r = conn->Command({"SELECT", std::to_string(o.db)});
    if (r.is_error()) throw Failure("cannot select database " + std::to_string(o.db) + ": " + r.str, kExitConnection);
  }
}

int Dispatch(Context& c) {
  const std::string& cmd = c.options.command;
  if (cmd == "ping") return RunPing(c);
  if (cmd == "status") return RunStatus(c);
  if (cmd == "info") return RunInfo(c);
  if (cmd == "segments") return RunSegments(c);
  if (cmd == "keys") return RunKeys(c);
  if (cmd == "query") return RunQuery(c);
  if (cmd == "remove-regex") return RunRemoveRegex(c);
  if (cmd == "config") return RunConfig(c);
  if (cmd == "dump") return RunDump(c);
  if (cmd == "load") return RunLoad(c);
  throw Failure("unknown command " + cmd, kExitUsage);
}

int Run(const Options& o) {
  int code;
  std::string message;
  try {
    if (o.command == "cluster") throw Failure(kClusterMessage, kExitCommand);
    Connection conn;
    OpenConnection(o, &conn);
    Context c{o, conn, !o.no_progress && isatty(STDERR_FILENO) == 1};
    return Dispatch(c);
  } catch (const Failure& e) {
    code = e.code;
    message = e.what();
  } catch (const ServerError& e) {
    std::string msg = e.what();
    if (StartsWith(msg, "NOAUTH") || StartsWith(msg, "WRONGPASS")) {
      code = kExitConnection;
      message = "authentication failed: " + msg +
                (o.has_password ? "" : " (give -a/--password or set CRESCENT_PASSWORD)");
    } else {
      code = kExitCommand;
      message = "server error: " + msg;
    }
  } catch (const ConnectionError& e) {
    code = kExitConnection;
    message = "connection to " + o.host + ":" + std::to_string(o.port) + " failed: " + e.what();
  } catch (const DumpError& e) {
    code = kExitCommand;
    message = e.what();
  }
  std::fflush(stdout);
  if (o.json) EmitJson(Json::Object{{"error", Json(message)}, {"exit_code", Json(code)}});
  std::fprintf(stderr, "crescent-cli: %s\n", message.c_str());
  return code;
}

}  // namespace
}  // namespace crescent::cli

int main(int argc, char** argv) {
  using namespace crescent::cli;
  // A closed pipe (`crescent-cli keys '*' | head`) is an EPIPE from the write, which
  // Print() turns into a quiet exit with code 1; a closed socket is a ConnectionError.
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv("CRESCENT_PASSWORD");
  if (env == nullptr) env = std::getenv("REDISCLI_AUTH");
  Options o;
  try {
    o = ParseOptions(args, env);
  } catch (const UsageError& e) {
    std::fputs(UsageLine(e.command).c_str(), stderr);
    std::fprintf(stderr, "crescent-cli: error: %s\n", e.what());
    return kExitUsage;
  }
  if (o.help) {
    std::string help = o.command.empty() ? ToolHelp() : CommandHelp(o.command);
    std::fputs(help.c_str(), stdout);
    return kExitOk;
  }
  int code = Run(o);
  if (std::fflush(stdout) != 0 && code == kExitOk) code = kExitCommand;
  return code;
}
