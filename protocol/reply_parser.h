// ReplyParser: the client side of RESP, reading the replies a server writes (RESP2 and
// RESP3), and AppendRequest, writing the requests a client sends.
//
// Two levels, so that a client can take only what it needs:
//   ParseReplyLine  one type-and-header line (`+OK`, `:12`, `$5`, `*3`, `%2`, ...): what a
//                   load generator that skips bulk payloads without copying them needs.
//   ReplyParser     whole replies as a tree of Reply values (aggregates nested), owning
//                   their bytes: what an administration tool needs.
//
// Contract of both, as RequestParser's: they work on the bytes they are given and report
// how many they consumed; kNeedMore means "call again with the same bytes (they may have
// moved in memory) and more after them" (*consumed is then 0); kError means the stream is
// not RESP and the connection must be dropped (*consumed is 0, error() says why). The
// result never depends on how the input was cut into reads.
//
// ReplyParser keeps what it has built across kNeedMore, so a large aggregate (a
// QUERYREGEX reply of a million keys) arriving in many reads is parsed once, not once
// per read: it remembers the offset it reached (from the start of the reply) and the
// aggregates still open. The elements it has copied out own their bytes, so the input may
// move between calls. A bulk whose payload is not all there yet is parsed again from its
// header; bytes_needed() then says how many bytes the reply needs at least, so that the
// caller can read the payload without being called for every piece of it.
//
// Pure code, no sockets; a parser belongs to one connection (one thread at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/request_parser.h"  // ParseStatus

namespace crescent::protocol {

// One reply. `type` is the RESP type byte: '+' simple string, '-' error, ':' integer,
// '$' bulk, '*' array, '_' null, ',' double, '#' boolean, '(' big number, '!' bulk error,
// '=' verbatim, '%' map, '~' set, '>' push. RESP2's null bulk `$-1` and null array `*-1`
// are reported as '_', as RESP3 writes them.
struct Reply {
  char type = '_';
  int64_t integer = 0;              // ':' the value; '#' 1 or 0
  std::string str;                  // '+', '-', '$', ',', '(', '!', '=' (the verbatim text
                                    // after its "txt:" format prefix)
  std::vector<Reply> elements;      // '*', '~', '>'; '%' alternates keys and values

  bool is_null() const { return type == '_'; }
  bool is_error() const { return type == '-' || type == '!'; }
  bool is_string() const { return type == '+' || type == '$' || type == '=' || type == '('; }
  bool is_aggregate() const { return type == '*' || type == '%' || type == '~' || type == '>'; }
  // A map in either protocol: RESP3's '%' or RESP2's flat array of names and values.
  bool is_pairs() const { return type == '%' || (type == '*' && elements.size() % 2 == 0); }
  bool operator==(const Reply&) const = default;
};

// A header line. For '$', '!', '=', '*', '%', '~', '>': `number` is the announced length
// (elements of an aggregate, pairs of a map), -1 for RESP2's null. For ':' the integer.
// For '+', '-', ',', '(', '#', '_': `text` is the line (valid while the input is).
struct ReplyLine {
  char type = 0;
  int64_t number = 0;
  std::string_view text;
};

// Parses the line at the front of `input`. On kOk, *consumed is the line's length with
// its CRLF (a bulk's payload is not included: it follows).
ParseStatus ParseReplyLine(std::span<const char> input, size_t* consumed, ReplyLine* out,
                           std::string* error);

class ReplyParser {
 public:
  // Deepest nesting of aggregates accepted (the server's deepest reply is 3).
  static constexpr int kMaxDepth = 64;

  // `input` starts at the first byte of the reply (after kNeedMore: the same bytes as
  // before, followed by more).
  ParseStatus Parse(std::span<const char> input, size_t* consumed, Reply* out);
  const std::string& error() const { return error_; }
  // After kNeedMore: bytes known to be needed from the start of the reply (0 if unknown).
  size_t bytes_needed() const { return bytes_needed_; }
  // Forgets a reply in progress (a new connection).
  void Reset();

 private:
  // An aggregate still open: where it is in root_, and how many elements it still needs.
  // The pointer stays valid: an aggregate's elements vector grows only by the child after
  // the last one, which is pushed once the last one is complete.
  struct Frame {
    Reply* node;
    uint64_t remaining;
  };
  // Reads one value at pos_: a scalar or bulk (then attached) or an aggregate's header
  // (then opened).
  ParseStatus Step(std::span<const char> input);
  // Places `value` in the tree (as the root or as the next element of the open aggregate).
  void Attach(Reply value, uint64_t elements);

  std::string error_;
  size_t bytes_needed_ = 0;
  size_t pos_ = 0;              // bytes of the reply parsed into root_
  Reply root_;
  bool complete_ = false;       // root_ holds a whole reply
  std::vector<Frame> open_;     // innermost last
};

// Appends `args` as one RESP multibulk request (`*N` then `$len arg` for each).
void AppendRequest(std::string* out, std::span<const std::string_view> args);
// Appends a length line such as "$5\r\n" or "*3\r\n".
void AppendLengthLine(std::string* out, char prefix, uint64_t n);

}  // namespace crescent::protocol
