#include "server/commands/dump_payload.h"

#include <charconv>
#include <cstring>
#include <optional>

#include "common/crc64.h"
#include "common/lzf.h"
#include "server/commands/parse.h"

namespace crescent::server {

namespace {

constexpr unsigned char kRdbTypeString = 0;
// The first byte of a length: its two high bits say how it goes on.
constexpr unsigned char kLen6Bit = 0;
constexpr unsigned char kLen14Bit = 1;
constexpr unsigned char kLen32Bit = 0x80;
constexpr unsigned char kLen64Bit = 0x81;
constexpr unsigned char kEncoded = 3;  // 11xxxxxx: a special string encoding follows
constexpr unsigned char kEncInt8 = 0;
constexpr unsigned char kEncInt16 = 1;
constexpr unsigned char kEncInt32 = 2;
constexpr unsigned char kEncLzf = 3;
constexpr size_t kFooterSize = 2 + 8;  // version and CRC-64
// Redis tries neither integers on longer strings nor LZF on shorter ones.
constexpr size_t kMaxIntegerChars = 11;
constexpr size_t kMinCompressed = 21;
// One LZF back reference of 3 bytes writes at most 264: a value that claims more per
// compressed byte is refused before any memory is set aside for it.
constexpr size_t kLzfMaxRatio = 88;

void AppendLength(std::string* out, uint64_t len) {
  if (len < (1u << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1u << 14)) {
    out->push_back(static_cast<char>((kLen14Bit << 6) | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(kLen32Bit));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  } else {
    out->push_back(static_cast<char>(kLen64Bit));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  }
}

void AppendLittleEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// rdbTryIntegerEncoding: a value whose decimal form is exactly itself and fits 32 bits.
bool AppendInteger(std::string* out, std::string_view value) {
  if (value.size() > kMaxIntegerChars) return false;
  std::optional<int64_t> v = ParseInt64(value);
  if (!v) return false;
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), *v);
  if (std::string_view(digits, static_cast<size_t>(end - digits)) != value) return false;
  if (*v >= INT8_MIN && *v <= INT8_MAX) {
    out->push_back(static_cast<char>((kEncoded << 6) | kEncInt8));
    AppendLittleEndian(out, static_cast<uint64_t>(*v), 1);
  } else if (*v >= INT16_MIN && *v <= INT16_MAX) {
    out->push_back(static_cast<char>((kEncoded << 6) | kEncInt16));
    AppendLittleEndian(out, static_cast<uint64_t>(*v), 2);
  } else if (*v >= INT32_MIN && *v <= INT32_MAX) {
    out->push_back(static_cast<char>((kEncoded << 6) | kEncInt32));
    AppendLittleEndian(out, static_cast<uint64_t>(*v), 4);
  } else {
    return false;
  }
  return true;
}

// rdbSaveLzfStringObject: only when it saves at least 4 bytes.
bool AppendCompressed(std::string* out, std::string_view value) {
  if (value.size() < kMinCompressed) return false;
  std::string compressed(value.size() - 4, '\0');
  size_t n = LzfCompress(value, compressed.data(), compressed.size());
  if (n == 0) return false;
  out->push_back(static_cast<char>((kEncoded << 6) | kEncLzf));
  AppendLength(out, n);
  AppendLength(out, value.size());
  out->append(compressed.data(), n);
  return true;
}

// Reads the RDB object in [pos, end) of `body`.
class Reader {
 public:
  explicit Reader(std::string_view body) : body_(body) {}
  bool AtEnd() const { return pos_ == body_.size(); }
  size_t left() const { return body_.size() - pos_; }

