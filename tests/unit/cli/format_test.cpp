// Tests for tools/crescent_cli/format.cpp and json.cpp: keys shown safely, human units,
// INFO parsed into sections, replies as JSON in json.dumps' layout.
#include "tools/crescent_cli/format.h"

#include <doctest/doctest.h>

#include <string>

namespace crescent::cli {
namespace {

using namespace std::string_literals;

TEST_CASE("keys for people and for JSON") {
  CHECK(ShowKey("user:1") == "user:1");
  CHECK(ShowKey("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(ShowKey("user:\xff\x00" "bin"s) == "user:\\xff\\x00bin");
  CHECK(ShowKey("a\nb\\") == "a\\nb\\\\");
  CHECK(JsonKey("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(JsonKey("a\xff") == "a\\xff");
  CHECK(Json(JsonKey("a\xff\n")).Dump() == "\"a\\\\xff\\n\"");
}

TEST_CASE("human units") {
  CHECK(HumanBytes(512) == "512 B");
  CHECK(HumanBytes(16 << 20) == "16.0 MiB");
  CHECK(HumanBytes(1536) == "1.5 KiB");
  CHECK(HumanMs(250) == "250 ms");
  CHECK(HumanMs(1500) == "1.5s");
  CHECK(HumanMs(200000) == "3m 20s");
  CHECK(HumanMs((2 * 86400 + 3 * 3600 + 5 * 60 + 7) * 1000ll) == "2d 3h 5m");
  CHECK(Thousands(1234567) == "1,234,567");
  CHECK(Thousands(-1000) == "-1,000");
  CHECK(Thousands(999) == "999");
}

TEST_CASE("INFO's text as sections of typed fields") {
  Json info = ParseInfo(
      "# Server\r\nredis_version:7.0.0\r\ntcp_port:6379\r\n\r\n# Segments\r\n"
      "segment0:name=local,capacity=100,used=1.5\r\n# Stats\r\nratio:0.25\r\nmode:standalone\r\n");
  CHECK(info["server"]["tcp_port"].as_int() == 6379);
  CHECK(info["server"]["redis_version"].as_string() == "7.0.0");
  CHECK(info["segments"]["segment0"]["name"].as_string() == "local");
  CHECK(info["segments"]["segment0"]["capacity"].as_int() == 100);
  CHECK(info["stats"]["ratio"].as_double() == 0.25);
  CHECK(FlatInfo(info)["mode"].as_string() == "standalone");
}

TEST_CASE("JSON as json.dumps writes it") {
  Json doc = Json::Object{{"a", Json(1)}, {"b", Json(0.5)}, {"c", Json(2.0)}, {"d", Json()},
                          {"e", Json(Json::Array{Json(true), Json("x\"y")})}};
  CHECK(doc.Dump() == "{\"a\": 1, \"b\": 0.5, \"c\": 2.0, \"d\": null, \"e\": [true, \"x\\\"y\"]}");
  protocol::Reply map;
  map.type = '*';
  map.elements.resize(4);
  map.elements[0].type = '$';
  map.elements[0].str = "size";
  map.elements[1].type = ':';
  map.elements[1].integer = 5;
  map.elements[2].type = '$';
  map.elements[2].str = "name";
  map.elements[3].type = '$';
  map.elements[3].str = "n";
  CHECK(PairsToJson(map).Dump() == "{\"size\": 5, \"name\": \"n\"}");
}

}  // namespace
}  // namespace crescent::cli
