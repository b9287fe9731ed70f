#include "common/bit_string.h"

#include <bit>
#include <cstring>

namespace crescent {

namespace {

uint8_t ByteAt(std::string_view bytes, uint64_t index) {
  return index < bytes.size() ? static_cast<uint8_t>(bytes[index]) : 0;
}

// Redis's redisBitpos: the first bit equal to `bit` in `bytes`; -1 when looking for a 1
// and there is none, the bit just past the end when looking for a 0 and there is none.
int64_t FirstBit(std::string_view bytes, bool bit) {
  const uint8_t skip = bit ? 0x00 : 0xff;  // a byte without the bit looked for
  const uint64_t skip_word = bit ? 0 : ~uint64_t{0};
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    if (word != skip_word) break;
  }
  for (; i < bytes.size(); ++i) {
    uint8_t b = static_cast<uint8_t>(bytes[i]);
    if (b == skip) continue;
    uint8_t looked = bit ? b : static_cast<uint8_t>(~b);
    return static_cast<int64_t>(i * 8) + std::countl_zero(looked);
  }
  return bit ? -1 : static_cast<int64_t>(bytes.size() * 8);
}

// Redis's clamping of a [start, end] range to a string of `total` units.
void ClampRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start = total + *start;
  if (*end < 0) *end = total + *end;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
}

// For a bit range [start, end] with start <= end: the bits of the first byte before
// `start` and of the last byte after `end`, which a whole-byte scan must ignore.
uint8_t FirstByteOutside(int64_t start) {
  return static_cast<uint8_t>(~((1u << (8 - (start & 7))) - 1) & 0xff);
}
uint8_t LastByteOutside(int64_t end) { return static_cast<uint8_t>((1u << (7 - (end & 7))) - 1); }

}  // namespace

uint64_t CountSetBits(std::string_view bytes) {
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    count += static_cast<uint64_t>(std::popcount(word));
  }
  for (; i < bytes.size(); ++i) count += std::popcount(static_cast<uint8_t>(bytes[i]));
  return count;
}

uint64_t CountSetBitsInRange(std::string_view bytes, int64_t start, int64_t end,
                             BitRangeUnit unit) {
  // Redis answers 0 here before clamping (clamping could make the range non-empty).
  if (start < 0 && end < 0 && start > end) return 0;
  bool in_bits = unit == BitRangeUnit::kBit;
  int64_t total = static_cast<int64_t>(bytes.size());
  if (in_bits) total <<= 3;
  ClampRange(total, &start, &end);
  if (start > end) return 0;
  uint8_t first_outside = 0, last_outside = 0;
  if (in_bits) {
    first_outside = FirstByteOutside(start);
    last_outside = LastByteOutside(end);
    start >>= 3;
    end >>= 3;
  }
  auto first = static_cast<size_t>(start);
  auto last = static_cast<size_t>(end);
  uint64_t count = CountSetBits(bytes.substr(first, last - first + 1));
  count -= std::popcount(static_cast<uint8_t>(ByteAt(bytes, first) & first_outside));
  count -= std::popcount(static_cast<uint8_t>(ByteAt(bytes, last) & last_outside));
  return count;
}

int64_t FindBit(std::string_view bytes, bool bit, std::optional<int64_t> start_arg,
                std::optional<int64_t> end_arg, BitRangeUnit unit) {
  int64_t length = static_cast<int64_t>(bytes.size());
  int64_t start = 0, end = length - 1;
  uint8_t first_outside = 0, last_outside = 0;
  if (start_arg) {
    bool in_bits = unit == BitRangeUnit::kBit;
    start = *start_arg;
    if (end_arg) {
      end = *end_arg;
    } else {
      end = in_bits ? (length << 3) + 7 : length - 1;
    }
    ClampRange(in_bits ? length << 3 : length, &start, &end);
    if (in_bits && start <= end) {
      first_outside = FirstByteOutside(start);
      last_outside = LastByteOutside(end);
      start >>= 3;
      end >>= 3;
    }
  }
  if (start > end) return -1;

  // The edge bytes are searched with their outside bits forced to the value not looked
  // for; the bytes between them as they are.
  auto masked = [&](uint8_t byte, uint8_t outside) -> uint8_t {
    return bit ? byte & ~outside : byte | outside;
  };
  int64_t bytes_left = end - start + 1;
  int64_t pos = -1;
  bool done = false;
  if (first_outside) {
    uint8_t b = masked(static_cast<uint8_t>(bytes[start]), first_outside);
    if (last_outside && bytes_left == 1) b = masked(b, last_outside);
    pos = FirstBit(std::string_view(reinterpret_cast<const char*>(&b), 1), bit);
    if (bytes_left == 1 || (pos != -1 && pos != 8)) {
      done = true;
    } else {
      ++start;
      --bytes_left;
    }
  }
  if (!done) {
    int64_t middle = bytes_left - (last_outside ? 1 : 0);
    if (middle > 0) {
      pos = FirstBit(bytes.substr(static_cast<size_t>(start), static_cast<size_t>(middle)), bit);
      if (bytes_left == middle || (pos != -1 && pos != middle << 3)) {
        done = true;
      } else {
        start += middle;
        bytes_left -= middle;
      }
    }
  }
  if (!done) {
    uint8_t b = masked(static_cast<uint8_t>(bytes[end]), last_outside);
    pos = FirstBit(std::string_view(reinterpret_cast<const char*>(&b), 1), bit);
  }
  // Looking for a 0 in an explicit range: the bit past the range is outside it.
  if (end_arg && !bit && pos == bytes_left << 3) return -1;
  if (pos != -1) pos += start << 3;
  return pos;
}

