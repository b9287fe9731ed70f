// The dump file of `crescent-cli dump` / `load`: every object of a server, binary-safe,
// written and read as a stream (one object at a time is held in memory). The layout is
// documented in docs/cli-dump-format.md (version 1, byte-compatible with the files the
// earlier Python tool wrote):
//
//   header  magic "\x89CRDUMP\n" (8 bytes), version (1 byte, 1), reference time (u64 LE,
//           Unix ms)
//   object  tag 0x01, flags (bit 0 TTL, bit 1 soft pin, bit 2 hard pin), varint key
//           length + key, varint value length + value, [varint ttl], [varint soft pin]
//   end     tag 0x00, object count (u64 LE), SHA-256 of every byte before it (32 bytes)
//
// Varints are unsigned LEB128. TTL and soft pin are ms after the reference time.
// Failures (I/O, a file that is not a dump, truncated or corrupt) throw DumpError.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace crescent::cli {

class DumpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::string_view kDumpMagic{"\x89" "CRDUMP\n", 8};
inline constexpr uint8_t kDumpVersion = 1;

struct DumpRecord {
  std::string key;
  std::string value;
  std::optional<uint64_t> ttl_ms;       // ms after the reference time
  std::optional<uint64_t> soft_pin_ms;  // ms after the reference time
  bool hard_pin = false;
};

// SHA-256 over a stream of bytes (OpenSSL's EVP).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view bytes);
  std::string Digest();  // 32 bytes; call once

 private:
  EVP_MD_CTX* ctx_;
};

class DumpWriter {
 public:
  // Writes the header. `out` stays the caller's (not closed here).
  DumpWriter(FILE* out, uint64_t reference_ms);
  void Add(std::string_view key, std::string_view value, std::optional<uint64_t> ttl_ms,
           std::optional<uint64_t> soft_pin_ms, bool hard_pin);
  // Writes the end record and the checksum, and flushes.
  void Finish();
  uint64_t count() const { return count_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  void Buffer(std::string_view bytes);
  void Varint(uint64_t n);
  void Flush();
  void Write(std::string_view bytes);

  FILE* out_;
  Sha256 hash_;
  std::string buf_;
  uint64_t count_ = 0;
  uint64_t bytes_written_ = 0;
};

class DumpReader {
 public:
  // Reads and checks the header.
  explicit DumpReader(FILE* in);
  // The next object; false after the end record was read and the count, the checksum and
  // the end of the file were checked.
  bool Next(DumpRecord* record);
  uint64_t reference_ms() const { return reference_ms_; }
  uint64_t count() const { return count_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  // The next n bytes (valid until the next Take); throws if the file ends first.
  std::string_view Take(size_t n, const char* what);
  uint64_t ReadVarint(const char* what);
  void HashConsumed();

  FILE* in_;
  Sha256 hash_;
  std::vector<char> buf_;
  size_t pos_ = 0;      // bytes of buf_ consumed
  size_t end_ = 0;      // bytes of buf_ filled
  size_t hashed_ = 0;   // bytes of buf_ already hashed
  uint64_t bytes_read_ = 0;
  uint64_t count_ = 0;
  uint64_t reference_ms_ = 0;
};

// Checks the trailing SHA-256 of the dump file at `path` against its contents, before
// anything is loaded. Returns the file's size; `progress(bytes_done)` as it goes.
uint64_t VerifyDumpFile(const std::string& path, const std::function<void(uint64_t)>& progress);

}  // namespace crescent::cli
