// RequestParser: follows Redis 7's processInlineBuffer / processMultibulkBuffer
// (networking.c) and sdssplitargs (sds.c), keeping their limits and error texts, but as
// a resumable state machine over a caller-owned span instead of a query buffer.
//
// Resumption: the caller passes the input from the start of the current request every
// time (bytes it has not been told to drop), possibly at a new address. So the parser
// stores offsets, never pointers, and turns them into string_views only when the
// request completes. Each byte is examined once by memchr; a bulk payload is never
// scanned, only skipped.
#include "protocol/request_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace crescent::protocol {

namespace {
// Marks an argument held outside the input (see TakePendingBulk).
constexpr size_t kExternal = SIZE_MAX;
}  // namespace
namespace {

constexpr const char* kTooBigInline = "ERR Protocol error: too big inline request";
constexpr const char* kUnbalancedQuotes = "ERR Protocol error: unbalanced quotes in request";
constexpr const char* kInvalidMultibulkLen = "ERR Protocol error: invalid multibulk length";
constexpr const char* kTooBigMbulkCount = "ERR Protocol error: too big mbulk count string";
constexpr const char* kTooBigBulkCount = "ERR Protocol error: too big bulk count string";
constexpr const char* kInvalidBulkLen = "ERR Protocol error: invalid bulk length";

// Do not reserve room for more elements than this up front: the count comes from the
// client, and `*1000000000\r\n` alone must not allocate gigabytes.
constexpr size_t kMaxInitialReserve = 1024;
// Between requests, vectors bigger than this give their memory back: one huge request
// must not pin tens of MiB for the rest of the connection's life.
constexpr size_t kMaxKeptCapacity = 4096;

template <typename T>
void ClearAndTrim(std::vector<T>* v) {
  if (v->capacity() > kMaxKeptCapacity) {
    std::vector<T>().swap(*v);
  } else {
    v->clear();
  }
}

// Redis's string2ll: optional '-', no '+', no spaces, no leading zeros ("0" itself is
// fine, "-0" is not), no overflow. Protocol lengths must be in exactly this form.
bool ParseLongLong(const char* s, size_t len, int64_t* out) {
  constexpr size_t kMaxDigits = 20;  // Redis rejects slen >= LONG_STR_SIZE (21)
  if (len == 0 || len > kMaxDigits) return false;
  if (len == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative && ++i == len) return false;
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// isspace() in the C locale, which is what sdssplitargs runs under.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// sdssplitargs, byte for byte. sdssplitargs reads a NUL-terminated string, so a NUL
// inside the line ends it; reading "past the end" yields '\0' here the same way.
// Returns false on unbalanced quotes (or a closing quote followed by a non-space).
bool SplitArgs(std::string_view line, std::vector<std::string>* out) {
  line = line.substr(0, line.find('\0'));
  const size_t n = line.size();
  auto at = [&](size_t i) { return i < n ? line[i] : '\0'; };
  size_t p = 0;
  for (;;) {
    while (p < n && IsSpace(line[p])) ++p;
    if (p >= n) return true;
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && IsHexDigit(at(p + 2)) && IsHexDigit(at(p + 3))) {
          current.push_back(static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3))));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (at(p)) {
            case 'n': current.push_back('\n'); break;
            case 'r': current.push_back('\r'); break;
            case 't': current.push_back('\t'); break;
            case 'b': current.push_back('\b'); break;
            case 'a': current.push_back('\a'); break;
            default: current.push_back(at(p)); break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or by nothing at all.
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;  // unterminated quotes
        } else {
          current.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          current.push_back('\'');
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          current.push_back(c);
        }
      } else {
        switch (c) {
          case ' ': case '\n': case '\r': case '\t': case '\0':
            done = true;
            break;
          case '"': in_double = true; break;
          case '\'': in_single = true; break;
          default: current.push_back(c); break;
        }
      }
      if (p < n) ++p;
    }
    out->push_back(std::move(current));
  }
}

}  // namespace

void RequestParser::Reset() {
  StartNextRequest();
  error_.clear();
}

void RequestParser::StartNextRequest() {
  state_ = State::kStart;
  skip_ = 0;
  external_.clear();
  bytes_needed_ = 0;
  multibulk_len_ = -1;
  bulk_len_ = -1;
  pos_ = 0;
  scan_ = 0;
  ClearAndTrim(&offsets_);
}

std::optional<RequestParser::PendingBulk> RequestParser::pending_bulk() const {
  if (state_ != State::kMultibulk || bulk_len_ < 0 || skip_ > 0) return std::nullopt;
  return PendingBulk{offsets_.size(), static_cast<size_t>(bulk_len_), pos_};
}

void RequestParser::TakePendingBulk(std::string_view external) {
  offsets_.emplace_back(kExternal, external_.size());
  external_.push_back(external);
  bulk_len_ = -1;
  scan_ = pos_;
  skip_ = 2;  // the CRLF after the payload, which Redis skips unread
  bytes_needed_ = 0;
}

std::string_view RequestParser::parsed_arg(std::span<const char> input, size_t i) const {
  const auto& [offset, len] = offsets_[i];
  return offset == kExternal ? external_[len] : std::string_view(input.data() + offset, len);
}

ParseStatus RequestParser::Fail(std::string text) {
  StartNextRequest();
  state_ = State::kFailed;
  error_ = std::move(text);
  return ParseStatus::kError;
}

