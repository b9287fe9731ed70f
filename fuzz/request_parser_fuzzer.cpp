// request_parser_fuzzer: feeds the input to protocol::RequestParser in pieces, as a
// connection receives it, and checks the contract stated in protocol/request_parser.h:
//
//   - *consumed never exceeds the input; kNeedMore and kError consume nothing; kOk
//     consumes at least one byte;
//   - the arguments of a multibulk request lie inside the bytes it consumed, and no
//     request's arguments add up to more bytes than it consumed;
//   - on kNeedMore, bytes_needed() is 0 or more than the bytes given;
//   - after kError the parser stays failed with the same text, an "ERR ..." line,
//     until Reset();
//   - the split does not matter: the same bytes parsed in one piece give the same
//     requests, the same error (or the same unconsumed tail) as parsed in pieces;
//   - protocol::PipelinedKeys (the prefetch look-ahead) reads only inside the stream,
//     and every key it finds is the second argument of the request the parser made at
//     the same position.
//
// Each Parse() of the pieced run gets a fresh heap copy of the unconsumed bytes, exactly
// as long as they are, so that a read past the end or through a pointer kept from an
// earlier call is caught by ASan.
//
// Input layout: the first kHeaderSize bytes choose how to run, the rest is the stream.
//   h[0] bits 0-1  piece sizes: up to 4, 32, 1024 bytes or up to the whole stream
//        bit 2     small limits (h[1], h[2] pick them) instead of Redis's
//        bit 3     unauthenticated (the smaller limits of a client that has not AUTHed)
//        bit 4     the limits alternate between the two sets after each request
//   h[3..7]        seed of the piece sizes
// A shorter input is all header (an empty stream).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/pipeline_scan.h"
#include "protocol/request_parser.h"

namespace {

using crescent::protocol::ParserLimits;
using crescent::protocol::ParseStatus;
using crescent::protocol::RequestParser;

constexpr size_t kHeaderSize = 8;
// At most this many pieces, so that a 64 KiB input is not copied 64 Ki times.
constexpr size_t kMaxPieces = 256;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "request_parser_fuzzer: invariant broken: %s\n", what);
  std::abort();
}

struct Plan {
  ParserLimits first;
  ParserLimits second;
  bool alternate = false;
  size_t max_piece = 0;
  uint64_t seed = 0;

  const ParserLimits& LimitsFor(size_t request_index) const {
    return alternate && request_index % 2 == 1 ? second : first;
  }
};

Plan MakePlan(const uint8_t* h, size_t stream_size) {
  Plan plan;
  ParserLimits small;
  small.max_inline_len = h[1] % 64;
  small.max_bulk_len = h[2] % 32;
  small.max_multibulk_len = 1 + (h[1] >> 4);
  small.unauthenticated_max_multibulk_len = 1 + h[2] % 4;
  small.unauthenticated_max_bulk_len = (h[2] >> 2) % 16;
  ParserLimits redis;  // the defaults: Redis's limits
  const bool use_small = h[0] & 4;
  plan.first = use_small ? small : redis;
  plan.second = use_small ? redis : small;
  plan.first.unauthenticated = h[0] & 8;
  plan.second.unauthenticated = !(h[0] & 8);
  plan.alternate = h[0] & 16;
  static constexpr size_t kPieceClasses[] = {4, 32, 1024, 0};
  size_t max_piece = kPieceClasses[h[0] & 3];
  if (max_piece == 0) max_piece = stream_size;
  plan.max_piece = std::max<size_t>({max_piece, stream_size / kMaxPieces, 1});
  for (int i = 3; i < 8; ++i) plan.seed = plan.seed << 8 | h[i];
  return plan;
}

