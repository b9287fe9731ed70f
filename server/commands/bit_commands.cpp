// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO, with
// Redis 7.0's replies, errors and argument order (common/bit_string.h has the bit
// arithmetic). Writes are one Store::Update each (an atomic read-modify-write of the
// key); scans of a whole value (BITCOUNT, BITPOS, BITOP's sources) run on a snapshot
// outside the shard lock.
//
// Where Redis looks the key up before it reads the remaining arguments (BITCOUNT, BITPOS),
// so does this: `BITCOUNT missing 0` is 0 in Redis, not a syntax error, and clients see it.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "common/bit_string.h"
#include "server/command.h"
#include "server/commands/parse.h"
#include "server/commands/value_snapshot.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/store.h"

namespace crescent::server {

namespace {

using storage::CurrentValue;
using storage::UpdateDecision;
using V = UpdateDecision::Value;

size_t MaxStringSize(CommandContext& ctx) {
  return static_cast<size_t>(ctx.server.config().Int(config::OptionId::kProtoMaxBulkLen));
}

// A bit offset as Redis's getBitOffsetFromArgument reads it: a non-negative integer whose
// byte lies within proto-max-bulk-len; with `field_bits` (BITFIELD), "#N" means N fields
// of that width.
std::optional<uint64_t> ParseBitOffset(std::string_view text, size_t max_bytes,
                                       unsigned field_bits = 0) {
  bool in_fields = field_bits > 0 && !text.empty() && text[0] == '#';
  auto offset = ParseInt64(in_fields ? text.substr(1) : text);
  if (!offset || *offset < 0) return std::nullopt;
  if (in_fields) {
    if (*offset > INT64_MAX / field_bits) return std::nullopt;
    *offset *= field_bits;
  }
  if (static_cast<uint64_t>(*offset >> 3) >= max_bytes) return std::nullopt;
  return static_cast<uint64_t>(*offset);
}

std::optional<BitRangeUnit> ParseRangeUnit(std::string_view text) {
  if (EqualsIgnoreCase(text, "BYTE")) return BitRangeUnit::kByte;
  if (EqualsIgnoreCase(text, "BIT")) return BitRangeUnit::kBit;
  return std::nullopt;
}

void SetBit(CommandContext& ctx) {
  auto offset = ParseBitOffset(ctx.args[2], MaxStringSize(ctx));
  if (!offset) return ctx.Error(errors::kBitOffsetOutOfRange);
  auto on = ParseInt64(ctx.args[3]);
  if (!on || (*on & ~int64_t{1}) != 0) return ctx.Error(errors::kBitNotInteger);
  const size_t byte = *offset >> 3;
  const auto mask = static_cast<uint8_t>(0x80u >> (*offset & 7));
  bool old_bit = false;
  std::string updated;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    UpdateDecision d;
    std::string_view value = current.value;
    old_bit = byte < value.size() && (static_cast<uint8_t>(value[byte]) & mask) != 0;
    bool grows = !current.exists || value.size() <= byte;
    if (!grows && old_bit == (*on == 1)) return d;  // nothing changes
    updated.assign(value);
    if (updated.size() <= byte) updated.resize(byte + 1, '\0');
    auto& b = reinterpret_cast<uint8_t&>(updated[byte]);
    b = *on ? (b | mask) : (b & ~mask);
    d.value = V::kWrite;
    d.new_value = updated;
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  ctx.reply.Integer(old_bit ? 1 : 0);
}

void GetBit(CommandContext& ctx) {
  auto offset = ParseBitOffset(ctx.args[2], MaxStringSize(ctx));
  if (!offset) return ctx.Error(errors::kBitOffsetOutOfRange);
  bool bit = false;
  ctx.store.Get(ctx.args[1], [&](const storage::ValueView& v) {
    bit = GetBitfield(v.bytes(), *offset, BitfieldType{false, 1}) != 0;
  });
  ctx.reply.Integer(bit ? 1 : 0);
}

void BitCount(CommandContext& ctx) {
  auto value = ValueSnapshot::Read(ctx.store, ctx.args[1]);
  if (!value) return ctx.reply.Integer(0);
  size_t argc = ctx.args.size();
  if (argc == 2) return ctx.reply.Integer(static_cast<int64_t>(CountSetBits(value->bytes())));
  if (argc != 4 && argc != 5) return ctx.Error(errors::kSyntax);
  auto start = ParseInt64(ctx.args[2]);
  if (!start) return ctx.Error(errors::kNotInteger);
  auto end = ParseInt64(ctx.args[3]);
  if (!end) return ctx.Error(errors::kNotInteger);
  // Redis answers an empty negative range before it reads the unit.
  if (*start < 0 && *end < 0 && *start > *end) return ctx.reply.Integer(0);
  BitRangeUnit unit = BitRangeUnit::kByte;
  if (argc == 5) {
    auto parsed = ParseRangeUnit(ctx.args[4]);
    if (!parsed) return ctx.Error(errors::kSyntax);
    unit = *parsed;
  }
  ctx.reply.Integer(
      static_cast<int64_t>(CountSetBitsInRange(value->bytes(), *start, *end, unit)));
}

void BitPos(CommandContext& ctx) {
  auto bit = ParseInt64(ctx.args[2]);
  if (!bit) return ctx.Error(errors::kNotInteger);
  if (*bit != 0 && *bit != 1) return ctx.Error(errors::kBitPosBitArgument);
  // A missing key is an infinite run of zeros.
  auto value = ValueSnapshot::Read(ctx.store, ctx.args[1]);
  if (!value) return ctx.reply.Integer(*bit ? -1 : 0);
  size_t argc = ctx.args.size();
  if (argc == 3) return ctx.reply.Integer(FindBit(value->bytes(), *bit == 1));
  if (argc > 6) return ctx.Error(errors::kSyntax);
  // Redis's order: start, then the unit, then end.
  auto start = ParseInt64(ctx.args[3]);
  if (!start) return ctx.Error(errors::kNotInteger);
  BitRangeUnit unit = BitRangeUnit::kByte;
  if (argc == 6) {
    auto parsed = ParseRangeUnit(ctx.args[5]);
    if (!parsed) return ctx.Error(errors::kSyntax);
    unit = *parsed;
  }
  std::optional<int64_t> end;
  if (argc >= 5) {
    end = ParseInt64(ctx.args[4]);
    if (!end) return ctx.Error(errors::kNotInteger);
  }
  ctx.reply.Integer(FindBit(value->bytes(), *bit == 1, start, end, unit));
}

enum class BitOp { kAnd, kOr, kXor, kNot };

// BITOP op destkey key [key ...]: the sources are read (a missing one is an empty
// string, so zeros), then the destination is written whole with no TTL, or deleted when
// the result is empty. Replies with the result's length.
void BitOpCommand(CommandContext& ctx) {
  std::string_view name = ctx.args[1];
  BitOp op;
  if (EqualsIgnoreCase(name, "AND")) {
    op = BitOp::kAnd;
  } else if (EqualsIgnoreCase(name, "OR")) {
    op = BitOp::kOr;
  } else if (EqualsIgnoreCase(name, "XOR")) {
    op = BitOp::kXor;
  } else if (EqualsIgnoreCase(name, "NOT")) {
    op = BitOp::kNot;
  } else {
    return ctx.Error(errors::kSyntax);
  }
  if (op == BitOp::kNot && ctx.args.size() != 4) return ctx.Error(errors::kBitopNotSingleSource);

  std::vector<std::optional<ValueSnapshot>> sources;
  sources.reserve(ctx.args.size() - 3);
  size_t max_len = 0;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    sources.push_back(ValueSnapshot::Read(ctx.store, ctx.args[i]));
    if (sources.back()) max_len = std::max(max_len, sources.back()->bytes().size());
  }

