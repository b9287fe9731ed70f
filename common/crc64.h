// CRC-64 as Redis computes it (src/crc64.c) for DUMP payloads and RDB files: the Jones
// polynomial 0xad93d23594c935a9, input and output reflected, initial value 0, no final
// xor. Check value: Crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
//
// Eight bytes per step (slicing-by-8, as Redis's crcspeed does), since a DUMP or RESTORE
// of a large value checksums every byte of it. Pure function; any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace crescent {

// Continues `crc` (0 to start) over `bytes`.
uint64_t Crc64(uint64_t crc, std::string_view bytes);

}  // namespace crescent
