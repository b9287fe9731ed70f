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
// line is consumed and yields kOk with args() empty; callers skip it. On kError,
// *consumed == 0 and the parser stays failed (every later Parse() returns kError with
// the same text) until Reset().
//
// Where Redis's answer depends on how the bytes were split into reads, the parser gives
// the answer Redis gives when they arrive one byte at a time, so that the result never
// depends on the split: a line (inline request, `*N`, `$N`) whose terminator lies more
// than max_inline_len bytes after its start is an error even if it arrived whole.
// Lines are searched with memchr, not strchr, so a NUL byte does not stall the parser;
// inside an inline request a NUL ends the line's arguments, as in Redis's sdssplitargs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crescent::protocol {

struct ParserLimits {
  uint64_t max_bulk_len = 512ull * 1024 * 1024;  // proto-max-bulk-len
  uint64_t max_multibulk_len = 1024ull * 1024 * 1024;  // Redis: INT_MAX
  size_t max_inline_len = 64 * 1024;              // Redis: PROTO_INLINE_MAX_SIZE
  // A client that has not authenticated yet (while a password is required) may only
  // send small requests, as Redis allows, so that it cannot make the server buffer
  // much before it has proved who it is.
  bool unauthenticated = false;
  uint64_t unauthenticated_max_multibulk_len = 10;
  uint64_t unauthenticated_max_bulk_len = 16384;
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

  // Receiving a large bulk somewhere else. After kNeedMore, when the parser is inside
  // the payload of a bulk whose length it knows, pending_bulk() describes it: which
  // argument it is, its length, and where its payload starts (from the request start).
  // The caller may then move the payload elsewhere (e.g. read it from the socket
  // straight into the value's replica): it truncates its input at `offset` and, once it
  // holds all `length` bytes, calls TakePendingBulk with them. The input must then go on
  // with the bytes that follow the payload (its CRLF). The external bytes are returned by
  // args() like any other argument and must stay valid until the request is consumed.
  struct PendingBulk {
    size_t index;   // argument number (0: the command name)
    size_t length;
    size_t offset;  // of the first payload byte, from the start of the request
  };
  std::optional<PendingBulk> pending_bulk() const;
  void TakePendingBulk(std::string_view external);
  // The i-th argument already parsed of the request in progress (i < pending index).
  std::string_view parsed_arg(std::span<const char> input, size_t i) const;

 private:
  // What the parser is in the middle of. The caller always passes the input from the
  // start of the current request, so every position below is relative to that start
  // and survives the bytes moving in memory.
  enum class State : unsigned char { kStart, kInline, kMultibulk, kFailed };

  // Looks for the CR that ends the line starting at pos_ and for the byte after it.
  // Returns kOk with *cr set, kNeedMore (scan_ remembers how far it looked), or kError
  // with `too_big` when the line is longer than max_inline_len.
  ParseStatus FindLine(const char* data, size_t n, const char* too_big, size_t* cr);
  ParseStatus ParseInline(const char* data, size_t n, size_t* consumed);
  ParseStatus ParseMultibulk(const char* data, size_t n, size_t* consumed);
  ParseStatus Fail(std::string text);
  // Forgets the finished request; keeps limits_ and the vectors' capacity.
  void StartNextRequest();

  ParserLimits limits_;
  State state_ = State::kStart;
  std::vector<std::string_view> args_;
  std::string error_;
  size_t bytes_needed_ = 0;
  // Multibulk state: number of elements announced (-1 until the `*N` line is read),
  // length of the bulk being read (-1 until its `$N` line is read), offset of the next
  // unparsed byte, and offsets (pos, len) of the elements parsed so far.
  int64_t multibulk_len_ = -1;
  int64_t bulk_len_ = -1;
  size_t pos_ = 0;
  std::vector<std::pair<size_t, size_t>> offsets_;  // pos kExternal: external_[len]
  std::vector<std::string_view> external_;
  // Bytes to skip before the next header: the CRLF after an external payload.
  size_t skip_ = 0;
  // Where the search for the current line's terminator resumes (>= pos_), so a long
  // line arriving in small pieces is scanned once.
  size_t scan_ = 0;
  // Inline requests may unquote, so their arguments are owned here.
  std::vector<std::string> inline_args_;
};

}  // namespace crescent::protocol
