#include "tools/crescent_cli/dump_file.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace crescent::cli {
namespace {

constexpr uint8_t kTagEnd = 0x00;
constexpr uint8_t kTagObject = 0x01;
constexpr uint8_t kFlagTtl = 0x01;
constexpr uint8_t kFlagSoftPin = 0x02;
constexpr uint8_t kFlagHardPin = 0x04;
constexpr size_t kChecksumBytes = 32;
constexpr size_t kHeaderBytes = 8 + 1 + 8;
constexpr size_t kTrailerBytes = 1 + 8 + kChecksumBytes;
constexpr size_t kFlushAt = 1 << 20;  // values this large skip the buffer

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t GetU64(std::string_view b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[static_cast<size_t>(i)]);
  return v;
}

std::string Hex2(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", v);
  return buf;
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }
void Sha256::Update(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
std::string Sha256::Digest() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_, out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

// -- writer ------------------------------------------------------------------------------

DumpWriter::DumpWriter(FILE* out, uint64_t reference_ms) : out_(out) {
  buf_.reserve(2 * kFlushAt);
  buf_.append(kDumpMagic);
  buf_.push_back(static_cast<char>(kDumpVersion));
  PutU64(&buf_, reference_ms);
}

void DumpWriter::Write(std::string_view bytes) {
  if (bytes.empty()) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), out_) != bytes.size()) {
    throw DumpError(std::string("write failed: ") + std::strerror(errno));
  }
  bytes_written_ += bytes.size();
}

void DumpWriter::Flush() {
  hash_.Update(buf_);
  Write(buf_);
  buf_.clear();
}

void DumpWriter::Buffer(std::string_view bytes) {
  if (bytes.size() >= kFlushAt) {  // large values are written from where they are
    Flush();
    hash_.Update(bytes);
    Write(bytes);
    return;
  }
  buf_.append(bytes);
  if (buf_.size() >= kFlushAt) Flush();
}

void DumpWriter::Varint(uint64_t n) {
  do {
    uint8_t byte = n & 0x7F;
    n >>= 7;
    buf_.push_back(static_cast<char>(n ? byte | 0x80 : byte));
  } while (n);
}

void DumpWriter::Add(std::string_view key, std::string_view value, std::optional<uint64_t> ttl_ms,
                     std::optional<uint64_t> soft_pin_ms, bool hard_pin) {
  uint8_t flags = (ttl_ms ? kFlagTtl : 0) | (soft_pin_ms ? kFlagSoftPin : 0) | (hard_pin ? kFlagHardPin : 0);
  buf_.push_back(static_cast<char>(kTagObject));
  buf_.push_back(static_cast<char>(flags));
  Varint(key.size());
  Buffer(key);
  Varint(value.size());
  Buffer(value);
  if (ttl_ms) Varint(*ttl_ms);
  if (soft_pin_ms) Varint(*soft_pin_ms);
  ++count_;
}

void DumpWriter::Finish() {
  buf_.push_back(static_cast<char>(kTagEnd));
  PutU64(&buf_, count_);
  Flush();
  Write(hash_.Digest());
  if (std::fflush(out_) != 0) throw DumpError(std::string("write failed: ") + std::strerror(errno));
}

// -- reader ------------------------------------------------------------------------------

DumpReader::DumpReader(FILE* in) : in_(in) {
  std::string_view header = Take(kHeaderBytes, "the header");
  if (header.substr(0, kDumpMagic.size()) != kDumpMagic) throw DumpError("not a crescent-cli dump (bad magic)");
  unsigned version = static_cast<unsigned char>(header[kDumpMagic.size()]);
  if (version != kDumpVersion) {
    throw DumpError("dump version " + std::to_string(version) + " is not supported (this tool reads " +
                    std::to_string(kDumpVersion) + ")");
  }
  reference_ms_ = GetU64(header.substr(kDumpMagic.size() + 1));
}

void DumpReader::HashConsumed() {
  if (pos_ > hashed_) hash_.Update(std::string_view(buf_.data() + hashed_, pos_ - hashed_));
  hashed_ = pos_;
}

std::string_view DumpReader::Take(size_t n, const char* what) {
  if (end_ - pos_ < n) {
    HashConsumed();
    size_t rest = end_ - pos_;
    if (rest > 0) std::memmove(buf_.data(), buf_.data() + pos_, rest);  // data() may be null
    pos_ = hashed_ = 0;
    end_ = rest;
    size_t want = std::max(n, size_t{1} << 20);
    if (buf_.size() < want) buf_.resize(want);
    while (end_ < n) {
      size_t got = std::fread(buf_.data() + end_, 1, buf_.size() - end_, in_);
      if (got == 0) {
        if (std::ferror(in_)) throw DumpError(std::string("read failed: ") + std::strerror(errno));
        throw DumpError(std::string("truncated file: it ends inside ") + what);
      }
      end_ += got;
    }
  }
  std::string_view out(buf_.data() + pos_, n);
  pos_ += n;
  bytes_read_ += n;
  return out;
}

