// ReplyWriter: writes RESP2 or RESP3 replies into a ReplyBuffer. The connection picks
// the protocol (HELLO 3 switches it); command handlers write the same calls either way
// and the writer chooses the encoding:
//
//   call              RESP2                     RESP3
//   Null()            $-1                       _
//   NullArray()       *-1                       _
//   Map(n)            *2n (then k, v, k, v...)  %n
//   Set(n)            *n                        ~n
//   Double(d)         $ bulk "1.5"              ,1.5    (inf / -inf / nan as Redis)
//   Bool(b)           :1 / :0                   #t / #f
//   Verbatim(fmt,s)   $ bulk s                  =len fmt:s
//   BigNumber(s)      $ bulk s                  (s
//   Push(n)           *n                        >n
//
// Doubles are written as Redis 7.0's addReplyDouble writes them: printf's "%.17g" (so
// 3.14 is "3.1400000000000001"; no trimming), "inf" / "-inf" for infinities, and "nan"
// for every NaN (glibc would print "-nan" for a negative one; RESP3 only knows "nan").
// The digits come from std::to_chars, which is specified to match printf and does not
// depend on the locale. One thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "protocol/reply_buffer.h"

namespace crescent::protocol {

class ReplyWriter {
 public:
  explicit ReplyWriter(ReplyBuffer* out) : out_(out) {}

  void set_resp3(bool on) { resp3_ = on; }
  bool resp3() const { return resp3_; }

  void SimpleString(std::string_view s);  // +s   (s must not contain CR or LF)
  void Ok() { out_->Append("+OK\r\n"); }
  // `-` + text. text is the full Redis text including its code, e.g.
  // "ERR syntax error" or "WRONGTYPE Operation against a key holding the wrong kind of value".
  // As Redis's addReplyErrorFormat: CR and LF at either end are trimmed, and those
  // inside are replaced by spaces, so the reply is always one line.
  void Error(std::string_view text);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  // A bulk whose payload is not copied: see ReplyBuffer::AppendExternal.
  void BulkExternal(std::string_view s, std::shared_ptr<const void> keepalive);
  void Null();
  void NullArray();
  void Array(size_t n);
  void Map(size_t n);
  void Set(size_t n);
  void Push(size_t n);
  void Double(double d);
  void Bool(bool b);
  // REQUIRES: format3.size() == 3, e.g. "txt" or "mkd" (otherwise "txt" is used).
  void Verbatim(std::string_view format3, std::string_view s);
  void BigNumber(std::string_view digits);

  ReplyBuffer* buffer() { return out_; }

 private:
  // Room for a type byte, "-9223372036854775808" and CRLF.
  static constexpr size_t kHeaderBytes = 1 + 20 + 2;

  // Writes `type`, the decimal `n` and CRLF in one Append.
  void Header(char type, int64_t n);
  // Writes them into buf; returns the length.
  static size_t FormatHeader(char type, int64_t n, char (&buf)[kHeaderBytes]);
  // head + body + CRLF, in one Append when small.
  void Framed(std::string_view head, std::string_view body);

  ReplyBuffer* out_;
  bool resp3_ = false;
};

}  // namespace crescent::protocol
