#include "protocol/pipeline_scan.h"

#include <cstdint>
#include <cstring>

namespace crescent::protocol {
namespace {

// Longest length field read: bulks above this are not worth a look-ahead anyway.
constexpr int kMaxDigits = 18;

// Reads "<prefix><digits>\r\n" at `*at`; advances past it. False when not that.
bool ReadHeader(std::span<const char> in, size_t* at, char prefix, uint64_t* value) {
  size_t i = *at;
  if (i >= in.size() || in[i] != prefix) return false;
  ++i;
  uint64_t v = 0;
  int digits = 0;
  while (i < in.size() && in[i] >= '0' && in[i] <= '9') {
    if (++digits > kMaxDigits) return false;
    v = v * 10 + static_cast<uint64_t>(in[i] - '0');
    ++i;
  }
  if (digits == 0 || i + 1 >= in.size() || in[i] != '\r' || in[i + 1] != '\n') return false;
  *at = i + 2;
  *value = v;
  return true;
}

// Skips "$<len>\r\n<len bytes>\r\n"; the bytes are returned in `*bulk`.
bool ReadBulk(std::span<const char> in, size_t* at, std::string_view* bulk) {
  uint64_t len = 0;
  size_t i = *at;
  if (!ReadHeader(in, &i, '$', &len)) return false;
  if (len > in.size() || i + len + 2 > in.size()) return false;
  *bulk = std::string_view(in.data() + i, len);
  *at = i + len + 2;
  return true;
}

}  // namespace

size_t PipelinedKeys(std::span<const char> input, std::span<std::string_view> keys) {
  size_t found = 0;
  size_t at = 0;
  while (found < keys.size()) {
    uint64_t argc = 0;
    if (!ReadHeader(input, &at, '*', &argc) || argc < 2 || argc > input.size()) break;
    std::string_view arg;
    bool complete = true;
    for (uint64_t a = 0; a < argc && complete; ++a) {
      complete = ReadBulk(input, &at, &arg);
      if (complete && a == 1) keys[found] = arg;
    }
    if (!complete) break;
    ++found;
  }
  return found;
}

}  // namespace crescent::protocol