uint64_t DumpReader::ReadVarint(const char* what) {
  uint64_t n = 0;
  for (int shift = 0;; shift += 7) {
    if (shift > 63) throw DumpError(std::string("corrupt file: ") + what + " is not a valid varint");
    uint8_t b = static_cast<uint8_t>(Take(1, what)[0]);
    n |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return n;
  }
}

bool DumpReader::Next(DumpRecord* record) {
  uint8_t tag = static_cast<uint8_t>(Take(1, "a record tag")[0]);
  if (tag == kTagEnd) {
    uint64_t count = GetU64(Take(8, "the trailer"));
    HashConsumed();
    std::string expected = hash_.Digest();
    std::string_view digest = Take(kChecksumBytes, "the checksum");
    if (digest != expected) throw DumpError("checksum mismatch: the file is corrupt");
    if (count != count_) {
      throw DumpError("the trailer counts " + std::to_string(count) + " objects but the file holds " +
                      std::to_string(count_));
    }
    char extra;
    if (pos_ != end_ || std::fread(&extra, 1, 1, in_) == 1) throw DumpError("unexpected bytes after the checksum");
    return false;
  }
  if (tag != kTagObject) {
    throw DumpError("corrupt file: unknown record tag " + Hex2(tag) + " at byte " + std::to_string(bytes_read_ - 1));
  }
  uint8_t flags = static_cast<uint8_t>(Take(1, "a record")[0]);
  if (flags & ~(kFlagTtl | kFlagSoftPin | kFlagHardPin)) {
    throw DumpError("corrupt file: unknown flags " + Hex2(flags) + " at byte " + std::to_string(bytes_read_ - 1));
  }
  // A length is checked against what a file can hold before it is allocated.
  uint64_t key_len = ReadVarint("a key length");
  if (key_len > (1ull << 32)) throw DumpError("corrupt file: a key length is too large");
  record->key.assign(Take(key_len, "a key"));
  uint64_t value_len = ReadVarint("a value length");
  if (value_len > (1ull << 32)) throw DumpError("corrupt file: a value length is too large");
  record->value.assign(Take(value_len, "a value"));
  record->ttl_ms.reset();
  record->soft_pin_ms.reset();
  if (flags & kFlagTtl) record->ttl_ms = ReadVarint("a TTL");
  if (flags & kFlagSoftPin) record->soft_pin_ms = ReadVarint("a soft pin");
  record->hard_pin = flags & kFlagHardPin;
  ++count_;
  return true;
}

uint64_t VerifyDumpFile(const std::string& path, const std::function<void(uint64_t)>& progress) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) throw DumpError("cannot read " + path + ": " + std::strerror(errno));
  std::fseek(f.get(), 0, SEEK_END);
  long end = std::ftell(f.get());
  if (end < 0) throw DumpError("cannot read " + path + ": " + std::strerror(errno));
  uint64_t size = static_cast<uint64_t>(end);
  if (size < kHeaderBytes + kTrailerBytes) {
    throw DumpError(path + ": too short to be a dump (" + std::to_string(size) + " bytes)");
  }
  std::rewind(f.get());
  char magic[8];
  if (std::fread(magic, 1, 8, f.get()) != 8 || std::string_view(magic, 8) != kDumpMagic) {
    throw DumpError(path + ": not a crescent-cli dump (bad magic)");
  }
  std::rewind(f.get());
  Sha256 hash;
  std::vector<char> buf(4 << 20);
  uint64_t left = size - kChecksumBytes;
  uint64_t done = 0;
  while (left > 0) {
    size_t got = std::fread(buf.data(), 1, std::min<uint64_t>(left, buf.size()), f.get());
    if (got == 0) throw DumpError(path + ": file shrank while being read");
    hash.Update(std::string_view(buf.data(), got));
    left -= got;
    done += got;
    if (progress) progress(done);
  }
  char digest[kChecksumBytes];
  if (std::fread(digest, 1, kChecksumBytes, f.get()) != kChecksumBytes ||
      std::string_view(digest, kChecksumBytes) != hash.Digest()) {
    throw DumpError(path + ": checksum mismatch: the file is corrupt or truncated");
  }
  return size;
}

}  // namespace crescent::cli
