// DiskRecord: how one object is laid out as a RocksDB value in the SSD tier.
//
// The RocksDB key is the object's key, unchanged (binary-safe). The value is a fixed
// 40-byte header followed by the object's bytes:
//
//   offset size  field
//        0    1  format version (kDiskRecordFormat = 2)
//        1    1  flags: bit 0 soft pin, bit 1 hard pin; the other bits must be zero
//        2    6  key tag: the low 48 bits of XXH3-64 of the key (format 1: zero)
//        8    8  expire_at_ms, signed, Unix milliseconds; 0 = no expiry
//       16    8  version (the object's version number)
//       24    8  value length in bytes
//       32    8  XXH3-64 of the value bytes
//       40    n  value bytes
//
// Integers are little-endian. The checksum covers the value; the header is checked by
// structure instead (known format, no unknown flag set, a length that matches what
// RocksDB returned), so that a flipped bit anywhere is noticed. The key tag ties the
// record to its key: reads skip RocksDB's own CRC32c checks (Debian's build computes them
// in software, a quarter of the CPU of a read from disk), so a damaged index that led a
// read to another key's record must still be caught, and the tag catches it. Format 1
// records (no tag, zero bytes 2..7) are still read. expire_at_ms sits at a fixed offset
// so that the compaction filter can read it without decoding the rest.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace crescent::storage {

inline constexpr uint8_t kDiskRecordFormat = 2;
inline constexpr size_t kDiskRecordHeaderSize = 40;
inline constexpr size_t kDiskRecordExpireOffset = 8;

// What the tier keeps about an object besides its bytes.
struct DiskRecordMeta {
  bool soft_pin = false;
  bool hard_pin = false;
  int64_t expire_at_ms = 0;  // Unix ms; 0 = none
  uint64_t version = 0;

  bool operator==(const DiskRecordMeta&) const = default;
};

// One object read back from the tier. `checksum` is the XXH3-64 of `value`, already
// verified.
struct DiskRecord {
  DiskRecordMeta meta;
  std::string value;
  uint64_t checksum = 0;
};

// A header plus a view of the value bytes inside the encoded buffer it was decoded from
// (valid as long as that buffer is).
struct DecodedDiskRecord {
  DiskRecordMeta meta;
  std::string_view value;
  uint64_t checksum = 0;
};

// XXH3-64 of `value`: the checksum stored in the header.
uint64_t DiskRecordChecksum(std::string_view value);

// The 40-byte header of `key`'s record holding `value` (its length, checksum and key tag
// included), for writers that hand the header and the value to RocksDB as two slices
// instead of concatenating them.
void EncodeDiskRecordHeader(const DiskRecordMeta& meta, std::string_view key,
                            std::string_view value, char (&out)[kDiskRecordHeaderSize]);

// Header then value, as described above.
std::string EncodeDiskRecord(const DiskRecordMeta& meta, std::string_view key,
                             std::string_view value);

// Parses `encoded`, read under `key`, and, when `verify_checksum` is set, checks the
// value against the stored checksum. kCorruption (with what was wrong) for a short
// buffer, an unknown format, unknown flag bits, a key tag that is not `key`'s, a length
// mismatch or a checksum mismatch.
StatusOr<DecodedDiskRecord> DecodeDiskRecord(std::string_view key, std::string_view encoded,
                                             bool verify_checksum);

// Reads only expire_at_ms; nullopt when `encoded` is too short or of an unknown format.
// Used by the compaction filter, which must not pay for a checksum.
std::optional<int64_t> PeekDiskRecordExpiry(std::string_view encoded);

// Whether a record with this expiry is dead at `now_ms`.
inline bool DiskRecordExpired(int64_t expire_at_ms, int64_t now_ms) {
  return expire_at_ms != 0 && expire_at_ms <= now_ms;
}

}  // namespace crescent::storage
