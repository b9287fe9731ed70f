// Tests for protocol/reply_writer.cpp and protocol/reply_buffer.cpp: exact bytes of every
// call in RESP2 and RESP3, and the buffer's chunking, zero-copy pieces and keepalives.
#include "protocol/reply_writer.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "protocol/reply_buffer.h"

namespace crescent::protocol {
namespace {

using namespace std::string_literals;

// Everything in the buffer, as a writer to a socket would see it; leaves it empty.
std::string Drain(ReplyBuffer* buf) {
  std::vector<ReplyBuffer::Piece> pieces;
  buf->Peek(&pieces, 1 << 20);
  std::string out;
  for (const auto& p : pieces) out.append(p.data, p.size);
  CHECK(out.size() == buf->size());
  buf->Consume(out.size());
  CHECK(buf->empty());
  return out;
}

// What one writer call produces, in RESP2 and in RESP3.
template <typename Call>
std::pair<std::string, std::string> Both(Call call) {
  std::pair<std::string, std::string> out;
  for (bool resp3 : {false, true}) {
    ReplyBuffer buf;
    ReplyWriter w(&buf);
    w.set_resp3(resp3);
    CHECK(w.resp3() == resp3);
    call(w);
    (resp3 ? out.second : out.first) = Drain(&buf);
  }
  return out;
}

using Pair = std::pair<std::string, std::string>;

TEST_CASE("simple replies") {
  CHECK(Both([](ReplyWriter& w) { w.SimpleString("PONG"); }) == Pair{"+PONG\r\n", "+PONG\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.SimpleString(""); }) == Pair{"+\r\n", "+\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Ok(); }) == Pair{"+OK\r\n", "+OK\r\n"});
}

TEST_CASE("errors are one line") {
  CHECK(Both([](ReplyWriter& w) { w.Error("ERR syntax error"); }) ==
        Pair{"-ERR syntax error\r\n", "-ERR syntax error\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Error("ERR a\r\nb\nc\rd"); }).first == "-ERR a  b c d\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Error("\r\nERR x\n\r\n"); }).first == "-ERR x\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Error(""); }).first == "-\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Error("\r\n"); }).second == "-\r\n");
}

TEST_CASE("integers") {
  CHECK(Both([](ReplyWriter& w) { w.Integer(0); }) == Pair{":0\r\n", ":0\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Integer(-1); }).first == ":-1\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Integer(1234567); }).second == ":1234567\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::max()); }).first ==
        ":9223372036854775807\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); }).first ==
        ":-9223372036854775808\r\n");
}