  std::string result(max_len, '\0');
  auto source_bytes = [&](size_t k) {
    return sources[k] ? sources[k]->bytes() : std::string_view();
  };
  std::string_view first = source_bytes(0);
  if (!first.empty()) std::memcpy(result.data(), first.data(), first.size());
  if (op == BitOp::kNot) {
    for (char& c : result) c = static_cast<char>(~c);
  }
  for (size_t k = 1; k < sources.size(); ++k) {
    std::string_view src = source_bytes(k);
    for (size_t i = 0; i < max_len; ++i) {
      char b = i < src.size() ? src[i] : '\0';  // shorter strings are zero-padded
      switch (op) {
        case BitOp::kAnd: result[i] &= b; break;
        case BitOp::kOr: result[i] |= b; break;
        case BitOp::kXor: result[i] ^= b; break;
        case BitOp::kNot: break;  // one source only
      }
    }
  }
  sources.clear();  // drop the pins before writing

  std::string_view dest = ctx.args[2];
  if (max_len == 0) {
    ctx.store.Remove(dest);
    return ctx.reply.Integer(0);
  }
  auto prepared = ctx.store.Prepare(result);
  if (!prepared.ok()) return ctx.Error(prepared.status());
  Status s = ctx.store.Update(dest, [&](const CurrentValue&) {
    UpdateDecision d;
    d.value = V::kWritePrepared;
    d.prepared = &prepared.value();
    d.ttl = UpdateDecision::Ttl::kClear;
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  ctx.reply.Integer(static_cast<int64_t>(max_len));
}

struct BitfieldOp {
  enum class Kind { kGet, kSet, kIncrBy };
  Kind kind = Kind::kGet;
  BitfieldType type;
  uint64_t offset = 0;
  int64_t operand = 0;  // SET's value, INCRBY's increment
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
};

// BITFIELD's subcommands, in Redis's order of checks. Replies and returns false on error.
bool ParseBitfieldOps(CommandContext& ctx, std::vector<BitfieldOp>* ops) {
  size_t max_bytes = MaxStringSize(ctx);
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
  const size_t argc = ctx.args.size();
  for (size_t j = 2; j < argc; ++j) {
    std::string_view sub = ctx.args[j];
    size_t more = argc - j - 1;
    BitfieldOp op;
    if (EqualsIgnoreCase(sub, "GET") && more >= 2) {
      op.kind = BitfieldOp::Kind::kGet;
    } else if (EqualsIgnoreCase(sub, "SET") && more >= 3) {
      op.kind = BitfieldOp::Kind::kSet;
    } else if (EqualsIgnoreCase(sub, "INCRBY") && more >= 3) {
      op.kind = BitfieldOp::Kind::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "OVERFLOW") && more >= 1) {
      std::string_view mode = ctx.args[++j];
      if (EqualsIgnoreCase(mode, "WRAP")) {
        overflow = BitfieldOverflow::kWrap;
      } else if (EqualsIgnoreCase(mode, "SAT")) {
        overflow = BitfieldOverflow::kSat;
      } else if (EqualsIgnoreCase(mode, "FAIL")) {
        overflow = BitfieldOverflow::kFail;
      } else {
        ctx.Error(errors::kBitfieldInvalidOverflow);
        return false;
      }
      continue;
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
    auto type = ParseBitfieldType(ctx.args[j + 1]);
    if (!type) {
      ctx.Error(errors::kBitfieldInvalidType);
      return false;
    }
    auto offset = ParseBitOffset(ctx.args[j + 2], max_bytes, type->bits);
    if (!offset) {
      ctx.Error(errors::kBitOffsetOutOfRange);
      return false;
    }
    if (op.kind != BitfieldOp::Kind::kGet) {
      auto operand = ParseInt64(ctx.args[j + 3]);
      if (!operand) {
        ctx.Error(errors::kNotInteger);
        return false;
      }
      op.operand = *operand;
    }
    op.type = *type;
    op.offset = *offset;
    op.overflow = overflow;
    ops->push_back(op);
    j += op.kind == BitfieldOp::Kind::kGet ? 2 : 3;
  }
  return true;
}

void BitfieldGeneric(CommandContext& ctx, bool read_only_command) {
  std::vector<BitfieldOp> ops;
  if (!ParseBitfieldOps(ctx, &ops)) return;
  uint64_t highest_bit = 0;  // the last bit a SET or INCRBY touches
  bool writes = false;
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::Kind::kGet) continue;
    writes = true;
    highest_bit = std::max(highest_bit, op.offset + op.type.bits - 1);
  }

