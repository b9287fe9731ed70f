// dispatcher_fuzzer: runs the input as one client's pipeline through the request path a
// connection uses (RequestParser, then server::Dispatch for each request) against one
// Server built once without Start() (no sockets, no threads), and checks the replies:
//
//   - each request gets exactly one reply, which is well-formed RESP (RespValidator), in
//     RESP3 only after HELLO 3;
//   - the bytes a command appended are still the same when the buffer is finally
//     written, in pieces, as a connection writes it (Peek / Consume): a large value
//     is appended by reference and must stay pinned while it is in the buffer, even if
//     later commands in the same pipeline overwrite, delete or evict its key;
//   - a protocol error ends the pipeline with one "-ERR Protocol error..." reply;
//   - CONFIG GET's value of every option can be set back with Config::Set.
//
// Two servers ("worlds") are built: a plain one, and one with named users (ACL: users
// with categories and key patterns; every client must then authenticate). An input whose
// first request is `AUTH <user> <password>` runs against the second, any other against
// the first, so that most inputs are not stopped by NOAUTH.
//
// Each input starts from the same state: a new Client, the clock at the same time, the
// store flushed (FLUSHALL through Dispatch), the options and the segments as at start,
// so that a crash reproduces from its input alone. The clock moves 100 ms per command
// and active expiry runs every 16 commands, so TTLs and leases do expire.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "config/options.h"
#include "fuzz/resp_validator.h"
#include "protocol/reply_buffer.h"
#include "protocol/reply_writer.h"
#include "protocol/request_parser.h"
#include "server/client.h"
#include "server/dispatcher.h"
#include "server/server.h"
#include "storage/store.h"

namespace {

using crescent::config::OptionId;
using crescent::protocol::ParserLimits;
using crescent::protocol::ParseStatus;
using crescent::protocol::ReplyBuffer;
using crescent::protocol::ReplyWriter;
using crescent::protocol::RequestParser;

constexpr int64_t kStartMs = 1'700'000'000'000;
constexpr int64_t kTickMs = 100;
constexpr size_t kExpireEvery = 16;
constexpr size_t kMaxCommands = 2000;              // per input: keeps each run short
constexpr size_t kFlushAt = 4 * 1024 * 1024;       // "write" the replies past this size
constexpr size_t kStoreBytes = 32 * 1024 * 1024;
constexpr char kSegment[] = "local";

// Everything built once; never destroyed (the process exits without tearing it down).
struct World {
  crescent::ManualClock clock{kStartMs};
  crescent::config::Config config;
  std::unique_ptr<crescent::server::Server> server;
  std::vector<std::string> option_values;  // per OptionId, as at start
};

World* plain_world = nullptr;
World* acl_world = nullptr;
World* world = nullptr;  // the one the current input runs against

[[noreturn]] void Die(const std::string& what, std::span<const std::string_view> args = {},
                      std::string_view reply = {}) {
  auto escape = [](std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size() && i < 512; ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        out += hex;
      }
    }
    if (s.size() > 512) out += "...(" + std::to_string(s.size()) + " bytes)";
    return out;
  };
  std::fprintf(stderr, "dispatcher_fuzzer: %s\n", what.c_str());
  if (!args.empty()) {
    std::string line;
    for (std::string_view a : args) line += " \"" + escape(a) + "\"";
    std::fprintf(stderr, "  command:%s\n", line.c_str());
  }
  if (!reply.empty()) std::fprintf(stderr, "  reply: \"%s\"\n", escape(reply).c_str());
  std::abort();
}

// The bytes the buffer holds, from offset `from` on, without consuming them.
std::string BytesFrom(const ReplyBuffer& buffer, size_t from) {
  std::vector<ReplyBuffer::Piece> pieces;
  buffer.Peek(&pieces, SIZE_MAX);
  std::string out;
  size_t at = 0;
  for (const auto& piece : pieces) {
    if (at + piece.size > from) {
      const size_t skip = from > at ? from - at : 0;
      out.append(piece.data + skip, piece.size - skip);
    }
    at += piece.size;
  }
  if (at != buffer.size()) Die("Peek() returned " + std::to_string(at) + " bytes, size() is " +
                               std::to_string(buffer.size()));
  return out;
}

