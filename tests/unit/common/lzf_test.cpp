// Tests for common/lzf.cpp: round trips at every small size, liblzf streams as Redis
// writes them, and malformed streams refused without reading or writing out of bounds.
#include "common/lzf.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

namespace crescent {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Compress(std::string_view in, size_t capacity) {
  std::string out(capacity, '\0');
  out.resize(LzfCompress(in, out.data(), out.size()));
  return out;
}

std::string Pseudorandom(size_t n, uint32_t seed) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1103515245u + 12345u;
    out.push_back(static_cast<char>(seed >> 16));
  }
  return out;
}

void CheckRoundTrip(const std::string& in) {
  std::string compressed = Compress(in, in.size() + in.size() / 16 + 64);
  REQUIRE(!compressed.empty());
  std::string back(in.size(), '\0');
  REQUIRE(LzfDecompress(compressed, back.data(), back.size()));
  REQUIRE(back == in);
}

TEST_CASE("Lzf: round trip at every small size, compressible or not") {
  for (size_t n = 1; n < 600; n += (n < 80 ? 1 : 37)) {
    CheckRoundTrip(std::string(n, 'a'));
    CheckRoundTrip(Pseudorandom(n, static_cast<uint32_t>(n)));
    std::string text;
    while (text.size() < n) text += "key:" + std::to_string(text.size() % 97) + ";";
    text.resize(n);
    CheckRoundTrip(text);
  }
  // References reach 8 KiB back and copy up to 264 bytes.
  std::string far = Pseudorandom(8190, 1) + Pseudorandom(8190, 1) + std::string(70000, 'z');
  CheckRoundTrip(far);
  CHECK(Compress(far, far.size()).size() < far.size() / 2);
}

TEST_CASE("Lzf: compresses as redis-server 7.0 does") {
  // The LZF streams inside payloads that redis-server DUMPed (see dump_payload_test).
  CHECK(Compress(std::string(100, 'a'), 96) == Unhex("016161e05700016161"));
  CHECK(Compress(std::string(21, 'x'), 17) == Unhex("017878e00a00"));
  CHECK(Compress("abcabcabcabcabcabcabc", 17) == Unhex("0361626361e00602016263"));
  CHECK(Compress("hello world, hello world, hello world!", 34) ==
        Unhex("0d68656c6c6f20776f726c642c2068e00d0c016421"));
}

TEST_CASE("Lzf: output that does not fit is refused") {
  std::string noise = Pseudorandom(200, 9);
  CHECK(Compress(noise, noise.size() - 4).empty());
  CHECK(Compress("", 10).empty());
  CHECK(Compress("abc", 0).empty());
}

TEST_CASE("Lzf: malformed streams are refused") {
  char out[64];
  // A literal run longer than the input holds.
  CHECK_FALSE(LzfDecompress(Unhex("0561"), out, 6));
  // A literal run longer than the output.
  CHECK_FALSE(LzfDecompress(Unhex("02616263"), out, 2));
  // A back reference before the start of the output.
  CHECK_FALSE(LzfDecompress(Unhex("0061" "2001"), out, 4));
  // A back reference cut short (no offset byte; no length byte).
  CHECK_FALSE(LzfDecompress(Unhex("0061" "20"), out, 4));
  CHECK_FALSE(LzfDecompress(Unhex("0061" "e0"), out, 12));
  // Valid, but expands to another size than asked.
  std::string good = Unhex("016161e05700016161");
  std::string back(100, '\0');
  CHECK(LzfDecompress(good, back.data(), 100));
  CHECK(back == std::string(100, 'a'));
  CHECK_FALSE(LzfDecompress(good, back.data(), 99));
  std::string more(101, '\0');
  CHECK_FALSE(LzfDecompress(good, more.data(), 101));
  // Every truncation of a valid stream is refused or comes out short.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    CHECK_FALSE(LzfDecompress(std::string_view(good).substr(0, cut), back.data(), 100));
  }
}

}  // namespace
}  // namespace crescent
