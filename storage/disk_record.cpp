// DiskRecord encoding: see disk_record.h for the layout.
#include "storage/disk_record.h"

#include <xxhash.h>

#include <bit>
#include <cstring>

namespace crescent::storage {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the record header is written in native order, which must be little-endian");

constexpr uint8_t kFlagSoftPin = 1u << 0;
constexpr uint8_t kFlagHardPin = 1u << 1;
constexpr uint8_t kKnownFlags = kFlagSoftPin | kFlagHardPin;

template <typename T>
void Store(char* at, T v) {
  std::memcpy(at, &v, sizeof v);
}

template <typename T>
T Load(const char* at) {
  T v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

Status Corrupt(const char* what) { return Status(StatusCode::kCorruption, what); }

constexpr size_t kKeyTagOffset = 2;
constexpr size_t kKeyTagBytes = 6;

// The low 48 bits of XXH3-64 of the key, as stored at kKeyTagOffset.
uint64_t KeyTag(std::string_view key) {
  return XXH3_64bits(key.data(), key.size()) & ((uint64_t{1} << (8 * kKeyTagBytes)) - 1);
}

uint64_t LoadKeyTag(const char* header) {
  uint64_t tag = 0;
  std::memcpy(&tag, header + kKeyTagOffset, kKeyTagBytes);
  return tag;
}

bool KnownFormat(uint8_t format) { return format == 1 || format == kDiskRecordFormat; }

}  // namespace

uint64_t DiskRecordChecksum(std::string_view value) {
  return XXH3_64bits(value.data(), value.size());
}

void EncodeDiskRecordHeader(const DiskRecordMeta& meta, std::string_view key,
                            std::string_view value, char (&out)[kDiskRecordHeaderSize]) {
  uint8_t flags = 0;
  if (meta.soft_pin) flags |= kFlagSoftPin;
  if (meta.hard_pin) flags |= kFlagHardPin;
  out[0] = static_cast<char>(kDiskRecordFormat);
  out[1] = static_cast<char>(flags);
  const uint64_t tag = KeyTag(key);
  std::memcpy(out + kKeyTagOffset, &tag, kKeyTagBytes);
  Store<int64_t>(out + kDiskRecordExpireOffset, meta.expire_at_ms);
  Store<uint64_t>(out + 16, meta.version);
  Store<uint64_t>(out + 24, value.size());
  Store<uint64_t>(out + 32, DiskRecordChecksum(value));
}

std::string EncodeDiskRecord(const DiskRecordMeta& meta, std::string_view key,
                             std::string_view value) {
  char header[kDiskRecordHeaderSize];
  EncodeDiskRecordHeader(meta, key, value, header);
  std::string out;
  out.reserve(kDiskRecordHeaderSize + value.size());
  out.append(header, kDiskRecordHeaderSize);
  out.append(value);
  return out;
}

StatusOr<DecodedDiskRecord> DecodeDiskRecord(std::string_view key, std::string_view encoded,
                                             bool verify_checksum) {
  if (encoded.size() < kDiskRecordHeaderSize) return Corrupt("record shorter than its header");
  const char* p = encoded.data();
  const auto format = static_cast<uint8_t>(p[0]);
  if (!KnownFormat(format)) return Corrupt("unknown record format");
  const auto flags = static_cast<uint8_t>(p[1]);
  if ((flags & ~kKnownFlags) != 0) return Corrupt("unknown record flags");
  if (LoadKeyTag(p) != (format == 1 ? 0 : KeyTag(key))) {
    return Corrupt(format == 1 ? "reserved header bytes are not zero"
                               : "record belongs to another key");
  }
  const auto length = Load<uint64_t>(p + 24);
  if (length != encoded.size() - kDiskRecordHeaderSize) return Corrupt("record length mismatch");

  DecodedDiskRecord out;
  out.meta.soft_pin = (flags & kFlagSoftPin) != 0;
  out.meta.hard_pin = (flags & kFlagHardPin) != 0;
  out.meta.expire_at_ms = Load<int64_t>(p + kDiskRecordExpireOffset);
  out.meta.version = Load<uint64_t>(p + 16);
  out.checksum = Load<uint64_t>(p + 32);
  out.value = encoded.substr(kDiskRecordHeaderSize);
  if (verify_checksum && DiskRecordChecksum(out.value) != out.checksum) {
    return Corrupt("value checksum mismatch");
  }
  return out;
}

std::optional<int64_t> PeekDiskRecordExpiry(std::string_view encoded) {
  if (encoded.size() < kDiskRecordHeaderSize) return std::nullopt;
  if (!KnownFormat(static_cast<uint8_t>(encoded[0]))) return std::nullopt;
  return Load<int64_t>(encoded.data() + kDiskRecordExpireOffset);
}

}  // namespace crescent::storage
