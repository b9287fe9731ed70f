// Tests for tools/crescent_cli/dump_file.cpp: the exact bytes of a small dump (as
// docs/cli-dump-format.md lays them out), a round trip of large and binary objects, and
// the errors for truncated, corrupt and foreign files.
#include "tools/crescent_cli/dump_file.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <memory>
#include <string>

namespace crescent::cli {
namespace {

using namespace std::string_literals;

struct MemFile {
  char* data = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&data, &size);
  ~MemFile() {
    if (f) std::fclose(f);
    std::free(data);
  }
  std::string Close() {
    std::fclose(f);
    f = nullptr;
    return std::string(data, size);
  }
};

std::unique_ptr<FILE, int (*)(FILE*)> Reading(std::string& bytes) {
  return {fmemopen(bytes.data(), bytes.size(), "rb"), std::fclose};
}

TEST_CASE("a dump's bytes are as documented") {
  MemFile m;
  DumpWriter w(m.f, 0x0102030405060708ull);
  w.Add("k\0"s, "\xffvalue"s, 300, 200000, true);
  w.Add("", "", std::nullopt, std::nullopt, false);
  w.Finish();
  std::string bytes = m.Close();
  std::string body =
      "\x89" "CRDUMP\n"s + "\x01"s + "\x08\x07\x06\x05\x04\x03\x02\x01"s +
      "\x01\x07"s + "\x02k\0"s + "\x06\xffvalue"s + "\xac\x02"s + "\xc0\x9a\x0c"s +
      "\x01\x00\x00\x00"s + "\x00"s + "\x02\x00\x00\x00\x00\x00\x00\x00"s;
  REQUIRE(bytes.size() == body.size() + 32);
  CHECK(bytes.substr(0, body.size()) == body);
  Sha256 h;
  h.Update(body);
  CHECK(bytes.substr(body.size()) == h.Digest());
  CHECK(w.bytes_written() == bytes.size());
  CHECK(w.count() == 2);
}

TEST_CASE("what is written is read back, large values included") {
  MemFile m;
  DumpWriter w(m.f, 1234);
  std::string big(3 << 20, 'x');
  big[12345] = '\0';
  w.Add("big", big, 5, std::nullopt, false);
  w.Add("\x00\xff\r\n"s, "v", std::nullopt, 1ull << 40, true);
  w.Finish();
  std::string bytes = m.Close();
  auto f = Reading(bytes);
  DumpReader r(f.get());
  CHECK(r.reference_ms() == 1234);
  DumpRecord rec;
  REQUIRE(r.Next(&rec));
  CHECK(rec.key == "big");
  CHECK(rec.value == big);
  CHECK(rec.ttl_ms == 5u);
  CHECK(!rec.soft_pin_ms);
  CHECK(!rec.hard_pin);
  REQUIRE(r.Next(&rec));
  CHECK(rec.key == "\x00\xff\r\n"s);
  CHECK(!rec.ttl_ms);
  CHECK(rec.soft_pin_ms == (1ull << 40));
  CHECK(rec.hard_pin);
  CHECK(!r.Next(&rec));
  CHECK(r.count() == 2);
  CHECK(r.bytes_read() == bytes.size());
}

std::string ReadAllError(std::string bytes) {
  auto f = Reading(bytes);
  try {
    DumpReader r(f.get());
    DumpRecord rec;
    while (r.Next(&rec)) {
    }
  } catch (const DumpError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("truncated, corrupt and foreign streams are errors") {
  MemFile m;
  DumpWriter w(m.f, 1);
  for (int i = 0; i < 100; ++i) w.Add("key" + std::to_string(i), std::string(i, 'v'), i, std::nullopt, false);
  w.Finish();
  std::string good = m.Close();
  CHECK(ReadAllError(good) == "");
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x01;
  CHECK(ReadAllError(flipped).find("corrupt") != std::string::npos);
  for (size_t cut : {size_t{3}, size_t{20}, good.size() / 2, good.size() - 1}) {
    CAPTURE(cut);
    CHECK(ReadAllError(good.substr(0, cut)).find("truncated file") == 0);
  }
  CHECK(ReadAllError("this is not a dump file at all, just some text\n") == "not a crescent-cli dump (bad magic)");
  CHECK(ReadAllError(good + "x") == "unexpected bytes after the checksum");
  std::string v2 = good;
  v2[8] = 2;
  CHECK(ReadAllError(v2) == "dump version 2 is not supported (this tool reads 1)");
}

}  // namespace
}  // namespace crescent::cli