  std::optional<unsigned char> Byte() {
    if (pos_ >= body_.size()) return std::nullopt;
    return static_cast<unsigned char>(body_[pos_++]);
  }
  std::optional<std::string_view> Bytes(size_t n) {
    if (n > left()) return std::nullopt;
    std::string_view out = body_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::optional<uint64_t> BigEndian(int bytes) {
    auto raw = Bytes(static_cast<size_t>(bytes));
    if (!raw) return std::nullopt;
    uint64_t v = 0;
    for (char c : *raw) v = (v << 8) | static_cast<unsigned char>(c);
    return v;
  }
  std::optional<int64_t> LittleEndianSigned(int bytes) {
    auto raw = Bytes(static_cast<size_t>(bytes));
    if (!raw) return std::nullopt;
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>((*raw)[static_cast<size_t>(i)]);
    int shift = 64 - 8 * bytes;  // sign-extend
    return static_cast<int64_t>(v << shift) >> shift;
  }

  // A length, or the encoding number (low 6 bits) when `*encoded` is set.
  std::optional<uint64_t> Length(bool* encoded) {
    *encoded = false;
    auto first = Byte();
    if (!first) return std::nullopt;
    switch (*first >> 6) {
      case kLen6Bit:
        return *first & 0x3f;
      case kLen14Bit: {
        auto second = Byte();
        if (!second) return std::nullopt;
        return (uint64_t{*first & 0x3fu} << 8) | *second;
      }
      case kEncoded:
        *encoded = true;
        return *first & 0x3f;
      default:
        if (*first == kLen32Bit) return BigEndian(4);
        if (*first == kLen64Bit) return BigEndian(8);
        return std::nullopt;
    }
  }
  std::optional<uint64_t> PlainLength() {
    bool encoded = false;
    auto len = Length(&encoded);
    if (encoded) return std::nullopt;
    return len;
  }

 private:
  std::string_view body_;
  size_t pos_ = 0;
};

Status BadFormat() { return Status(StatusCode::kInvalidArgument, "bad data format"); }

}  // namespace

std::string EncodeDumpPayload(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 1 + 9 + kFooterSize);
  out.push_back(static_cast<char>(kRdbTypeString));
  if (!AppendInteger(&out, value) && !AppendCompressed(&out, value)) {
    AppendLength(&out, value.size());
    out.append(value);
  }
  AppendLittleEndian(&out, kDumpRdbVersion, 2);
  AppendLittleEndian(&out, Crc64(0, out), 8);
  return out;
}

StatusOr<std::string_view> DecodeDumpPayload(std::string_view payload, size_t max_size,
                                             std::string* scratch) {
  // verifyDumpPayload: version and checksum before anything else is looked at.
  if (payload.size() < kFooterSize) {
    return Status(StatusCode::kCorruption, "payload shorter than its footer");
  }
  const auto* footer = reinterpret_cast<const unsigned char*>(payload.data() + payload.size() - kFooterSize);
  uint16_t version = static_cast<uint16_t>(footer[0] | (footer[1] << 8));
  if (version > kDumpRdbVersion) return Status(StatusCode::kCorruption, "RDB version too new");
  uint64_t stored_crc = 0;
  for (int i = 9; i >= 2; --i) stored_crc = (stored_crc << 8) | footer[i];
  if (Crc64(0, payload.substr(0, payload.size() - 8)) != stored_crc) {
    return Status(StatusCode::kCorruption, "checksum mismatch");
  }

  Reader in(payload.substr(0, payload.size() - kFooterSize));
  auto type = in.Byte();
  if (!type || *type != kRdbTypeString) return BadFormat();
  bool encoded = false;
  auto len = in.Length(&encoded);
  if (!len) return BadFormat();
  std::string_view value;
  if (!encoded) {
    if (*len > in.left()) return BadFormat();
    if (*len > max_size) return Status(StatusCode::kTooLarge);
    value = *in.Bytes(static_cast<size_t>(*len));
  } else if (*len == kEncInt8 || *len == kEncInt16 || *len == kEncInt32) {
    auto v = in.LittleEndianSigned(*len == kEncInt8 ? 1 : *len == kEncInt16 ? 2 : 4);
    if (!v) return BadFormat();
    scratch->resize(24);
    auto [end, ec] = std::to_chars(scratch->data(), scratch->data() + scratch->size(), *v);
    scratch->resize(static_cast<size_t>(end - scratch->data()));
    if (scratch->size() > max_size) return Status(StatusCode::kTooLarge);
    value = *scratch;
  } else if (*len == kEncLzf) {
    auto compressed_len = in.PlainLength();
    auto value_len = in.PlainLength();
    if (!compressed_len || !value_len || *compressed_len > in.left()) return BadFormat();
    if (*value_len > max_size) return Status(StatusCode::kTooLarge);
    if (*value_len == 0 || *value_len / kLzfMaxRatio > *compressed_len) return BadFormat();
    std::string_view compressed = *in.Bytes(static_cast<size_t>(*compressed_len));
    scratch->resize(static_cast<size_t>(*value_len));
    if (!LzfDecompress(compressed, scratch->data(), scratch->size())) return BadFormat();
    value = *scratch;
  } else {
    return BadFormat();
  }
  if (!in.AtEnd()) return BadFormat();
  return value;
}

}  // namespace crescent::server
