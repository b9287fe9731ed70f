// Tests for common/crc64.cpp: Redis's check value, and that eight bytes a step agree
// with the bytewise definition at every length and alignment.
#include "common/crc64.h"

#include <doctest/doctest.h>

#include <string>

namespace crescent {
namespace {

// The definition, one bit at a time (Redis's crc64.c reference `_crc64`).
uint64_t BitwiseCrc64(uint64_t crc, std::string_view bytes) {
  for (unsigned char c : bytes) {
    crc ^= c;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ull : crc >> 1;
  }
  return crc;
}

TEST_CASE("Crc64: Redis's check value") {
  CHECK(Crc64(0, "123456789") == 0xe9c6d914c4b8d9caull);
  CHECK(Crc64(0, "") == 0);
}

TEST_CASE("Crc64: continues across pieces") {
  std::string s = "123456789";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint64_t crc = Crc64(Crc64(0, std::string_view(s).substr(0, cut)), std::string_view(s).substr(cut));
    CHECK(crc == 0xe9c6d914c4b8d9caull);
  }
}

TEST_CASE("Crc64: eight bytes a step agree with the definition") {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; start + len <= data.size(); len += 7) {
      std::string_view piece = std::string_view(data).substr(start, len);
      REQUIRE(Crc64(0, piece) == BitwiseCrc64(0, piece));
    }
  }
}

}  // namespace
}  // namespace crescent