  if (!writes) {
    auto value = ValueSnapshot::Read(ctx.store, ctx.args[1]);
    std::string_view bytes = value ? value->bytes() : std::string_view();
    ctx.reply.Array(ops.size());
    for (const BitfieldOp& op : ops) ctx.reply.Integer(GetBitfield(bytes, op.offset, op.type));
    return;
  }
  if (read_only_command) return ctx.Error(errors::kBitfieldReadOnlyGetOnly);

  // As in Redis, the string grows to the last bit written even when every write fails
  // under OVERFLOW FAIL (and a missing key is created).
  std::vector<std::optional<int64_t>> replies;
  std::string updated;
  Status s = ctx.store.Update(ctx.args[1], [&](const CurrentValue& current) {
    replies.clear();
    updated.assign(current.value);
    size_t needed = static_cast<size_t>(highest_bit >> 3) + 1;
    if (updated.size() < needed) updated.resize(needed, '\0');
    for (const BitfieldOp& op : ops) {
      int64_t old = GetBitfield(updated, op.offset, op.type);
      if (op.kind == BitfieldOp::Kind::kGet) {
        replies.emplace_back(old);
        continue;
      }
      bool increment = op.kind == BitfieldOp::Kind::kIncrBy;
      auto stored = BitfieldResult(op.type, op.overflow, old, op.operand, increment);
      if (!stored) {
        replies.emplace_back(std::nullopt);  // FAIL: nothing written
        continue;
      }
      SetBitfield(updated, op.offset, op.type, *stored);
      replies.emplace_back(increment ? *stored : old);
    }
    UpdateDecision d;
    d.value = V::kWrite;
    d.new_value = updated;
    return d;
  });
  if (!s.ok()) return ctx.Error(s);
  ctx.reply.Array(replies.size());
  for (const auto& r : replies) {
    if (r) {
      ctx.reply.Integer(*r);
    } else {
      ctx.reply.Null();
    }
  }
}

void Bitfield(CommandContext& ctx) { BitfieldGeneric(ctx, false); }
void BitfieldRo(CommandContext& ctx) { BitfieldGeneric(ctx, true); }

constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
constexpr uint32_t kR = kCmdRead;

const CommandSpec kCommands[] = {
    {"bitcount", -2, kR, 1, 1, 1, BitCount, "bitmap", "Counts the number of set bits (population counting) in a string.", "2.6.0"},
    {"bitfield", -2, kW, 1, 1, 1, Bitfield, "bitmap", "Performs arbitrary bitfield integer operations on strings.", "3.2.0"},
    {"bitfield_ro", -2, kR | kCmdFast, 1, 1, 1, BitfieldRo, "bitmap", "Performs arbitrary read-only bitfield integer operations on strings.", "6.0.0"},
    {"bitop", -4, kW, 2, -1, 1, BitOpCommand, "bitmap", "Performs bitwise operations on multiple strings, and stores the result.", "2.6.0"},
    {"bitpos", -3, kR, 1, 1, 1, BitPos, "bitmap", "Finds the first set (1) or clear (0) bit in a string.", "2.8.7"},
    {"getbit", 3, kR | kCmdFast, 1, 1, 1, GetBit, "bitmap", "Returns a bit value by offset.", "2.2.0"},
    {"setbit", 4, kW, 1, 1, 1, SetBit, "bitmap", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", "2.2.0"},
};

}  // namespace

std::span<const CommandSpec> BitCommands() { return kCommands; }

}  // namespace crescent::server