// One client's output: each reply is checked when written, remembered, and compared
// with what a connection would finally send.
class Output {
 public:
  Output() : writer_(&buffer_) {}
  ReplyWriter& writer() { return writer_; }

  // Checks what the last command appended: exactly one well-formed reply.
  void CheckReply(std::span<const std::string_view> args) {
    std::string reply = BytesFrom(buffer_, expected_.size());
    crescent::fuzz::RespValidator validator(writer_.resp3());
    if (!validator.ValidateOne(reply)) Die("malformed reply: " + validator.error(), args, reply);
    expected_ += reply;
    if (buffer_.size() >= kFlushAt) Flush();
  }

  // Writes everything out as Connection::Write does: up to 64 pieces at a time, and
  // writes that may stop short; the bytes must be those checked when they were added.
  void Flush() {
    std::string written;
    std::vector<ReplyBuffer::Piece> pieces;
    size_t round = 0;
    while (!buffer_.empty()) {
      buffer_.Peek(&pieces, 64);
      size_t total = 0;
      for (const auto& p : pieces) total += p.size;
      if (pieces.empty() || total == 0) Die("Peek() returned nothing from a non-empty buffer");
      // A short write now and then: half of what was offered, plus one byte.
      const size_t n = ++round % 3 == 0 ? total / 2 + 1 : total;
      size_t left = n;
      for (const auto& p : pieces) {
        const size_t take = std::min(left, p.size);
        written.append(p.data, take);
        left -= take;
        if (left == 0) break;
      }
      buffer_.Consume(n);
    }
    if (written != expected_) {
      size_t at = 0;
      while (at < written.size() && at < expected_.size() && written[at] == expected_[at]) ++at;
      Die("reply bytes changed between the command and the write, first at offset " +
              std::to_string(at),
          {}, std::string_view(written).substr(at > 64 ? at - 64 : 0, 256));
    }
    expected_.clear();
  }

 private:
  ReplyBuffer buffer_;
  ReplyWriter writer_;
  std::string expected_;  // what the buffer must hold
};

void RunCommand(crescent::server::Client& client, Output& out,
                std::span<const std::string_view> args) {
  crescent::server::Dispatch(*world->server, client, out.writer(), args);
  out.CheckReply(args);
}

// Puts everything back as it was at start.
void RestoreWorld() {
  crescent::config::Config& config = world->config;
  for (const auto& spec : crescent::config::AllOptions()) {
    const std::string& want = world->option_values[static_cast<int>(spec.id)];
    if (config.String(spec.id) == want) continue;
    crescent::Status s = config.Set(spec.name, want);
    if (!s.ok()) Die("cannot set " + std::string(spec.name) + " back to '" + want + "': " + s.message());
  }
  spdlog::set_level(spdlog::level::off);
  crescent::storage::Store& store = world->server->store();
  bool local_mounted = false;
  for (const auto& segment : store.Segments()) {
    if (segment.name == kSegment) {
      local_mounted = true;
    } else if (!store.UnmountSegment(segment.name).ok()) {
      Die("cannot unmount segment " + segment.name);
    }
  }
  if (!local_mounted && !store.MountSegment(kSegment, kStoreBytes).ok()) {
    Die("cannot mount the segment back");
  }
  world->clock.Set(kStartMs);
  crescent::server::Client admin(0, "127.0.0.1:1", "127.0.0.1:6379", kStartMs);
  admin.authenticated = true;  // the default user, who may do everything
  Output out;
  static constexpr std::string_view kFlushAll[] = {"FLUSHALL"};
  static constexpr std::string_view kSlowlogReset[] = {"SLOWLOG", "RESET"};
  RunCommand(admin, out, kFlushAll);
  RunCommand(admin, out, kSlowlogReset);
  out.Flush();
  if (store.Size() != 0) Die("FLUSHALL left keys behind");
}

}  // namespace

