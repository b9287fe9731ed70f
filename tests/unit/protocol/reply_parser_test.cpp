// Tests for protocol/reply_parser.cpp.
//
// As for the request parser, the central check: the same stream of replies, cut into two
// pieces at every possible boundary and fed one byte at a time, must give exactly the
// replies (and the error) it gives in one piece. The unconsumed bytes are copied to a new
// allocation before every call, as a client that compacts its buffer would.
#include "protocol/reply_parser.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace crescent::protocol {
namespace {

using namespace std::string_literals;

struct Run {
  std::vector<Reply> replies;
  std::string error;     // empty unless the stream was not RESP
  size_t leftover = 0;   // bytes of an incomplete reply at the end
  bool operator==(const Run&) const = default;
};

Run Feed(const std::string& input, const std::vector<size_t>& cuts) {
  ReplyParser parser;
  Run run;
  std::string pending;
  size_t fed = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    pending.append(input, fed, end - fed);
    fed = end;
    for (;;) {
      auto copy = std::make_unique<char[]>(pending.size() + 1);
      std::copy(pending.begin(), pending.end(), copy.get());
      size_t consumed = 99;
      Reply reply;
      ParseStatus s = parser.Parse({copy.get(), pending.size()}, &consumed, &reply);
      if (s == ParseStatus::kError) {
        CHECK(consumed == 0);
        run.error = parser.error();
        return run;
      }
      if (s == ParseStatus::kNeedMore) {
        CHECK(consumed == 0);
        if (parser.bytes_needed() > 0) CHECK(parser.bytes_needed() > pending.size());
        break;
      }
      REQUIRE(consumed > 0);
      REQUIRE(consumed <= pending.size());
      run.replies.push_back(std::move(reply));
      pending.erase(0, consumed);
    }
  }
  run.leftover = pending.size();
  return run;
}

// Every two-piece cut and the byte-at-a-time feed give the same run as one piece.
Run CheckEverySplit(const std::string& input) {
  Run whole = Feed(input, {});
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    CAPTURE(cut);
    CHECK(Feed(input, {cut}) == whole);
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
  CHECK(Feed(input, bytes) == whole);
  return whole;
}

Reply Str(char type, std::string s) {
  Reply r;
  r.type = type;
  r.str = std::move(s);
  return r;
}
Reply Int(int64_t v, char type = ':') {
  Reply r;
  r.type = type;
  r.integer = v;
  return r;
}
Reply Agg(char type, std::vector<Reply> elements) {
  Reply r;
  r.type = type;
  r.elements = std::move(elements);
  return r;
}
Reply Null() { return Reply{}; }

TEST_CASE("RESP2 replies of every type, cut at every byte") {
  std::string input =
      "+OK\r\n"
      "-ERR unknown command 'X'\r\n"
      ":42\r\n"
      ":-7\r\n"
      "$5\r\nhe\r\no\r\n"      // a payload holding CRLF
      "$0\r\n\r\n"
      "$-1\r\n"
      "*-1\r\n"
      "*0\r\n"
      "*2\r\n$1\r\na\r\n*2\r\n:1\r\n$3\r\n\x00\xff\n\r\n"s;
  Run run = CheckEverySplit(input);
  CHECK(run.error.empty());
  CHECK(run.leftover == 0);
  std::vector<Reply> expected = {
      Str('+', "OK"),
      Str('-', "ERR unknown command 'X'"),
      Int(42),
      Int(-7),
      Str('$', "he\r\no"),
      Str('$', ""),
      Null(),
      Null(),
      Agg('*', {}),
      Agg('*', {Str('$', "a"), Agg('*', {Int(1), Str('$', "\x00\xff\n"s)})}),
  };
  CHECK(run.replies == expected);
  CHECK(run.replies[1].is_error());
  CHECK(run.replies[9].elements[1].elements[1].str.size() == 3);
}

TEST_CASE("RESP3 replies of every type, cut at every byte") {
  std::string input =
      "_\r\n"
      ",3.14\r\n"
      "#t\r\n"
      "#f\r\n"
      "(3492890328409238509324850943850943825024385\r\n"
      "!9\r\nERR boom!\r\n"
      "=8\r\ntxt:text\r\n"
      "%2\r\n+size\r\n:5\r\n+replicas\r\n*1\r\n%1\r\n+kind\r\n+memory\r\n"
      "~2\r\n:1\r\n:2\r\n"
      ">2\r\n+message\r\n$2\r\nhi\r\n"
      ":+3\r\n";
  Run run = CheckEverySplit(input);
  CHECK(run.error.empty());
  std::vector<Reply> expected = {
      Null(),
      Str(',', "3.14"),
      Int(1, '#'),
      Int(0, '#'),
      Str('(', "3492890328409238509324850943850943825024385"),
      Str('!', "ERR boom!"),
      Str('=', "text"),
      Agg('%', {Str('+', "size"), Int(5), Str('+', "replicas"),
                Agg('*', {Agg('%', {Str('+', "kind"), Str('+', "memory")})})}),
      Agg('~', {Int(1), Int(2)}),
      Agg('>', {Str('+', "message"), Str('$', "hi")}),
      Int(3),
  };
  CHECK(run.replies == expected);
  CHECK(run.replies[5].is_error());
  CHECK(run.replies[7].is_pairs());
}

