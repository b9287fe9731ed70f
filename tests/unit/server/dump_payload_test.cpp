// Tests for server/commands/dump_payload.cpp against payloads that redis-server 7.0.15
// DUMPed (captured with redis-py: r.set(k, v); r.dump(k).hex()): each decodes to its
// value, and each value encodes to the very same payload.
#include "server/commands/dump_payload.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/crc64.h"

namespace crescent::server {
namespace {

constexpr size_t kNoLimit = SIZE_MAX;

std::string Unhex(std::string_view hex) {
  std::string digits;
  for (char c : hex) {
    if (c != ' ') digits.push_back(c);
  }
  std::string out;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// A payload with a correct footer around `body` (type byte and object).
std::string WithFooter(std::string body, uint16_t version = kDumpRdbVersion) {
  body.push_back(static_cast<char>(version & 0xff));
  body.push_back(static_cast<char>(version >> 8));
  uint64_t crc = Crc64(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  return body;
}

StatusOr<std::string> Decode(std::string_view payload, size_t max_size = kNoLimit) {
  std::string scratch;
  auto v = DecodeDumpPayload(payload, max_size, &scratch);
  if (!v.ok()) return v.status();
  return std::string(*v);
}

struct Vector {
  std::string value;
  std::string_view payload_hex;
};

const std::vector<Vector>& RedisVectors() {
  static const std::vector<Vector> vectors = {
      {"", "00000a005d9b5c400f7fa2da"},
      {"12", "00c00c0a003c2af8515c04bcd5"},                      // INT8
      {"-100", "00c09c0a00ff77a3b766addee4"},
      {"1000", "00c1e8030a0089d1478ebac4b764"},                  // INT16
      {"-70000", "00c290eefeff0a002875de7b13eb2800"},            // INT32
      {"2147483647", "00c2ffffff7f0a002c74e59ee02eada1"},
      {"9223372036854775807", "0013393232333337323033363835343737353830370a003a657e9481e85f22"},
      {"0123", "0004303132330a000ae40c929e3b6422"},                // not canonical: raw
      {"+5", "00022b350a0087d1480711b44cc2"},
      {"hello", "000568656c6c6f0a006372df766534200a"},
      {std::string("\x00\x01\x02\xff\xfe\x80\xc3\x0a\x0d", 9), "0009000102fffe80c30a0d0a006c38924a45883074"},
      {std::string(20, 'x'), "001478787878787878787878787878787878787878780a005b3c81eca58cc56b"},
      {std::string(21, 'x'), "00c30615017878e00a000a00941a83676017192f"},   // LZF from 21 bytes
      {std::string(100, 'a'), "00c3094064016161e057000161610a00e8a3b507b06df271"},
      {"abcabcabcabcabcabcabc", "00c30b150361626361e006020162630a000201710c8eebf946"},
      {"hello world, hello world, hello world!",
       "00c315260d68656c6c6f20776f726c642c2068e00d0c0164210a009501213ad3fde980"},
  };
  return vectors;
}

TEST_CASE("DumpPayload: redis-server's payloads decode to their values") {
  for (const auto& v : RedisVectors()) {
    CAPTURE(v.payload_hex);
    auto decoded = Decode(Unhex(v.payload_hex));
    REQUIRE(decoded.ok());
    CHECK(*decoded == v.value);
  }
}

TEST_CASE("DumpPayload: values encode to redis-server's payloads") {
  for (const auto& v : RedisVectors()) {
    CAPTURE(v.payload_hex);
    CHECK(EncodeDumpPayload(v.value) == Unhex(v.payload_hex));
  }
}

TEST_CASE("DumpPayload: larger values as redis-server writes them") {
  // "ab" x 5000: one literal run, then back references of 264 bytes.
  std::string ab;
  for (int i = 0; i < 5000; ++i) ab += "ab";
  std::string redis_ab = Unhex(
      "00c34079671002616261e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff"
      "01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff"
      "01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0ff01e0da010161"
      "620a00c3f54592638f68fa");
  CHECK(EncodeDumpPayload(ab) == redis_ab);
  REQUIRE(Decode(redis_ab).ok());
  CHECK(*Decode(redis_ab) == ab);

  // 7,730 bytes of text: redis-server's payload is 686 bytes ending in this footer.
  std::string text;
  for (int i = 0; i < 600; ++i) text += "key:" + std::to_string(i % 97) + ":value;";
  REQUIRE(text.size() == 7730);
  std::string payload = EncodeDumpPayload(text);
  CHECK(payload.size() == 686);
  CHECK(payload.substr(0, 12) == Unhex("00c3429e5e320c6b65793a30"));
  CHECK(payload.substr(payload.size() - 10) == Unhex("0a0094cce47ebf97aa63"));
  CHECK(*Decode(payload) == text);
}

TEST_CASE("DumpPayload: round trips of every length form") {
  for (size_t n : {0, 1, 63, 64, 16383, 16384, 70000}) {
    std::string value;
    uint32_t seed = static_cast<uint32_t>(n);
    for (size_t i = 0; i < n; ++i) {
      seed = seed * 1103515245u + 12345u;
      value.push_back(static_cast<char>(seed >> 16));
    }
    CAPTURE(n);
    CHECK(*Decode(EncodeDumpPayload(value)) == value);
  }
  for (int64_t v : {INT64_MIN, int64_t{INT32_MIN} - 1, int64_t{INT32_MIN}, int64_t{-129}, int64_t{-128},
                    int64_t{0}, int64_t{127}, int64_t{128}, int64_t{32767}, int64_t{32768},
                    int64_t{INT32_MAX}, int64_t{INT32_MAX} + 1, INT64_MAX}) {
    std::string value = std::to_string(v);
    CAPTURE(value);
    CHECK(*Decode(EncodeDumpPayload(value)) == value);
  }
  // Lengths written in the 32- and 64-bit forms, which Redis only writes for large values.
  CHECK(*Decode(WithFooter(Unhex("0080000000036162 63"))) == "abc");
  CHECK(*Decode(WithFooter(Unhex("00810000000000000003616263"))) == "abc");
  CHECK(*Decode(WithFooter(Unhex("004003616263"))) == "abc");
}

TEST_CASE("DumpPayload: version and checksum") {
  std::string good = EncodeDumpPayload("abc");
  // Versions up to 10 are read; 11 (Redis 7.2's) is refused like a bad checksum.
  CHECK(*Decode(WithFooter(Unhex("0003616263"), 0)) == "abc");
  CHECK(*Decode(WithFooter(Unhex("0003616263"), 9)) == "abc");
  CHECK(Decode(WithFooter(Unhex("0003616263"), 11)).status().code() == StatusCode::kCorruption);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    CAPTURE(i);
    CHECK(Decode(bad).status().code() == StatusCode::kCorruption);
  }
  CHECK(Decode("").status().code() == StatusCode::kCorruption);
  CHECK(Decode("123456789").status().code() == StatusCode::kCorruption);
  // A CRC that starts from 0 does not see leading zero bytes: without its type byte (0)
  // the payload still checks, and is refused as the object it now claims to be.
  CHECK(Decode(good.substr(1)).status().code() == StatusCode::kInvalidArgument);
  CHECK(Decode(good.substr(2)).status().code() == StatusCode::kCorruption);
}

TEST_CASE("DumpPayload: what is not a well-formed string is bad data") {
  auto bad = [](std::string_view body_hex) {
    return Decode(WithFooter(Unhex(body_hex))).status().code() == StatusCode::kInvalidArgument;
  };
  CHECK(bad(""));                     // no type
  CHECK(bad("01020161"));             // a list (RDB_TYPE_LIST)
  CHECK(bad("0e"));                   // a quicklist, cut short
  CHECK(bad("c8"));                   // no such type
  CHECK(bad("00"));                   // no length
  CHECK(bad("0005616263"));           // length past the end
  CHECK(bad("000361626364"));         // bytes after the value
  CHECK(bad("0082616263"));           // no such length form
  CHECK(bad("00c4616263"));           // no such string encoding
  CHECK(bad("00c1e8"));               // INT16 cut short
  CHECK(bad("00c30205006161"));       // LZF that expands to 2 bytes, not 5
  CHECK(bad("00c30200 0061"));        // LZF of length 0
  CHECK(bad("00c30a4064016161"));     // LZF longer than the payload
  // LZF claiming 1 GiB from 2 bytes: refused before anything is set aside for it.
  CHECK(bad("00c3028040000000 0061"));
}

TEST_CASE("DumpPayload: a value longer than the limit") {
  std::string payload = EncodeDumpPayload(std::string(1000, 'q'));  // LZF
  CHECK(Decode(payload, 1000).ok());
  CHECK(Decode(payload, 999).status().code() == StatusCode::kTooLarge);
  std::string raw = EncodeDumpPayload("hello");
  CHECK(Decode(raw, 5).ok());
  CHECK(Decode(raw, 4).status().code() == StatusCode::kTooLarge);
  CHECK(Decode(EncodeDumpPayload("-70000"), 5).status().code() == StatusCode::kTooLarge);
}

}  // namespace
}  // namespace crescent::server
