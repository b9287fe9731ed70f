// Bit-level reads and writes on byte strings with Redis's bit order (bit 0 is the most
// significant bit of byte 0), for the bitmap commands (BITCOUNT, BITPOS, BITFIELD,
// SETBIT). The range and overflow rules are Redis 7.0's (bitops.c), including its
// corner cases, because clients see them: BITCOUNT's "both negative and start > end"
// shortcut, BITPOS's "no clear bit in an explicit range is -1, without an end it is the
// first bit past the string", BITFIELD's unsigned SAT that turns a negative SET into the
// maximum.
// Thread-safe (pure functions); nothing allocates.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace crescent {

enum class BitRangeUnit { kByte, kBit };

// Set bits in all of `bytes`.
uint64_t CountSetBits(std::string_view bytes);

// BITCOUNT key start end [BYTE|BIT]: `start` and `end` are inclusive positions in `unit`,
// negative ones count from the end; the range is clamped to the string.
uint64_t CountSetBitsInRange(std::string_view bytes, int64_t start, int64_t end,
                             BitRangeUnit unit);

// BITPOS key bit [start [end [BYTE|BIT]]]: the position (in bits from the start of the
// string) of the first bit equal to `bit` within the range, or -1. Looking for a 0 bit
// in a string of ones finds the bit just past the string when no end was given (the
// string is taken as zero-padded on the right), -1 when one was. An empty range is -1.
int64_t FindBit(std::string_view bytes, bool bit, std::optional<int64_t> start = std::nullopt,
                std::optional<int64_t> end = std::nullopt, BitRangeUnit unit = BitRangeUnit::kByte);

// A BITFIELD type: i1..i64 or u1..u63.
struct BitfieldType {
  bool is_signed = false;
  unsigned bits = 0;
};

// Parses "i8", "u16" ... as Redis does (lower-case prefix; no u64); nullopt otherwise.
std::optional<BitfieldType> ParseBitfieldType(std::string_view text);

// The field of `type` at bit `offset`, the string taken as zero-padded on the right.
// Unsigned fields (at most 63 bits) always fit an int64_t.
int64_t GetBitfield(std::string_view bytes, uint64_t offset, BitfieldType type);

// Writes the low `type.bits` bits of `value` at bit `offset`.
// REQUIRES: bytes.size() * 8 >= offset + type.bits.
void SetBitfield(std::span<char> bytes, uint64_t offset, BitfieldType type, int64_t value);

enum class BitfieldOverflow { kWrap, kSat, kFail };

// What a field holding `old` (as GetBitfield read it) holds after BITFIELD's SET of
// `operand` (increment false) or INCRBY `operand` (increment true): wrapped or saturated
// to the type's range as `overflow` says, or nullopt when it overflows under kFail.
std::optional<int64_t> BitfieldResult(BitfieldType type, BitfieldOverflow overflow, int64_t old,
                                      int64_t operand, bool increment);

}  // namespace crescent
