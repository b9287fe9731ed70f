#include "protocol/reply_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace crescent::protocol {
namespace {

// Longest header line accepted: a type byte, a 64-bit number or a short status text. A
// simple string or error may be longer (Redis's error texts are a line); 64 KiB is
// Redis's own inline limit.
constexpr size_t kMaxLineBytes = 64 * 1024;

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* first = s.data();
  if (*first == '+') ++first;  // RESP3 integers may carry a sign
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool IsLengthType(char t) {
  return t == '$' || t == '!' || t == '=' || t == '*' || t == '%' || t == '~' || t == '>';
}

}  // namespace

ParseStatus ParseReplyLine(std::span<const char> input, size_t* consumed, ReplyLine* out,
                           std::string* error) {
  *consumed = 0;
  if (input.empty()) return ParseStatus::kNeedMore;
  size_t scan = std::min(input.size(), kMaxLineBytes + 2);
  const char* nl = static_cast<const char*>(std::memchr(input.data(), '\n', scan));
  if (nl == nullptr) {
    if (scan < input.size() || input.size() > kMaxLineBytes + 1) {
      *error = "protocol error: reply line too long";
      return ParseStatus::kError;
    }
    return ParseStatus::kNeedMore;
  }
  size_t line = static_cast<size_t>(nl - input.data()) + 1;
  if (line < 3 || nl[-1] != '\r') {
    *error = "protocol error: malformed reply line";
    return ParseStatus::kError;
  }
  char type = input[0];
  std::string_view body(input.data() + 1, line - 3);
  ReplyLine r;
  r.type = type;
  switch (type) {
    case '+':
    case '-':
    case ',':
    case '(':
      r.text = body;
      break;
    case '_':
      if (!body.empty()) {
        *error = "protocol error: bad null reply";
        return ParseStatus::kError;
      }
      break;
    case '#':
      if (body != "t" && body != "f") {
        *error = "protocol error: bad boolean reply";
        return ParseStatus::kError;
      }
      r.text = body;
      r.number = body == "t" ? 1 : 0;
      break;
    case ':':
      if (!ParseInt64(body, &r.number)) {
        *error = "protocol error: bad integer reply";
        return ParseStatus::kError;
      }
      break;
    default:
      if (!IsLengthType(type)) {
        *error = std::string("protocol error: unexpected reply type '") + type + "'";
        return ParseStatus::kError;
      }
      if (!ParseInt64(body, &r.number) || r.number < -1 ||
          (r.number == -1 && type != '$' && type != '*')) {
        bool bulk = type == '$' || type == '!' || type == '=';
        *error = bulk ? "protocol error: bad bulk length" : "protocol error: bad aggregate length";
        return ParseStatus::kError;
      }
  }
  *out = r;
  *consumed = line;
  return ParseStatus::kOk;
}

void ReplyParser::Reset() {
  pos_ = 0;
  root_ = Reply{};
  complete_ = false;
  open_.clear();
  bytes_needed_ = 0;
}

ParseStatus ReplyParser::Parse(std::span<const char> input, size_t* consumed, Reply* out) {
  *consumed = 0;
  bytes_needed_ = 0;
  while (!complete_) {
    ParseStatus s = Step(input);
    if (s == ParseStatus::kError) {
      std::string error = std::move(error_);
      Reset();
      error_ = std::move(error);
      return s;
    }
    if (s == ParseStatus::kNeedMore) return s;
  }
  *out = std::move(root_);
  *consumed = pos_;
  Reset();
  return ParseStatus::kOk;
}

void ReplyParser::Attach(Reply value, uint64_t elements) {
  Reply* placed;
  if (open_.empty()) {
    root_ = std::move(value);
    placed = &root_;
  } else {
    Frame& top = open_.back();
    top.node->elements.push_back(std::move(value));
    --top.remaining;
    placed = &top.node->elements.back();
  }
  if (elements > 0) {
    open_.push_back({placed, elements});
    return;
  }
  while (!open_.empty() && open_.back().remaining == 0) open_.pop_back();
  complete_ = open_.empty();
}

ParseStatus ReplyParser::Step(std::span<const char> input) {
  ReplyLine line;
  size_t used = 0;
  ParseStatus s = ParseReplyLine(input.subspan(pos_), &used, &line, &error_);
  if (s != ParseStatus::kOk) return s;
  Reply value;
  value.type = line.type;
  switch (line.type) {
    case '+':
    case '-':
    case ',':
    case '(':
      value.str.assign(line.text);
      break;
    case ':':
    case '#':
      value.integer = line.number;
      break;
    case '_':
      break;
    case '$':
    case '!':
    case '=': {
      if (line.number < 0) {  // RESP2 null bulk
        value.type = '_';
        break;
      }
      size_t n = static_cast<size_t>(line.number);
      size_t start = pos_ + used;
      if (input.size() - start < n + 2) {
        bytes_needed_ = start + n + 2;
        return ParseStatus::kNeedMore;  // the header is read again with the payload
      }
      const char* p = input.data() + start;
      if (p[n] != '\r' || p[n + 1] != '\n') {
        error_ = "protocol error: bulk reply not followed by CRLF";
        return ParseStatus::kError;
      }
      std::string_view payload(p, n);
      if (line.type == '=') {
        if (n < 4 || payload[3] != ':') {
          error_ = "protocol error: bad verbatim reply";
          return ParseStatus::kError;
        }
        payload.remove_prefix(4);
      }
      value.str.assign(payload);
      used += n + 2;
      break;
    }
    default: {  // an aggregate
      if (line.number < 0) {  // RESP2 null array
        value.type = '_';
        break;
      }
      if (open_.size() + 1 > static_cast<size_t>(kMaxDepth)) {
        error_ = "protocol error: replies nested too deeply";
        return ParseStatus::kError;
      }
      uint64_t count = static_cast<uint64_t>(line.number) * (line.type == '%' ? 2 : 1);
      // Every element takes at least 3 bytes: reserve only for what the input can hold.
      size_t plausible = (input.size() - pos_ - used) / 3;
      value.elements.reserve(static_cast<size_t>(std::min<uint64_t>(count, plausible)));
      pos_ += used;
      Attach(std::move(value), count);
      return ParseStatus::kOk;
    }
  }
  pos_ += used;
  Attach(std::move(value), 0);
  return ParseStatus::kOk;
}

void AppendLengthLine(std::string* out, char prefix, uint64_t n) {
  char buf[24];
  buf[0] = prefix;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  *end++ = '\r';
  *end++ = '\n';
  out->append(buf, end);
}

void AppendRequest(std::string* out, std::span<const std::string_view> args) {
  AppendLengthLine(out, '*', args.size());
  for (std::string_view a : args) {
    AppendLengthLine(out, '$', a.size());
    out->append(a);
    out->append("\r\n");
  }
}

}  // namespace crescent::protocol