std::optional<BitfieldType> ParseBitfieldType(std::string_view text) {
  if (text.size() < 2 || text.size() > 3 || (text[0] != 'i' && text[0] != 'u')) return std::nullopt;
  // The width as Redis's string2ll reads it: digits only, no leading zero.
  unsigned bits = 0;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    bits = bits * 10 + static_cast<unsigned>(text[i] - '0');
  }
  if (text[1] == '0') return std::nullopt;
  BitfieldType type{text[0] == 'i', bits};
  if (bits < 1 || bits > (type.is_signed ? 64u : 63u)) return std::nullopt;
  return type;
}

int64_t GetBitfield(std::string_view bytes, uint64_t offset, BitfieldType type) {
  uint64_t value = 0;
  for (unsigned j = 0; j < type.bits; ++j, ++offset) {
    uint64_t bit = (ByteAt(bytes, offset >> 3) >> (7 - (offset & 7))) & 1;
    value = (value << 1) | bit;
  }
  if (type.is_signed && type.bits < 64 && (value & (uint64_t{1} << (type.bits - 1)))) {
    value |= ~uint64_t{0} << type.bits;  // two's complement: propagate the sign bit
  }
  return static_cast<int64_t>(value);
}

void SetBitfield(std::span<char> bytes, uint64_t offset, BitfieldType type, int64_t value) {
  auto v = static_cast<uint64_t>(value);
  for (unsigned j = 0; j < type.bits; ++j, ++offset) {
    uint64_t bit = (v >> (type.bits - 1 - j)) & 1;
    auto& byte = reinterpret_cast<uint8_t&>(bytes[offset >> 3]);
    uint8_t mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
    byte = bit ? (byte | mask) : (byte & ~mask);
  }
}

std::optional<int64_t> BitfieldResult(BitfieldType type, BitfieldOverflow overflow, int64_t old,
                                      int64_t operand, bool increment) {
  // The sum as unsigned arithmetic (defined on overflow); only its low bits matter to WRAP.
  uint64_t sum = increment ? static_cast<uint64_t>(old) + static_cast<uint64_t>(operand)
                           : static_cast<uint64_t>(operand);
  bool above = false, below = false;
  int64_t max = 0, min = 0;
  if (type.is_signed) {
    max = type.bits == 64 ? INT64_MAX : (int64_t{1} << (type.bits - 1)) - 1;
    min = -max - 1;
    if (increment) {  // old is within [min, max], so neither subtraction overflows
      above = operand > 0 && old > max - operand;
      below = operand < 0 && old < min - operand;
    } else {
      above = operand > max;
      below = operand < min;
    }
  } else {
    max = static_cast<int64_t>((uint64_t{1} << type.bits) - 1);  // bits <= 63
    if (increment) {  // old is within [0, max]
      above = operand > 0 && operand > max - old;
      below = operand < 0 && operand < -old;
    } else {
      above = static_cast<uint64_t>(operand) > static_cast<uint64_t>(max);  // negative too
    }
  }
  if (!above && !below) {
    return increment ? static_cast<int64_t>(sum) : operand;
  }
  switch (overflow) {
    case BitfieldOverflow::kFail:
      return std::nullopt;
    case BitfieldOverflow::kSat:
      return above ? max : min;
    case BitfieldOverflow::kWrap:
      break;
  }
  if (type.bits < 64) {
    uint64_t high = ~uint64_t{0} << type.bits;
    bool negative = type.is_signed && (sum & (uint64_t{1} << (type.bits - 1)));
    sum = negative ? (sum | high) : (sum & ~high);
  }
  return static_cast<int64_t>(sum);
}

}  // namespace crescent
