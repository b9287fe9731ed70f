// RequestParser: an incremental parser of client requests (RESP multibulk and inline),
// with Redis's limits and Redis's exact protocol error texts.
//
// It works on the bytes it is given and reports how many it consumed; it knows nothing
// of sockets. The parser keeps its position across calls, so a request that arrives in
// many pieces (or a 1,000,000-element array) is scanned once, not once per piece.
//
// Usage, per connection (one thread at a time):
//   size_t consumed;
//   switch (parser.Parse(buffer_span, &consumed)) {
//     case kOk:       use parser.args(); drop `consumed` bytes from the front; repeat.
//     case kNeedMore: read more bytes; call again with the same unconsumed bytes (they
//                     may have moved in memory) followed by the new ones.
//     case kError:    reply "-" + parser.error() and close the connection.
//   }
// Invariants: on kNeedMore, *consumed == 0 and the caller keeps every byte; args() are
// valid until the next call to Parse() or until the caller drops the consumed bytes,
// whichever comes first. An empty multibulk (`*0\r\n`, `*-1\r\n`) or an empty inline
// line is consumed and yields kOk with args() empty; callers skip it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crescent::protocol {

struct ParserLimits {
  uint64_t max_bulk_len = 512ull * 1024 * 1024;  // proto-max-bulk-len
  uint64_t max_multibulk_len = 1024ull * 1024 * 1024;  // Redis: INT_MAX
  size_t max_inline_len = 64 * 1024;              // Redis: PROTO_INLINE_MAX_SIZE
};

enum class ParseStatus { kOk, kNeedMore, kError };

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  ParseStatus Parse(std::span<const char> input, size_t* consumed);

  // The arguments of the last complete request (kOk).
  const std::vector<std::string_view>& args() const { return args_; }

  // Redis's text for the last kError, without the leading '-' and without CRLF, e.g.
  // "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // How many bytes of input, counted from the start of the current request, are known
  // to be needed before it can complete (0 when unknown). Lets the connection size its
  // buffer once for a large bulk instead of growing it many times.
  size_t bytes_needed() const { return bytes_needed_; }

  void set_limits(const ParserLimits& limits) { limits_ = limits; }
  void Reset();

 private:
  // Implementation state (resumable position); see request_parser.cpp.
  ParserLimits limits_;
  std::vector<std::string_view> args_;
  std::string error_;
  size_t bytes_needed_ = 0;
  // Multibulk state: number of elements announced, offsets (pos, len) of those parsed
  // so far relative to the start of the request, and where scanning resumes.
  int64_t multibulk_len_ = -1;
  int64_t bulk_len_ = -1;
  size_t pos_ = 0;
  std::vector<std::pair<size_t, size_t>> offsets_;
  // Inline requests may unquote, so their arguments are owned here.
  std::vector<std::string> inline_args_;
};

}  // namespace crescent::protocol