TEST_CASE("an incomplete reply is left for the next read and says how much it needs") {
  Run run = CheckEverySplit("+OK\r\n*2\r\n$3\r\nabc\r\n$10\r\n0123");
  CHECK(run.replies == std::vector<Reply>{Str('+', "OK")});
  CHECK(run.leftover == 4 + 9 + 5 + 4);
  ReplyParser parser;
  std::string big = "$1000\r\nxx";
  size_t consumed = 1;
  Reply r;
  CHECK(parser.Parse({big.data(), big.size()}, &consumed, &r) == ParseStatus::kNeedMore);
  CHECK(consumed == 0);
  CHECK(parser.bytes_needed() == 7 + 1000 + 2);
}

TEST_CASE("an aggregate arriving in pieces is resumed, not parsed again from its start") {
  // The parser keeps the elements it has read: the bytes before pos are not looked at
  // again (here they are changed between the calls, and the old element stays). This is
  // what keeps a reply of a million elements, read 64 KiB at a time, linear.
  ReplyParser parser;
  size_t consumed = 0;
  Reply r;
  std::string first = "*2\r\n:1\r\n";
  CHECK(parser.Parse({first.data(), first.size()}, &consumed, &r) == ParseStatus::kNeedMore);
  std::string later = "*2\r\n:7\r\n:2\r\n";
  REQUIRE(parser.Parse({later.data(), later.size()}, &consumed, &r) == ParseStatus::kOk);
  CHECK(consumed == later.size());
  CHECK(r == Agg('*', {Int(1), Int(2)}));
  // A large array in small pieces: every element once, in order.
  std::string big = "*100000\r\n";
  for (int i = 0; i < 100000; ++i) big += ":" + std::to_string(i) + "\r\n";
  std::string pending;
  Reply out;
  bool done = false;
  for (size_t at = 0; at < big.size() && !done; at += 1000) {
    pending.append(big, at, 1000);
    ParseStatus s = parser.Parse({pending.data(), pending.size()}, &consumed, &out);
    REQUIRE(s != ParseStatus::kError);
    done = s == ParseStatus::kOk;
  }
  REQUIRE(done);
  CHECK(consumed == big.size());
  REQUIRE(out.elements.size() == 100000);
  CHECK(out.elements[99999].integer == 99999);
}

TEST_CASE("streams that are not RESP are errors, whatever the cut") {
  struct Case {
    std::string input;
    std::string error;
  };
  std::vector<Case> cases = {
      {"+OK\r\n?what\r\n", "protocol error: unexpected reply type '?'"},
      {":12a\r\n", "protocol error: bad integer reply"},
      {"$-2\r\n", "protocol error: bad bulk length"},
      {"%-1\r\n", "protocol error: bad aggregate length"},
      {"$3\r\nabcXY", "protocol error: bulk reply not followed by CRLF"},
      {"+OK\n", "protocol error: malformed reply line"},
      {"#x\r\n", "protocol error: bad boolean reply"},
      {"_x\r\n", "protocol error: bad null reply"},
      {"=3\r\ntxt\r\n", "protocol error: bad verbatim reply"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.input);
    Run run = CheckEverySplit(c.input);
    CHECK(run.error == c.error);
  }
  std::string deep;
  for (int i = 0; i < ReplyParser::kMaxDepth + 1; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  CHECK(Feed(deep, {}).error == "protocol error: replies nested too deeply");
  std::string long_line = "+" + std::string(70 * 1024, 'x');
  CHECK(Feed(long_line, {}).error == "protocol error: reply line too long");
  CHECK(Feed(long_line, {100, 30000}).error == "protocol error: reply line too long");
}

TEST_CASE("ParseReplyLine reads one header and leaves the payload") {
  std::string in = "$5\r\nhello\r\n";
  size_t consumed = 0;
  ReplyLine line;
  std::string error;
  REQUIRE(ParseReplyLine({in.data(), in.size()}, &consumed, &line, &error) == ParseStatus::kOk);
  CHECK(consumed == 4);
  CHECK(line.type == '$');
  CHECK(line.number == 5);
  CHECK(ParseReplyLine({in.data(), 3}, &consumed, &line, &error) == ParseStatus::kNeedMore);
  CHECK(consumed == 0);
}

TEST_CASE("AppendRequest writes a multibulk request the request parser reads back") {
  std::string out;
  std::vector<std::string_view> args = {"SET", "k\r\n", ""};
  AppendRequest(&out, args);
  CHECK(out == "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n");
  RequestParser parser;
  size_t consumed = 0;
  REQUIRE(parser.Parse({out.data(), out.size()}, &consumed) == ParseStatus::kOk);
  CHECK(consumed == out.size());
  CHECK(parser.args() == args);
}

}  // namespace
}  // namespace crescent::protocol
