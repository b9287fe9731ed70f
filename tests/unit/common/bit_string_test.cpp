// Tests for common/bit_string.cpp: the examples of Redis's BITCOUNT, BITPOS and BITFIELD
// documentation, then random cases checked against bit-by-bit reference versions written
// from the documented semantics (and 128-bit arithmetic for BITFIELD's overflow).
#include "common/bit_string.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

namespace crescent {
namespace {

using namespace std::string_literals;

bool BitAt(std::string_view s, int64_t pos) {
  return (static_cast<uint8_t>(s[pos >> 3]) >> (7 - (pos & 7))) & 1;
}

// Redis's clamping, spelled out again.
void Clamp(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  *start = std::max<int64_t>(*start, 0);
  *end = std::max<int64_t>(*end, 0);
  *end = std::min(*end, total - 1);
}

// The range [first, last] in bits that [start, end] in `unit` covers.
void BitBounds(std::string_view s, int64_t start, int64_t end, BitRangeUnit unit,
               int64_t* first, int64_t* last) {
  bool bits = unit == BitRangeUnit::kBit;
  int64_t total = static_cast<int64_t>(s.size()) * (bits ? 8 : 1);
  Clamp(total, &start, &end);
  *first = bits ? start : start * 8;
  *last = bits ? end : end * 8 + 7;
  if (start > end) *last = *first - 1;
}

uint64_t ReferenceCount(std::string_view s, int64_t start, int64_t end, BitRangeUnit unit) {
  if (start < 0 && end < 0 && start > end) return 0;
  int64_t first, last;
  BitBounds(s, start, end, unit, &first, &last);
  uint64_t n = 0;
  for (int64_t p = first; p <= last; ++p) n += BitAt(s, p);
  return n;
}

int64_t ReferenceFind(std::string_view s, bool bit, std::optional<int64_t> start,
                      std::optional<int64_t> end, BitRangeUnit unit) {
  int64_t first = 0, last = static_cast<int64_t>(s.size()) * 8 - 1;
  if (start) {
    int64_t e = end ? *end : (unit == BitRangeUnit::kBit ? INT64_MAX / 2 : INT64_MAX / 16);
    BitBounds(s, *start, e, unit, &first, &last);
  }
  if (first > last) return -1;
  for (int64_t p = first; p <= last; ++p) {
    if (BitAt(s, p) == bit) return p;
  }
  if (!bit && !end) return static_cast<int64_t>(s.size()) * 8;
  return -1;
}

TEST_CASE("BITCOUNT: the documentation's examples") {
  std::string s = "foobar";
  CHECK(CountSetBits(s) == 26);
  CHECK(CountSetBitsInRange(s, 0, 0, BitRangeUnit::kByte) == 4);
  CHECK(CountSetBitsInRange(s, 1, 1, BitRangeUnit::kByte) == 6);
  CHECK(CountSetBitsInRange(s, 1, 1, BitRangeUnit::kBit) == 1);
  CHECK(CountSetBitsInRange(s, 5, 30, BitRangeUnit::kBit) == 17);
  CHECK(CountSetBitsInRange(s, -1, -5, BitRangeUnit::kByte) == 0);
  CHECK(CountSetBitsInRange(s, -100, 100, BitRangeUnit::kByte) == 26);
  CHECK(CountSetBitsInRange("", 0, -1, BitRangeUnit::kByte) == 0);
  CHECK(CountSetBits(std::string(1000, '\xff')) == 8000);
}

TEST_CASE("BITPOS: the documentation's examples") {
  CHECK(FindBit("\xff\xf0\x00"s, false) == 12);
  std::string s = "\x00\xff\xf0"s;
  CHECK(FindBit(s, true, 0) == 8);
  CHECK(FindBit(s, true, 2) == 16);
  CHECK(FindBit(s, true, 2, -1, BitRangeUnit::kByte) == 16);
  CHECK(FindBit(s, true, 7, 15, BitRangeUnit::kBit) == 8);
  CHECK(FindBit(s, true, 7, -3, BitRangeUnit::kBit) == 8);
  CHECK(FindBit("\x00\x00\x00"s, true) == -1);
  CHECK(FindBit("\x00\x00\x00"s, true, 7, -3, BitRangeUnit::kBit) == -1);
  // No clear bit: just past the string without an end, -1 with one.
  CHECK(FindBit("\xff\xff"s, false) == 16);
  CHECK(FindBit("\xff\xff"s, false, 0) == 16);
  CHECK(FindBit("\xff\xff"s, false, 0, -1) == -1);
  CHECK(FindBit("\xff"s, false, 0, 3, BitRangeUnit::kBit) == -1);
  CHECK(FindBit(""s, false) == -1);  // an empty string has no bit at all
  CHECK(FindBit("ab"s, false, 5) == -1);  // start past the end
}

TEST_CASE("BITCOUNT and BITPOS agree with a bit-by-bit reference on random ranges") {
  std::mt19937_64 rng(17);
  for (int round = 0; round < 20000; ++round) {
    size_t len = rng() % 12;
    std::string s(len, '\0');
    for (char& c : s) {
      uint64_t kind = rng() % 4;  // runs of 0x00 and 0xff make the edge cases likely
      c = kind == 0 ? '\0' : kind == 1 ? '\xff' : static_cast<char>(rng());
    }
    auto pick = [&] {
      return static_cast<int64_t>(rng() % 120) - 60;
    };
    int64_t start = pick(), end = pick();
    BitRangeUnit unit = rng() % 2 ? BitRangeUnit::kBit : BitRangeUnit::kByte;
    INFO("len " << len << " start " << start << " end " << end << " bit-unit "
                << (unit == BitRangeUnit::kBit));
    CHECK(CountSetBitsInRange(s, start, end, unit) == ReferenceCount(s, start, end, unit));
    for (bool bit : {false, true}) {
      CHECK(FindBit(s, bit) == ReferenceFind(s, bit, std::nullopt, std::nullopt, unit));
      CHECK(FindBit(s, bit, start, std::nullopt, unit) ==
            ReferenceFind(s, bit, start, std::nullopt, unit));
      CHECK(FindBit(s, bit, start, end, unit) == ReferenceFind(s, bit, start, end, unit));
    }
  }
}

TEST_CASE("bitfield types parse as Redis reads them") {
  CHECK(ParseBitfieldType("i1").has_value());
  CHECK(ParseBitfieldType("i64")->bits == 64);
  CHECK(ParseBitfieldType("i64")->is_signed);
  CHECK(ParseBitfieldType("u63")->bits == 63);
  CHECK(!ParseBitfieldType("u63")->is_signed);
  for (const char* bad : {"u64", "i65", "i0", "u0", "I8", "U8", "i", "", "8", "i08", "i+8", "i-8",
                          "i8 ", "x8", "i100"}) {
    INFO(bad);
    CHECK(!ParseBitfieldType(bad).has_value());
  }
}

TEST_CASE("bitfields read zero-padded, write in place and sign-extend") {
  BitfieldType u8{false, 8}, i8{true, 8}, u4{false, 4}, i64{true, 64};
  std::string s = "\xff\x0f"s;
  CHECK(GetBitfield(s, 0, u8) == 255);
  CHECK(GetBitfield(s, 0, i8) == -1);
  CHECK(GetBitfield(s, 4, u8) == 0xf0);
  CHECK(GetBitfield(s, 12, u8) == 0xf0);  // the last four bits, then padding
  CHECK(GetBitfield(s, 100, i64) == 0);
  CHECK(GetBitfield(s, 0, i64) == static_cast<int64_t>(0xff0f000000000000ull));
  std::string buf(3, '\0');
  SetBitfield(buf, 4, u8, 0xab);
  CHECK(buf == "\x0a\xb0\x00"s);
  SetBitfield(buf, 20, u4, 0x1f);  // only the low bits are written
  CHECK(buf == "\x0a\xb0\x0f"s);
  SetBitfield(buf, 0, i8, -2);
  CHECK(buf == "\xfe\xb0\x0f"s);
}

// BITFIELD's overflow rules with 128-bit arithmetic.
std::optional<int64_t> ReferenceResult(BitfieldType t, BitfieldOverflow ow, int64_t old,
                                       int64_t operand, bool increment) {
  using I = __int128;
  I max = t.is_signed ? (I{1} << (t.bits - 1)) - 1 : (I{1} << t.bits) - 1;
  I min = t.is_signed ? -(I{1} << (t.bits - 1)) : 0;
  I v;
  if (increment) {
    v = I{old} + I{operand};
  } else {
    // An unsigned SET reads its value as unsigned: a negative one is above any maximum.
    v = !t.is_signed && operand < 0 ? I{operand} + (I{1} << 64) : I{operand};
  }
  if (v >= min && v <= max) return static_cast<int64_t>(v);
  if (ow == BitfieldOverflow::kFail) return std::nullopt;
  if (ow == BitfieldOverflow::kSat) return static_cast<int64_t>(v > max ? max : min);
  I modulus = I{1} << t.bits;
  I wrapped = ((v % modulus) + modulus) % modulus;
  if (t.is_signed && wrapped > max) wrapped -= modulus;
  return static_cast<int64_t>(wrapped);
}

TEST_CASE("BITFIELD overflow: the documentation's examples") {
  BitfieldType u2{false, 2}, i8{true, 8}, u8{false, 8};
  CHECK(BitfieldResult(u2, BitfieldOverflow::kWrap, 3, 1, true) == 0);
  CHECK(BitfieldResult(u2, BitfieldOverflow::kSat, 3, 1, true) == 3);
  CHECK(!BitfieldResult(u2, BitfieldOverflow::kFail, 3, 1, true).has_value());
  CHECK(BitfieldResult(i8, BitfieldOverflow::kWrap, 127, 1, true) == -128);
  CHECK(BitfieldResult(i8, BitfieldOverflow::kSat, 100, 200, false) == 127);
  CHECK(BitfieldResult(i8, BitfieldOverflow::kWrap, 0, 200, false) == -56);
  CHECK(BitfieldResult(u8, BitfieldOverflow::kSat, 0, -1, false) == 255);  // Redis: not 0
  CHECK(BitfieldResult(u8, BitfieldOverflow::kWrap, 0, -1, false) == 255);
  CHECK(BitfieldResult(u8, BitfieldOverflow::kSat, 5, -10, true) == 0);
  BitfieldType i64{true, 64};
  CHECK(BitfieldResult(i64, BitfieldOverflow::kWrap, INT64_MAX, 1, true) == INT64_MIN);
  CHECK(BitfieldResult(i64, BitfieldOverflow::kSat, INT64_MIN, -1, true) == INT64_MIN);
  CHECK(!BitfieldResult(i64, BitfieldOverflow::kFail, INT64_MIN, INT64_MIN, true).has_value());
}

TEST_CASE("BITFIELD overflow agrees with 128-bit arithmetic on random operands") {
  std::mt19937_64 rng(42);
  const std::vector<int64_t> interesting = {0, 1, -1, 2, -2, 127, 128, -128, -129, 255, 256,
                                            INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
                                            (int64_t{1} << 62), -(int64_t{1} << 62)};
  for (int round = 0; round < 200000; ++round) {
    BitfieldType t{rng() % 2 == 0, 0};
    t.bits = 1 + static_cast<unsigned>(rng() % (t.is_signed ? 64 : 63));
    // The field's current value, as a read of `bits` random bits gives it.
    std::string bytes(9, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    int64_t old = GetBitfield(bytes, rng() % 8, t);
    int64_t operand = rng() % 3 == 0 ? interesting[rng() % interesting.size()]
                                     : static_cast<int64_t>(rng()) >> (rng() % 64);
    auto ow = static_cast<BitfieldOverflow>(rng() % 3);
    bool increment = rng() % 2 == 0;
    INFO("signed " << t.is_signed << " bits " << t.bits << " old " << old << " operand "
                   << operand << " overflow " << static_cast<int>(ow) << " incr " << increment);
    CHECK(BitfieldResult(t, ow, old, operand, increment) ==
          ReferenceResult(t, ow, old, operand, increment));
  }
}

}  // namespace
}  // namespace crescent
