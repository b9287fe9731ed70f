// The payload of DUMP and RESTORE for a string value, in Redis's format, so that values
// move between redis-server and crescentd byte for byte (redis-cli --pipe of DUMPs,
// RESTORE from a Redis client library, a migration script):
//
//   type byte 0 (RDB_TYPE_STRING)
//   the value as an RDB string: a length then the bytes; or an integer (0xC0 INT8,
//     0xC1 INT16, 0xC2 INT32, little endian); or LZF-compressed (0xC3, compressed
//     length, value length, the LZF stream)
//   the RDB version, 2 bytes little endian (Redis 7.0 writes and reads up to 10)
//   CRC-64 (common/crc64.h) of everything before it, 8 bytes little endian
//
// RDB lengths: 00xxxxxx (6 bits), 01xxxxxx xxxxxxxx (14 bits), 0x80 then 4 bytes big
// endian, 0x81 then 8 bytes big endian.
//
// Encoding writes what Redis 7.0's rdbSaveRawString does (integer form for a canonical
// integer of up to 11 characters that fits 32 bits, LZF for more than 20 bytes when it
// saves at least 4), so a DUMP of the same value is the same payload from either server.
// Decoding accepts every form. It is stricter than Redis in one way: the value must end
// exactly where the version begins (Redis ignores trailing bytes and reads into the
// footer when a length runs over it); only a hand-made payload can differ.
//
// Knows nothing of RESP or the store. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace crescent::server {

// The RDB version written into payloads, and the highest one accepted.
inline constexpr uint16_t kDumpRdbVersion = 10;

// The DUMP payload of a string value.
std::string EncodeDumpPayload(std::string_view value);

// The string value a RESTORE payload holds: a view into `payload` when it is stored
// raw, else into *scratch (decompressed or formatted there). Checked in Redis's order:
//   kCorruption       the version is above kDumpRdbVersion or the checksum is wrong
//                     (or the payload is too short to have either);
//   kInvalidArgument  not a string (Crescent stores nothing else), or malformed;
//   kTooLarge         the value would be longer than `max_size` bytes.
StatusOr<std::string_view> DecodeDumpPayload(std::string_view payload, size_t max_size,
                                             std::string* scratch);

}  // namespace crescent::server