namespace {

crescent::config::UserSpec User(std::string name, uint32_t categories,
                                std::vector<std::string> keys) {
  crescent::config::UserSpec user;
  user.name = std::move(name);
  user.password_sha256 = crescent::config::Sha256("secret");
  user.categories = categories;
  user.key_patterns = std::move(keys);
  return user;
}

World* MakeWorld(bool named_users) {
  auto* w = new World;
  crescent::Status s = w->config.Set("maxmemory", std::to_string(kStoreBytes));
  if (s.ok()) s = w->config.Set("huge-pages", "no");
  if (s.ok()) s = w->config.Set("persistence", "off");
  if (!s.ok()) Die("config: " + s.message());
  if (named_users) {
    using namespace crescent::config;
    w->config.set_users({User("alice", kCategoryRead | kCategoryWrite, {"user:*", "{a}*"}),
                         User("bob", kCategoryRead, {}), User("root", kCategoryAll, {})});
  }
  for (const auto& spec : crescent::config::AllOptions()) {
    w->option_values.push_back(w->config.String(spec.id));
  }
  crescent::storage::StoreOptions options;
  options.memory_capacity = kStoreBytes;
  options.huge_pages = false;
  options.segment_name = kSegment;
  options.config = &w->config;
  options.background_eviction = false;  // no threads: every run is deterministic
  auto store = crescent::storage::Store::Create(options, &w->clock);
  if (!store.ok()) Die("Store::Create: " + store.status().message());
  w->server = std::make_unique<crescent::server::Server>(&w->config, std::move(store).value(),
                                                        &w->clock);
  return w;
}

// Whether the input's first request is AUTH <user> <password>.
bool StartsWithNamedAuth(const char* data, size_t size) {
  RequestParser parser;
  size_t consumed = 0;
  if (parser.Parse(std::span<const char>(data, size), &consumed) != ParseStatus::kOk) return false;
  const auto& args = parser.args();
  if (args.size() != 3 || args[0].size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if ((args[0][i] | 0x20) != "auth"[i]) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  plain_world = MakeWorld(false);
  acl_world = MakeWorld(true);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  const char* data = reinterpret_cast<const char*>(input);
  world = StartsWithNamedAuth(data, size) ? acl_world : plain_world;
  crescent::server::Server& server = *world->server;
  crescent::server::Client client(1, "127.0.0.1:40000", "127.0.0.1:6379", kStartMs);
  Output out;
  RequestParser parser;
  size_t begin = 0;
  size_t commands = 0;
  while (begin < size && commands < kMaxCommands && !client.close_after_reply) {
    // As Connection::ProcessInput: the limits are read before every request.
    ParserLimits limits;
    limits.max_bulk_len = static_cast<uint64_t>(server.config().Int(OptionId::kProtoMaxBulkLen));
    limits.unauthenticated = crescent::server::AuthRequired(server, client);
    parser.set_limits(limits);
    size_t consumed = 0;
    const ParseStatus status = parser.Parse(std::span<const char>(data + begin, size - begin),
                                            &consumed);
    if (status == ParseStatus::kNeedMore) break;
    if (status == ParseStatus::kError) {
      out.writer().Error(parser.error());
      static constexpr std::string_view kProtocolError[] = {"(protocol error)"};
      out.CheckReply(kProtocolError);
      break;
    }
    if (!parser.args().empty()) {
      RunCommand(client, out, parser.args());
      ++commands;
      world->clock.Advance(kTickMs);
      if (commands % kExpireEvery == 0) server.store().ExpireCycle(1000);
    }
    begin += consumed;
  }
  out.Flush();
  RestoreWorld();
  return 0;
}
