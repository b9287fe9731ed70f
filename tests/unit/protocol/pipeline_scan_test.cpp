// Tests for protocol/pipeline_scan.cpp: which keys the look-ahead finds, and where it
// stops.
#include "protocol/pipeline_scan.h"

#include <doctest/doctest.h>

#include <array>
#include <string>

namespace crescent::protocol {
namespace {

std::span<const char> Bytes(const std::string& s) { return {s.data(), s.size()}; }

}  // namespace

TEST_SUITE("pipeline_scan") {

TEST_CASE("the key of every complete request at the front, in order") {
  const std::string in =
      "*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$5\r\nhello\r\n"
      "*2\r\n$3\r\nGET\r\n$2\r\nk2\r\n"
      "*2\r\n$3\r\nGET\r\n$0\r\n\r\n";
  std::array<std::string_view, 8> keys;
  REQUIRE(PipelinedKeys(Bytes(in), keys) == 3);
  CHECK(keys[0] == "k1");
  CHECK(keys[1] == "k2");
  CHECK(keys[2] == "");
}

TEST_CASE("at most as many keys as there is room for") {
  std::string in;
  for (int i = 0; i < 5; ++i) in += "*2\r\n$3\r\nGET\r\n$2\r\nk" + std::to_string(i) + "\r\n";
  std::array<std::string_view, 3> keys;
  REQUIRE(PipelinedKeys(Bytes(in), keys) == 3);
  CHECK(keys[2] == "k2");
}

TEST_CASE("stops at an incomplete request, an inline command or a bare command") {
  std::array<std::string_view, 4> keys;
  const std::string complete = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n";
  CHECK(PipelinedKeys(Bytes(complete + "*2\r\n$3\r\nGET\r\n$5\r\nab"), keys) == 1);
  CHECK(PipelinedKeys(Bytes(complete + "*2\r\n$3\r\nGET\r\n$1\r\nb\r"), keys) == 1);
  CHECK(PipelinedKeys(Bytes(complete + "GET b\r\n" + complete), keys) == 1);
  CHECK(PipelinedKeys(Bytes("*1\r\n$4\r\nPING\r\n" + complete), keys) == 0);
  CHECK(PipelinedKeys(Bytes(std::string("")), keys) == 0);
  CHECK(PipelinedKeys(Bytes(std::string("*2\r\n$99999999999999999999\r\n")), keys) == 0);
  CHECK(PipelinedKeys(Bytes(std::string("*2\r\n$-1\r\n")), keys) == 0);
  CHECK(PipelinedKeys(Bytes(std::string("*99999\r\n$3\r\nGET\r\n")), keys) == 0);
}

}  // TEST_SUITE

}  // namespace crescent::protocol
