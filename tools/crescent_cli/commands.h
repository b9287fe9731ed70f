// The commands of crescent-cli, one function each. A command writes its result on stdout
// (text, or one JSON document with --json) and returns the exit code; it reports a failure
// by throwing Failure (the message and the exit code), ConnectionError (exit code 3), or
// ServerError for an error reply (exit code 1, or 3 for NOAUTH / WRONGPASS): main() prints
// those, as text on stderr and, with --json, as {"error", "exit_code"} on stdout.
// Exceptions rather than Status here: the tool gives up on its first failure, and they
// carry the exit code from wherever it is found to the one place that reports it.
#pragma once

#include <stdexcept>
#include <string>

#include "tools/crescent_cli/connection.h"
#include "tools/crescent_cli/json.h"
#include "tools/crescent_cli/options.h"

namespace crescent::cli {

class Failure : public std::runtime_error {
 public:
  Failure(const std::string& message, int code = kExitCommand) : std::runtime_error(message), code(code) {}
  int code;
};

// An error reply (its text, e.g. "ERR invalid regular expression ...").
class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Context {
  const Options& options;
  Connection& conn;
  bool progress;  // draw progress on stderr
};

// Throws ServerError if `reply` is an error reply; returns it otherwise.
const protocol::Reply& Check(const protocol::Reply& reply);
// Writes `doc` and a newline on stdout.
void EmitJson(const Json& doc);
// Writes `text` on stdout.
void Print(const std::string& text);
int64_t NowMs();

// commands_server.cpp
int RunPing(Context& c);
int RunStatus(Context& c);
int RunInfo(Context& c);
int RunSegments(Context& c);
int RunConfig(Context& c);
// commands_keys.cpp
int RunKeys(Context& c);
int RunQuery(Context& c);
int RunRemoveRegex(Context& c);
// commands_dump.cpp
int RunDump(Context& c);
int RunLoad(Context& c);

}  // namespace crescent::cli
