#include "common/lzf.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace crescent {

namespace {

constexpr unsigned kHashLog = 16;                       // liblzf's HLOG, as Redis builds it
constexpr unsigned kHashSize = 1u << kHashLog;
constexpr unsigned kMaxLiteral = 1u << 5;               // MAX_LIT: bytes in one literal run
constexpr size_t kMaxOffset = 1u << 13;                 // MAX_OFF: how far back a reference reaches
constexpr unsigned kMaxReference = (1u << 8) + (1u << 3);  // MAX_REF: bytes one reference copies

// liblzf's hash of three bytes (VERY_FAST). `h` keeps older bytes in its upper bits,
// which take part, so the arithmetic must stay 32-bit unsigned as in C.
inline uint32_t First(const unsigned char* p) { return (uint32_t{p[0]} << 8) | p[1]; }
inline uint32_t Next(uint32_t h, const unsigned char* p) { return (h << 8) | p[2]; }
inline uint32_t Index(uint32_t h) { return ((h >> (3 * 8 - kHashLog)) - h * 5) & (kHashSize - 1); }

}  // namespace

size_t LzfCompress(std::string_view input, char* output, size_t out_capacity) {
  if (input.empty() || out_capacity == 0) return 0;
  // Positions are kept as offsets from the start of the input (liblzf's
  // LZF_USE_OFFSETS): 0 never names a usable match, since a match must start after it.
  thread_local std::vector<uint32_t> table(kHashSize);
  std::memset(table.data(), 0, table.size() * sizeof(uint32_t));

  const auto* const in = reinterpret_cast<const unsigned char*>(input.data());
  const unsigned char* ip = in;
  const unsigned char* const in_end = in + input.size();
  auto* const out = reinterpret_cast<unsigned char*>(output);
  unsigned char* op = out;
  unsigned char* const out_end = out + out_capacity;
  int lit = 0;  // bytes in the current literal run, whose control byte is at op[-lit-1]

  ++op;  // room for the first run's control byte
  uint32_t hval = input.size() >= 2 ? First(ip) : 0;
  while (input.size() >= 3 && ip < in_end - 2) {
    hval = Next(hval, ip);
    uint32_t& slot = table[Index(hval)];
    const unsigned char* ref = in + slot;
    slot = static_cast<uint32_t>(ip - in);
    size_t off = static_cast<size_t>(ip - ref) - 1;
    if (ref < ip && off < kMaxOffset && ref > in && ref[2] == ip[2] && ref[0] == ip[0] &&
        ref[1] == ip[1]) {
      unsigned len = 2;
      unsigned maxlen = static_cast<unsigned>(in_end - ip) - len;
      if (maxlen > kMaxReference) maxlen = kMaxReference;
      if (op + 3 + 1 >= out_end && op - !lit + 3 + 1 >= out_end) return 0;
      op[-lit - 1] = static_cast<unsigned char>(lit - 1);  // close the literal run
      op -= !lit;                                           // or drop it when empty
      // liblzf's loop, unrolled sixteen times there: when more than 16 bytes may match,
      // the first 16 are compared before the bound is looked at again (so a match can
      // run two bytes past maxlen, still inside the input).
      bool mismatch = false;
      if (maxlen > 16) {
        for (int i = 0; i < 16; ++i) {
          ++len;
          if (ref[len] != ip[len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do {
          ++len;
        } while (len < maxlen && ref[len] == ip[len]);
      }
      // `len` bytes match; the reference's length field is that less two.
      len -= 2;
      ++ip;
      if (len < 7) {
        *op++ = static_cast<unsigned char>((off >> 8) + (len << 5));
      } else {
        *op++ = static_cast<unsigned char>((off >> 8) + (7u << 5));
        *op++ = static_cast<unsigned char>(len - 7);
      }
      *op++ = static_cast<unsigned char>(off);
      lit = 0;
      ++op;  // the next run's control byte
      ip += len + 1;
      if (ip >= in_end - 2) break;
      // VERY_FAST: hash the last two positions of the match too.
      ip -= 2;
      hval = First(ip);
      hval = Next(hval, ip);
      table[Index(hval)] = static_cast<uint32_t>(ip - in);
      ++ip;
      hval = Next(hval, ip);
      table[Index(hval)] = static_cast<uint32_t>(ip - in);
      ++ip;
    } else {
      if (op >= out_end) return 0;
      ++lit;
      *op++ = *ip++;
      if (lit == static_cast<int>(kMaxLiteral)) {
        op[-lit - 1] = static_cast<unsigned char>(lit - 1);
        lit = 0;
        ++op;
      }
    }
  }
  if (op + 3 > out_end) return 0;  // at most three bytes are left to copy
  while (ip < in_end) {
    ++lit;
    *op++ = *ip++;
    if (lit == static_cast<int>(kMaxLiteral)) {
      op[-lit - 1] = static_cast<unsigned char>(lit - 1);
      lit = 0;
      ++op;
    }
  }
  op[-lit - 1] = static_cast<unsigned char>(lit - 1);
  op -= !lit;
  return static_cast<size_t>(op - out);
}

bool LzfDecompress(std::string_view input, char* output, size_t out_size) {
  const auto* ip = reinterpret_cast<const unsigned char*>(input.data());
  const unsigned char* const in_end = ip + input.size();
  auto* const out = reinterpret_cast<unsigned char*>(output);
  unsigned char* op = out;
  unsigned char* const out_end = out + out_size;
  while (ip < in_end) {
    unsigned ctrl = *ip++;
    if (ctrl < (1u << 5)) {  // literal run of ctrl + 1 bytes
      size_t n = ctrl + 1;
      if (static_cast<size_t>(out_end - op) < n || static_cast<size_t>(in_end - ip) < n) {
        return false;
      }
      std::memcpy(op, ip, n);
      op += n;
      ip += n;
    } else {  // back reference
      size_t len = ctrl >> 5;
      size_t back = (size_t{ctrl & 0x1f} << 8) + 1;
      if (ip >= in_end) return false;
      if (len == 7) {
        len += *ip++;
        if (ip >= in_end) return false;
      }
      back += *ip++;
      len += 2;
      if (static_cast<size_t>(out_end - op) < len) return false;
      if (static_cast<size_t>(op - out) < back) return false;
      const unsigned char* ref = op - back;
      // Byte by byte: the source may overlap what this copy writes (a run).
      for (size_t i = 0; i < len; ++i) op[i] = ref[i];
      op += len;
    }
  }
  return op == out_end;
}

}  // namespace crescent