ParseStatus RequestParser::Parse(std::span<const char> input, size_t* consumed) {
  *consumed = 0;
  // The previous request's args are no longer valid from here on (see the header).
  ClearAndTrim(&args_);
  ClearAndTrim(&inline_args_);
  if (state_ == State::kFailed) return ParseStatus::kError;
  const char* data = input.data();
  const size_t n = input.size();
  if (state_ == State::kStart) {
    if (n == 0) return ParseStatus::kNeedMore;
    // As Redis: the first byte of a request decides its kind, once.
    state_ = data[0] == '*' ? State::kMultibulk : State::kInline;
  }
  return state_ == State::kInline ? ParseInline(data, n, consumed)
                                  : ParseMultibulk(data, n, consumed);
}

ParseStatus RequestParser::ParseInline(const char* data, size_t n, size_t* consumed) {
  const size_t from = std::min(scan_, n);
  const void* found = std::memchr(data + from, '\n', n - from);
  if (found == nullptr) {
    if (n > limits_.max_inline_len) return Fail(kTooBigInline);
    scan_ = n;
    return ParseStatus::kNeedMore;
  }
  const size_t newline = static_cast<size_t>(static_cast<const char*>(found) - data);
  if (newline > limits_.max_inline_len) return Fail(kTooBigInline);
  size_t end = newline;
  if (end > 0 && data[end - 1] == '\r') --end;
  if (!SplitArgs(std::string_view(data, end), &inline_args_)) {
    inline_args_.clear();
    return Fail(kUnbalancedQuotes);
  }
  args_.reserve(inline_args_.size());
  for (const std::string& arg : inline_args_) args_.emplace_back(arg);
  *consumed = newline + 1;
  StartNextRequest();
  return ParseStatus::kOk;
}

ParseStatus RequestParser::FindLine(const char* data, size_t n, const char* too_big,
                                    size_t* cr) {
  if (n < pos_) return ParseStatus::kNeedMore;  // caller broke the contract; wait
  const size_t from = std::min(std::max(scan_, pos_), n);
  const void* found = std::memchr(data + from, '\r', n - from);
  if (found == nullptr) {
    if (n - pos_ > limits_.max_inline_len) return Fail(too_big);
    scan_ = n;
    return ParseStatus::kNeedMore;
  }
  const size_t at = static_cast<size_t>(static_cast<const char*>(found) - data);
  if (at - pos_ > limits_.max_inline_len) return Fail(too_big);
  scan_ = at;
  // Redis wants one more byte after the CR and skips it without looking at it.
  if (at + 1 >= n) return ParseStatus::kNeedMore;
  *cr = at;
  return ParseStatus::kOk;
}

ParseStatus RequestParser::ParseMultibulk(const char* data, size_t n, size_t* consumed) {
  size_t cr = 0;
  if (multibulk_len_ < 0) {
    const ParseStatus st = FindLine(data, n, kTooBigMbulkCount, &cr);
    if (st != ParseStatus::kOk) return st;
    int64_t count = 0;
    // data[0] is '*' (that is how kMultibulk was chosen), so cr >= 1.
    if (!ParseLongLong(data + 1, cr - 1, &count) ||
        (count > 0 && static_cast<uint64_t>(count) > limits_.max_multibulk_len)) {
      return Fail(kInvalidMultibulkLen);
    }
    if (limits_.unauthenticated && count > 0 &&
        static_cast<uint64_t>(count) > limits_.unauthenticated_max_multibulk_len) {
      return Fail("ERR Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr + 2;
    scan_ = pos_;
    if (count <= 0) {  // `*0`, `*-1`: an empty request, consumed and skipped
      *consumed = pos_;
      StartNextRequest();
      return ParseStatus::kOk;
    }
    multibulk_len_ = count;
    offsets_.reserve(std::min(static_cast<size_t>(count), kMaxInitialReserve));
  }

  while (offsets_.size() < static_cast<size_t>(multibulk_len_) || skip_ > 0) {
    if (skip_ > 0) {
      if (n < pos_ + skip_) {
        bytes_needed_ = pos_ + skip_;
        return ParseStatus::kNeedMore;
      }
      pos_ += skip_;
      scan_ = pos_;
      skip_ = 0;
      continue;
    }
    if (bulk_len_ < 0) {
      const ParseStatus st = FindLine(data, n, kTooBigBulkCount, &cr);
      if (st != ParseStatus::kOk) {
        bytes_needed_ = 0;
        return st;
      }
      if (data[pos_] != '$') {
        // Redis formats this with %c and then maps CR and LF to spaces; a NUL would end
        // the formatted C string right there.
        std::string text = "ERR Protocol error: expected '$', got '";
        const char got = data[pos_];
        if (got == '\0') return Fail(std::move(text));
        text.push_back(got == '\r' || got == '\n' ? ' ' : got);
        text.push_back('\'');
        return Fail(std::move(text));
      }
      int64_t len = 0;
      if (!ParseLongLong(data + pos_ + 1, cr - pos_ - 1, &len) || len < 0 ||
          static_cast<uint64_t>(len) > limits_.max_bulk_len) {
        return Fail(kInvalidBulkLen);
      }
      if (limits_.unauthenticated &&
          static_cast<uint64_t>(len) > limits_.unauthenticated_max_bulk_len) {
        return Fail("ERR Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = len;
      pos_ = cr + 2;
      scan_ = pos_;
    }
    // The payload plus the 2 bytes after it, which Redis skips without checking.
    const size_t end = pos_ + static_cast<size_t>(bulk_len_) + 2;
    if (n < end) {
      bytes_needed_ = end;
      return ParseStatus::kNeedMore;
    }
    offsets_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = end;
    scan_ = pos_;
    bulk_len_ = -1;
  }

  args_.reserve(offsets_.size());
  for (const auto& [offset, len] : offsets_) {
    args_.push_back(offset == kExternal ? external_[len] : std::string_view(data + offset, len));
  }
  *consumed = pos_;
  StartNextRequest();
  return ParseStatus::kOk;
}

}  // namespace crescent::protocol