// splitmix64: the piece sizes.
uint64_t Next(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct Outcome {
  std::vector<std::vector<std::string>> requests;  // empty requests included
  bool failed = false;
  std::string error;
  size_t unconsumed = 0;  // bytes kept at the end (kNeedMore)
};

// One Parse() call with every per-call check. Returns the status and what was consumed;
// on kOk, appends the request to `out`.
ParseStatus Step(RequestParser& parser, const char* data, size_t n, size_t* consumed,
                 Outcome* out) {
  *consumed = 0xdeadbeef;
  const ParseStatus status = parser.Parse(std::span<const char>(data, n), consumed);
  switch (status) {
    case ParseStatus::kNeedMore:
      Check(*consumed == 0, "kNeedMore consumed bytes");
      Check(parser.bytes_needed() == 0 || parser.bytes_needed() > n,
            "kNeedMore while bytes_needed() <= the bytes given");
      break;
    case ParseStatus::kError: {
      Check(*consumed == 0, "kError consumed bytes");
      const std::string& error = parser.error();
      Check(error.rfind("ERR ", 0) == 0, "error text does not start with \"ERR \"");
      Check(error.find_first_of("\r\n") == std::string::npos, "error text has CR or LF");
      break;
    }
    case ParseStatus::kOk: {
      Check(*consumed > 0, "kOk consumed nothing");
      Check(*consumed <= n, "consumed more than the input");
      const bool multibulk = data[0] == '*';
      size_t total = 0;
      std::vector<std::string> request;
      for (std::string_view arg : parser.args()) {
        total += arg.size();
        if (multibulk) {
          Check(arg.data() >= data && arg.data() + arg.size() <= data + *consumed,
                "argument outside the bytes consumed");
        }
        request.emplace_back(arg);
      }
      Check(total <= *consumed, "arguments longer than the bytes consumed");
      out->requests.push_back(std::move(request));
      break;
    }
  }
  return status;
}

// After kError: the parser stays failed with the same text; Reset() revives it.
void CheckFailedThenReset(RequestParser& parser, const char* data, size_t n) {
  const std::string error = parser.error();
  size_t consumed = 1;
  Check(parser.Parse(std::span<const char>(data, n), &consumed) == ParseStatus::kError,
        "a failed parser did not fail again");
  Check(consumed == 0, "a failed parser consumed bytes");
  Check(parser.error() == error, "a failed parser changed its error text");
  parser.Reset();
  parser.set_limits(ParserLimits{});
  static constexpr char kPing[] = "*1\r\n$4\r\nPING\r\n";
  Outcome ping;
  Check(Step(parser, kPing, sizeof kPing - 1, &consumed, &ping) == ParseStatus::kOk &&
            consumed == sizeof kPing - 1 &&
            ping.requests.back() == std::vector<std::string>{"PING"},
        "Reset() did not make the parser usable again");
}

// The whole stream in one piece: the unconsumed tail is always at the same address.
Outcome ParseWhole(const char* data, size_t n, const Plan& plan) {
  Outcome out;
  RequestParser parser;
  size_t begin = 0;
  for (;;) {
    parser.set_limits(plan.LimitsFor(out.requests.size()));
    size_t consumed = 0;
    const ParseStatus status = Step(parser, data + begin, n - begin, &consumed, &out);
    if (status == ParseStatus::kOk) {
      begin += consumed;
      continue;
    }
    if (status == ParseStatus::kError) {
      out.failed = true;
      out.error = parser.error();
      CheckFailedThenReset(parser, data + begin, n - begin);
    } else {
      out.unconsumed = n - begin;
    }
    return out;
  }
}

// The stream in pieces, as reads from a socket: after each piece arrives, the unconsumed
// bytes are copied to a new, exactly sized allocation (as a connection that compacts or
// grows its buffer moves them), then parsed until kNeedMore.
Outcome ParsePieces(const char* data, size_t n, const Plan& plan) {
  Outcome out;
  RequestParser parser;
  std::string pending;
  uint64_t rng = plan.seed;
  size_t fed = 0;
  while (fed < n) {
    const size_t piece = std::min<size_t>(n - fed, 1 + Next(&rng) % plan.max_piece);
    pending.append(data + fed, piece);
    fed += piece;
    const size_t size = pending.size();
    std::unique_ptr<char[]> copy(new char[size]);
    std::memcpy(copy.get(), pending.data(), size);
    size_t begin = 0;
    for (;;) {
      parser.set_limits(plan.LimitsFor(out.requests.size()));
      size_t consumed = 0;
      const ParseStatus status = Step(parser, copy.get() + begin, size - begin, &consumed, &out);
      if (status == ParseStatus::kNeedMore) break;
      if (status == ParseStatus::kError) {
        out.failed = true;
        out.error = parser.error();
        CheckFailedThenReset(parser, copy.get() + begin, size - begin);
        return out;
      }
      begin += consumed;
    }
    pending.erase(0, begin);
  }
  // Nothing more arrives: the parser must still want more, for the same tail.
  if (!pending.empty()) {
    size_t consumed = 0;
    std::unique_ptr<char[]> copy(new char[pending.size()]);
    std::memcpy(copy.get(), pending.data(), pending.size());
    parser.set_limits(plan.LimitsFor(out.requests.size()));
    Check(Step(parser, copy.get(), pending.size(), &consumed, &out) == ParseStatus::kNeedMore,
          "the parser changed its mind about an unchanged tail");
  }
  out.unconsumed = pending.size();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  uint8_t header[kHeaderSize] = {};
  std::memcpy(header, input, std::min(size, kHeaderSize));
  if (size <= kHeaderSize) return 0;
  const char* data = reinterpret_cast<const char*>(input) + kHeaderSize;
  const size_t n = size - kHeaderSize;
  const Plan plan = MakePlan(header, n);

  const Outcome whole = ParseWhole(data, n, plan);
  const Outcome pieces = ParsePieces(data, n, plan);
  if (whole.requests != pieces.requests || whole.failed != pieces.failed ||
      whole.error != pieces.error || whole.unconsumed != pieces.unconsumed) {
    std::fprintf(stderr,
                 "request_parser_fuzzer: the split changed the result\n"
                 "  whole:  %zu requests, %s '%s', %zu bytes unconsumed\n"
                 "  pieces: %zu requests, %s '%s', %zu bytes unconsumed (pieces of up to %zu)\n",
                 whole.requests.size(), whole.failed ? "failed" : "ok", whole.error.c_str(),
                 whole.unconsumed, pieces.requests.size(), pieces.failed ? "failed" : "ok",
                 pieces.error.c_str(), pieces.unconsumed, plan.max_piece);
    const size_t common = std::min(whole.requests.size(), pieces.requests.size());
    for (size_t i = 0; i < common; ++i) {
      if (whole.requests[i] != pieces.requests[i]) {
        std::fprintf(stderr, "  first difference: request %zu\n", i);
        break;
      }
    }
    std::abort();
  }

  // The look-ahead, on an exact-size copy so that ASan sees any read past the end.
  std::unique_ptr<char[]> copy(new char[n]);
  std::memcpy(copy.get(), data, n);
  std::string_view keys[16];
  const size_t found = crescent::protocol::PipelinedKeys(std::span<const char>(copy.get(), n), keys);
  Check(found <= 16, "PipelinedKeys found more keys than it had room for");
  for (size_t i = 0; i < found; ++i) {
    Check(keys[i].data() >= copy.get() && keys[i].data() + keys[i].size() <= copy.get() + n,
          "a key found by PipelinedKeys lies outside the input");
    // The parser may have stopped earlier (its limits); where it made the request, the
    // key must be that request's second argument.
    if (i < whole.requests.size()) {
      Check(whole.requests[i].size() >= 2 && whole.requests[i][1] == keys[i],
            "PipelinedKeys disagrees with the parser about a request's key");
    }
  }
  return 0;
}
