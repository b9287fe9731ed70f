// RespValidator: checks that bytes are well-formed RESP replies, as a client library
// would read them. Used by the fuzzers (test code only; the server never parses replies).
//
// What it accepts is what protocol::ReplyWriter may write: in RESP2, + - : $ * (with
// $-1 and *-1 for nulls); in RESP3 also _ , # = ( % ~ >, and no $-1 / *-1 (RESP3 has _).
// It is stricter than a client where the server's own rules are stricter: integers in
// Redis's form (no '+', no leading zeros), simple strings and errors on one line, an
// error that starts with an upper-case code ("ERR", "WRONGTYPE", "INVALID_PARAMS"...),
// doubles that from_chars reads whole, verbatim strings with a three-letter format.
//
// Not thread-safe; no allocation beyond the error text.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crescent::fuzz {

class RespValidator {
 public:
  explicit RespValidator(bool resp3) : resp3_(resp3) {}

  // Whether `bytes` is exactly one complete reply. On failure, error() says why and where.
  bool ValidateOne(std::string_view bytes) {
    size_t pos = 0;
    if (!Value(bytes, &pos, 0)) return false;
    if (pos != bytes.size()) return Fail(pos, "bytes after the end of the reply");
    return true;
  }

  // Whether `bytes` is a sequence of complete replies; counts them into *count.
  bool ValidateAll(std::string_view bytes, size_t* count) {
    size_t pos = 0;
    *count = 0;
    while (pos < bytes.size()) {
      if (!Value(bytes, &pos, 0)) return false;
      ++*count;
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  static constexpr int kMaxDepth = 64;

  bool Fail(size_t pos, std::string_view why) {
    error_ = std::string(why) + " at offset " + std::to_string(pos);
    return false;
  }

  // The line starting at *pos (without CRLF); moves *pos past the CRLF.
  bool Line(std::string_view s, size_t* pos, std::string_view* line) {
    const size_t cr = s.find("\r\n", *pos);
    if (cr == std::string_view::npos) return Fail(*pos, "unterminated line");
    *line = s.substr(*pos, cr - *pos);
    if (line->find_first_of("\r\n") != std::string_view::npos) {
      return Fail(*pos, "CR or LF inside a line");
    }
    *pos = cr + 2;
    return true;
  }

  // Redis's integer form: "0", or an optional '-' then digits without a leading zero.
  static bool Integer(std::string_view t, int64_t* out) {
    if (t.empty() || t == "-" || t[0] == '+') return false;
    const size_t digits = t[0] == '-' ? 1 : 0;
    if (t.size() > digits + 1 && t[digits] == '0') return false;
    if (t == "-0") return false;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
    return ec == std::errc() && end == t.data() + t.size();
  }

  bool Length(std::string_view s, size_t* pos, int64_t* n, bool null_allowed) {
    const size_t at = *pos;
    std::string_view line;
    if (!Line(s, pos, &line)) return false;
    if (!Integer(line, n)) return Fail(at, "bad length");
    if (*n < -1 || (*n == -1 && !null_allowed)) return Fail(at, "bad length");
    return true;
  }

  bool Payload(std::string_view s, size_t* pos, int64_t n) {
    if (static_cast<uint64_t>(n) > s.size() - *pos ||
        s.size() - *pos - static_cast<size_t>(n) < 2) {
      return Fail(*pos, "bulk payload shorter than its length");
    }
    *pos += static_cast<size_t>(n);
    if (s.substr(*pos, 2) != "\r\n") return Fail(*pos, "bulk payload not followed by CRLF");
    *pos += 2;
    return true;
  }

  bool Elements(std::string_view s, size_t* pos, int64_t n, int depth) {
    for (int64_t i = 0; i < n; ++i) {
      if (!Value(s, pos, depth + 1)) return false;
    }
    return true;
  }

  bool Value(std::string_view s, size_t* pos, int depth) {
    if (depth > kMaxDepth) return Fail(*pos, "nested too deeply");
    if (*pos >= s.size()) return Fail(*pos, "missing reply");
    const size_t at = *pos;
    const char type = s[(*pos)++];
    const bool v3 = resp3_;
    std::string_view line;
    int64_t n = 0;
    switch (type) {
      case '+':
        return Line(s, pos, &line);
      case '-': {
        if (!Line(s, pos, &line)) return false;
        size_t code = 0;
        while (code < line.size() &&
               ((line[code] >= 'A' && line[code] <= 'Z') || line[code] == '_' ||
                (line[code] >= '0' && line[code] <= '9'))) {
          ++code;
        }
        if (code == 0 || (code < line.size() && line[code] != ' ')) {
          return Fail(at, "error reply without an upper-case code");
        }
        return true;
      }
      case ':':
        if (!Line(s, pos, &line)) return false;
        if (!Integer(line, &n)) return Fail(at, "bad integer");
        return true;
      case '$':
        if (!Length(s, pos, &n, !v3)) return false;
        return n < 0 || Payload(s, pos, n);
      case '*':
        if (!Length(s, pos, &n, !v3)) return false;
        return n < 0 || Elements(s, pos, n, depth);
      default:
        break;
    }
    if (!v3) return Fail(at, std::string("RESP3 type in a RESP2 reply: ") + type);
    switch (type) {
      case '%':
        if (!Length(s, pos, &n, false)) return false;
        if (n > INT64_MAX / 2) return Fail(at, "bad map length");
        return Elements(s, pos, 2 * n, depth);
      case '~':
      case '>':
        if (!Length(s, pos, &n, false)) return false;
        return Elements(s, pos, n, depth);
      case '_':
        if (!Line(s, pos, &line)) return false;
        return line.empty() || Fail(at, "null with a payload");
      case '#':
        if (!Line(s, pos, &line)) return false;
        return line == "t" || line == "f" || Fail(at, "bad boolean");
      case ',': {
        if (!Line(s, pos, &line)) return false;
        if (line == "inf" || line == "-inf" || line == "nan") return true;
        double d = 0;
        const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), d);
        if (line.empty() || ec != std::errc() || end != line.data() + line.size()) {
          return Fail(at, "bad double");
        }
        return true;
      }
      case '(': {
        if (!Line(s, pos, &line)) return false;
        size_t i = !line.empty() && line[0] == '-' ? 1 : 0;
        if (i == line.size()) return Fail(at, "bad big number");
        for (; i < line.size(); ++i) {
          if (line[i] < '0' || line[i] > '9') return Fail(at, "bad big number");
        }
        return true;
      }
      case '=':
        if (!Length(s, pos, &n, false)) return false;
        if (n < 4 || s.size() - *pos < 4 || s[*pos + 3] != ':') {
          return Fail(at, "verbatim string without its 'fmt:' prefix");
        }
        return Payload(s, pos, n);
      default:
        return Fail(at, "unknown reply type");
    }
  }

  const bool resp3_;
  std::string error_;
};

}  // namespace crescent::fuzz