TEST_CASE("bulks") {
  CHECK(Both([](ReplyWriter& w) { w.Bulk("hello"); }) ==
        Pair{"$5\r\nhello\r\n", "$5\r\nhello\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Bulk(""); }).first == "$0\r\n\r\n");
  const std::string bin = "a\0\r\nb"s;
  CHECK(Both([&](ReplyWriter& w) { w.Bulk(bin); }).second == "$5\r\n" + bin + "\r\n");
  const std::string big(100000, 'z');
  CHECK(Both([&](ReplyWriter& w) { w.Bulk(big); }).first == "$100000\r\n" + big + "\r\n");
}

TEST_CASE("replies on either side of the size written in one append are the same bytes") {
  // Small replies are framed on the stack and appended once; larger ones are appended
  // in three parts. Both must give the same stream, mixed in one buffer too.
  ReplyBuffer buf;
  ReplyWriter w(&buf);
  std::string expected;
  for (size_t n = 240; n <= 260; ++n) {
    std::string payload(n, static_cast<char>('a' + n % 26));
    w.Bulk(payload);
    expected += "$" + std::to_string(n) + "\r\n" + payload + "\r\n";
    w.SimpleString(payload);
    expected += "+" + payload + "\r\n";
    w.BigNumber(std::string(n, '7'));
    expected += "$" + std::to_string(n) + "\r\n" + std::string(n, '7') + "\r\n";
  }
  w.set_resp3(true);
  for (size_t n : {250, 253, 254, 255, 300}) {
    w.BigNumber(std::string(n, '9'));
    expected += "(" + std::string(n, '9') + "\r\n";
  }
  CHECK(Drain(&buf) == expected);
}

TEST_CASE("nulls, aggregates") {
  CHECK(Both([](ReplyWriter& w) { w.Null(); }) == Pair{"$-1\r\n", "_\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.NullArray(); }) == Pair{"*-1\r\n", "_\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Array(0); }) == Pair{"*0\r\n", "*0\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Array(3); }) == Pair{"*3\r\n", "*3\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Map(2); }) == Pair{"*4\r\n", "%2\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Map(0); }) == Pair{"*0\r\n", "%0\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Set(5); }) == Pair{"*5\r\n", "~5\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Push(3); }) == Pair{"*3\r\n", ">3\r\n"});
  CHECK(Both([](ReplyWriter& w) {
          w.Map(1);
          w.Bulk("k");
          w.Integer(1);
        }) == Pair{"*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"});
}

TEST_CASE("booleans, verbatim, big numbers") {
  CHECK(Both([](ReplyWriter& w) { w.Bool(true); }) == Pair{":1\r\n", "#t\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Bool(false); }) == Pair{":0\r\n", "#f\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Verbatim("txt", "Some string"); }) ==
        Pair{"$11\r\nSome string\r\n", "=15\r\ntxt:Some string\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Verbatim("mkd", ""); }) ==
        Pair{"$0\r\n\r\n", "=4\r\nmkd:\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.BigNumber("3492890328409238509324850943850943825024385"); }) ==
        Pair{"$43\r\n3492890328409238509324850943850943825024385\r\n",
             "(3492890328409238509324850943850943825024385\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.BigNumber("-1"); }).second == "(-1\r\n");
}

TEST_CASE("doubles as Redis 7.0 writes them") {
  CHECK(Both([](ReplyWriter& w) { w.Double(1.5); }) == Pair{"$3\r\n1.5\r\n", ",1.5\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Double(3.14); }) ==
        Pair{"$18\r\n3.1400000000000001\r\n", ",3.1400000000000001\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Double(10); }) == Pair{"$2\r\n10\r\n", ",10\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Double(0.0); }).second == ",0\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Double(-0.0); }).second == ",-0\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Double(1e300); }).second == ",1.0000000000000001e+300\r\n");
  CHECK(Both([](ReplyWriter& w) { w.Double(1e21); }).second == ",1e+21\r\n");
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(Both([&](ReplyWriter& w) { w.Double(inf); }) == Pair{"$3\r\ninf\r\n", ",inf\r\n"});
  CHECK(Both([&](ReplyWriter& w) { w.Double(-inf); }) == Pair{"$4\r\n-inf\r\n", ",-inf\r\n"});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(Both([&](ReplyWriter& w) { w.Double(nan); }) == Pair{"$3\r\nnan\r\n", ",nan\r\n"});
  CHECK(Both([&](ReplyWriter& w) { w.Double(-nan); }).second == ",nan\r\n");
}

TEST_CASE("doubles match printf %.17g") {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> bits;
  std::vector<double> values = {0.1, -2.5e-308, 5e-324, 1.7976931348623157e308, 123456789012345678.0,
                                1e16, 1e17, 0.001, 1e-5};
  for (int i = 0; i < 2000; ++i) {
    double d;
    const uint64_t b = bits(rng);
    std::memcpy(&d, &b, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
  }
  for (double d : values) {
    char want[64];
    std::snprintf(want, sizeof want, ",%.17g\r\n", d);
    ReplyBuffer buf;
    ReplyWriter w(&buf);
    w.set_resp3(true);
    w.Double(d);
    INFO(want);
    CHECK(Drain(&buf) == want);
  }
}

TEST_CASE("bulk external: payload not copied, keepalive released after Consume") {
  auto value = std::make_shared<std::string>(50000, 'q');
  std::weak_ptr<std::string> watch = value;
  ReplyBuffer buf;
  ReplyWriter w(&buf);
  w.BulkExternal(*value, value);
  const char* payload = value->data();
  value.reset();  // the buffer now holds the only reference
  CHECK_FALSE(watch.expired());

  std::vector<ReplyBuffer::Piece> pieces;
  buf.Peek(&pieces);
  REQUIRE(pieces.size() == 3);
  CHECK(std::string(pieces[0].data, pieces[0].size) == "$50000\r\n");
  CHECK(pieces[1].data == payload);  // zero copy: the socket reads the value itself
  CHECK(pieces[1].size == 50000);
  CHECK(std::string(pieces[2].data, pieces[2].size) == "\r\n");
  CHECK(buf.owned_size() == 8);  // the closing "\r\n" is a literal, not a copy

  buf.Consume(8 + 49999);  // all but the payload's last byte
  CHECK_FALSE(watch.expired());
  buf.Peek(&pieces);
  REQUIRE(pieces.size() == 2);
  CHECK(pieces[0].data == payload + 49999);
  CHECK(pieces[0].size == 1);
  buf.Consume(1);
  CHECK(watch.expired());
  CHECK(buf.size() == 2);
  CHECK(Drain(&buf) == "\r\n");
}

TEST_CASE("Clear releases keepalives; a null keepalive copies") {
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  ReplyBuffer buf;
  buf.AppendExternal("abc", std::move(token));
  CHECK(buf.size() == 3);
  buf.Clear();
  CHECK(watch.expired());
  CHECK(buf.empty());

  std::string source = "volatile";
  buf.AppendExternal(source, nullptr);
  source.assign(source.size(), 'X');
  CHECK(Drain(&buf) == "volatile");

  auto unused = std::make_shared<int>(2);
  std::weak_ptr<int> unused_watch = unused;
  buf.AppendExternal("", std::move(unused));  // nothing to write: nothing to keep
  CHECK(unused_watch.expired());
  CHECK(buf.empty());
}

TEST_CASE("small replies coalesce into chunks of about 16 KiB") {
  ReplyBuffer buf;
  ReplyWriter w(&buf);
  for (int i = 0; i < 1000; ++i) w.Ok();  // 5,000 bytes
  std::vector<ReplyBuffer::Piece> pieces;
  buf.Peek(&pieces);
  CHECK(pieces.size() == 1);
  for (int i = 0; i < 20000; ++i) w.Integer(i);  // ~130 KB more
  buf.Peek(&pieces, 1000);
  CHECK(pieces.size() >= 8);
  CHECK(pieces.size() <= 10);
  size_t total = 0;
  for (const auto& p : pieces) {
    CHECK(p.size <= 16 * 1024);
    total += p.size;
  }
  CHECK(total == buf.size());
  buf.Peek(&pieces, 3);
  CHECK(pieces.size() == 3);
}

TEST_CASE("Peek pieces stay valid while more is appended") {
  ReplyBuffer buf;
  buf.Append("first");
  std::vector<ReplyBuffer::Piece> pieces;
  buf.Peek(&pieces);
  REQUIRE(pieces.size() == 1);
  const ReplyBuffer::Piece held = pieces[0];
  // Enough appends to fill several chunks and grow the chunk vector many times.
  for (int i = 0; i < 5000; ++i) {
    buf.Append(std::string(100, static_cast<char>('a' + i % 26)));
    buf.AppendExternal("ext", std::make_shared<int>(i));
  }
  buf.Peek(&pieces);
  CHECK(pieces[0].data == held.data);
  CHECK(std::string(held.data, held.size) == "first");
}

TEST_CASE("partial consumes across many chunks keep the byte stream intact") {
  ReplyBuffer buf;
  std::string expected;
  std::vector<std::weak_ptr<std::string>> watches;
  std::mt19937 rng(7);
  std::string got;
  std::vector<ReplyBuffer::Piece> pieces;
  for (int round = 0; round < 3000; ++round) {
    const int kind = static_cast<int>(rng() % 4);
    if (kind == 0) {
      auto ext = std::make_shared<std::string>(1 + rng() % 3000, static_cast<char>('A' + round % 26));
      watches.push_back(ext);
      expected += *ext;
      buf.AppendExternal(*ext, ext);
    } else if (kind == 1) {
      const std::string s(rng() % 40000, static_cast<char>('a' + round % 26));
      expected += s;
      buf.Append(s);
    } else {
      const char c = static_cast<char>('0' + round % 10);
      expected += c;
      buf.Append(c);
    }
    // Write out a random amount, as a socket with a short write would.
    buf.Peek(&pieces, 1 + rng() % 8);
    size_t avail = 0;
    for (const auto& p : pieces) avail += p.size;
    size_t n = avail == 0 ? 0 : rng() % (avail + 1);
    size_t left = n;
    for (const auto& p : pieces) {
      const size_t take = std::min(left, p.size);
      got.append(p.data, take);
      left -= take;
    }
    buf.Consume(n);
    CHECK(buf.size() == expected.size() - got.size());
  }
  got += Drain(&buf);
  CHECK(got == expected);
  for (const auto& w : watches) CHECK(w.expired());
}

TEST_CASE("AppendStatic keeps the literal's bytes by reference, in order") {
  static constexpr std::string_view kLiteral = "\r\n";
  ReplyBuffer buffer;
  buffer.Append("head");
  buffer.AppendStatic(kLiteral);
  buffer.Append("tail");
  std::vector<ReplyBuffer::Piece> pieces;
  buffer.Peek(&pieces);
  REQUIRE(pieces.size() == 3);
  CHECK(pieces[1].data == kLiteral.data());
  CHECK(pieces[1].size == 2);
  CHECK(buffer.size() == 10);
  CHECK(buffer.owned_size() == 8);
  buffer.Consume(5);
  CHECK(buffer.owned_size() == 4);
  CHECK(Drain(&buffer) == "\ntail");
  CHECK(buffer.owned_size() == 0);
}

}  // namespace
}  // namespace crescent::protocol

TEST_CASE("owned_size counts copies only, and follows Consume") {
  crescent::protocol::ReplyBuffer buffer;
  buffer.Append("abc");
  auto keepalive = std::make_shared<int>(1);
  std::string external(100, 'e');
  buffer.AppendExternal(external, keepalive);
  buffer.Append("de");
  CHECK(buffer.size() == 105);
  CHECK(buffer.owned_size() == 5);
  buffer.Consume(3 + 40);
  CHECK(buffer.owned_size() == 2);
  buffer.Consume(60);
  CHECK(buffer.owned_size() == 2);
  CHECK(buffer.size() == 2);
  buffer.Clear();
  CHECK(buffer.owned_size() == 0);
}
