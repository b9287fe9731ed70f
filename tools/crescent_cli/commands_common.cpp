// What every command uses: error replies, output on stdout, the clock.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "tools/crescent_cli/commands.h"

namespace crescent::cli {

const protocol::Reply& Check(const protocol::Reply& reply) {
  if (reply.is_error()) throw ServerError(reply.str);
  return reply;
}

void Print(const std::string& text) {
  // stdout closed early (a pipe into `head`): nothing more can be shown; stop quietly.
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) std::exit(kExitCommand);
}

void EmitJson(const Json& doc) { Print(doc.Dump() + "\n"); }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace crescent::cli
