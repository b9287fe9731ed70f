#include "protocol/reply_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

namespace crescent::protocol {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// Room for "%.17g" of any double ("-2.2250738585072014e-308" is 24 bytes).
constexpr size_t kDoubleBytes = 32;

// Redis 7.0 addReplyDouble's text for d, without framing.
std::string_view FormatDouble(double d, char (&buf)[kDoubleBytes]) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  const auto result = std::to_chars(buf, buf + kDoubleBytes, d, std::chars_format::general, 17);
  return std::string_view(buf, static_cast<size_t>(result.ptr - buf));
}

}  // namespace

size_t ReplyWriter::FormatHeader(char type, int64_t n, char (&buf)[kHeaderBytes]) {
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + kHeaderBytes - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  return static_cast<size_t>(end - buf);
}

void ReplyWriter::Header(char type, int64_t n) {
  char buf[kHeaderBytes];
  out_->Append(std::string_view(buf, FormatHeader(type, n, buf)));
}

void ReplyWriter::SimpleString(std::string_view s) {
  assert(s.find_first_of("\r\n") == std::string_view::npos);
  Framed("+", s);
}

void ReplyWriter::Framed(std::string_view head, std::string_view body) {
  // Each ReplyBuffer::Append costs a capacity check and an out-of-line string append;
  // a small reply (most of them: SET's +OK, GET of a small value) is one.
  constexpr size_t kSmall = 256;
  if (head.size() + body.size() + kCrlf.size() <= kSmall) {
    char buf[kSmall];
    std::memcpy(buf, head.data(), head.size());
    std::memcpy(buf + head.size(), body.data(), body.size());
    std::memcpy(buf + head.size() + body.size(), kCrlf.data(), kCrlf.size());
    out_->Append(std::string_view(buf, head.size() + body.size() + kCrlf.size()));
    return;
  }
  out_->Append(head);
  out_->Append(body);
  out_->Append(kCrlf);
}

void ReplyWriter::Error(std::string_view text) {
  const size_t first = text.find_first_not_of("\r\n");
  text = first == std::string_view::npos ? std::string_view() : text.substr(first);
  text = text.substr(0, text.find_last_not_of("\r\n") + 1);
  out_->Append('-');
  if (text.find_first_of("\r\n") == std::string_view::npos) {
    out_->Append(text);
  } else {
    std::string line(text);
    for (char& c : line) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    out_->Append(line);
  }
  out_->Append(kCrlf);
}

void ReplyWriter::Integer(int64_t v) { Header(':', v); }

void ReplyWriter::Bulk(std::string_view s) {
  char buf[kHeaderBytes];
  Framed(std::string_view(buf, FormatHeader('$', static_cast<int64_t>(s.size()), buf)), s);
}

void ReplyWriter::BulkExternal(std::string_view s, std::shared_ptr<const void> keepalive) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->AppendExternal(s, std::move(keepalive));
  out_->AppendStatic(kCrlf);
}

void ReplyWriter::Null() { out_->Append(resp3_ ? std::string_view("_\r\n") : "$-1\r\n"); }

void ReplyWriter::NullArray() { out_->Append(resp3_ ? std::string_view("_\r\n") : "*-1\r\n"); }

void ReplyWriter::Array(size_t n) { Header('*', static_cast<int64_t>(n)); }

void ReplyWriter::Map(size_t n) {
  if (resp3_) {
    Header('%', static_cast<int64_t>(n));
  } else {
    Header('*', static_cast<int64_t>(2 * n));
  }
}

void ReplyWriter::Set(size_t n) { Header(resp3_ ? '~' : '*', static_cast<int64_t>(n)); }

void ReplyWriter::Push(size_t n) { Header(resp3_ ? '>' : '*', static_cast<int64_t>(n)); }

void ReplyWriter::Double(double d) {
  char buf[kDoubleBytes];
  const std::string_view text = FormatDouble(d, buf);
  if (resp3_) {
    Framed(",", text);
  } else {
    Bulk(text);
  }
}

void ReplyWriter::Bool(bool b) {
  if (resp3_) {
    out_->Append(b ? std::string_view("#t\r\n") : "#f\r\n");
  } else {
    out_->Append(b ? std::string_view(":1\r\n") : ":0\r\n");
  }
}

void ReplyWriter::Verbatim(std::string_view format3, std::string_view s) {
  if (!resp3_) {
    Bulk(s);
    return;
  }
  assert(format3.size() == 3);
  if (format3.size() != 3) format3 = "txt";
  Header('=', static_cast<int64_t>(s.size() + 4));
  out_->Append(format3);
  out_->Append(':');
  out_->Append(s);
  out_->Append(kCrlf);
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (!resp3_) {
    Bulk(digits);
    return;
  }
  Framed("(", digits);
}

}  // namespace crescent::protocol
