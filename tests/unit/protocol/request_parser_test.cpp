// Tests for protocol/request_parser.cpp.
//
// The central check: the same byte stream, cut into pieces at every possible boundary
// (and fed one byte at a time), must produce exactly the same requests and the same
// error as when it arrives in one piece. The harness also moves the unconsumed bytes to
// a fresh allocation before every call, as a connection that compacts its buffer would.
#include "protocol/request_parser.h"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace crescent::protocol {
namespace {

using namespace std::string_literals;

// One event seen by the connection: a request (its args) or the error that ended it.
struct Event {
  bool error = false;
  std::vector<std::string> args;  // for a request
  std::string text;               // for an error
  bool operator==(const Event&) const = default;
};

struct Run {
  std::vector<Event> events;
  size_t leftover = 0;  // bytes still unconsumed at the end (an incomplete request)
  bool operator==(const Run&) const = default;
};

std::string Describe(const Run& run) {
  std::string out;
  for (const Event& e : run.events) {
    if (e.error) {
      out += "error{" + e.text + "} ";
      continue;
    }
    out += "[";
    for (const std::string& a : e.args) out += "'" + a + "' ";
    out += "] ";
  }
  return out + "leftover=" + std::to_string(run.leftover);
}

// Feeds `input` in pieces that end at the offsets in `cuts` (ascending), parsing all it
// can after each piece, like a connection's read loop. With `relocate`, the unconsumed
// bytes are copied to a new heap block before every Parse call.
Run Feed(const std::string& input, const std::vector<size_t>& cuts, ParserLimits limits = {},
         bool relocate = true) {
  RequestParser parser(limits);
  Run run;
  std::string pending;
  size_t fed = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    pending.append(input, fed, end - fed);
    fed = end;
    for (;;) {
      std::unique_ptr<char[]> moved;
      const char* data = pending.data();
      if (relocate) {
        moved = std::make_unique<char[]>(pending.size() + 1);
        std::copy(pending.begin(), pending.end(), moved.get());
        data = moved.get();
      }
      size_t consumed = 12345;
      const ParseStatus st = parser.Parse(std::span<const char>(data, pending.size()), &consumed);
      if (st == ParseStatus::kNeedMore) {
        REQUIRE(consumed == 0);
        break;
      }
      if (st == ParseStatus::kError) {
        REQUIRE(consumed == 0);
        // How much was buffered when the error struck depends on the cuts; the
        // connection closes anyway, so only the text is compared.
        run.events.push_back(Event{true, {}, parser.error()});
        return run;
      }
      REQUIRE(consumed > 0);
      REQUIRE(consumed <= pending.size());
      Event e;
      for (std::string_view a : parser.args()) e.args.emplace_back(a);
      run.events.push_back(std::move(e));
      pending.erase(0, consumed);
    }
  }
  run.leftover = pending.size();
  return run;
}

// Parses `input` whole, then cut once at every boundary, then byte by byte; all runs
// must agree. Returns the whole-input run for further checks.
Run FeedEveryWay(const std::string& input, ParserLimits limits = {}) {
  const Run whole = Feed(input, {}, limits);
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    const Run split = Feed(input, {cut}, limits);
    INFO("cut at ", cut, " of ", input.size());
    REQUIRE(Describe(split) == Describe(whole));
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
  const Run bytewise = Feed(input, every, limits);
  REQUIRE(Describe(bytewise) == Describe(whole));
  return whole;
}

Event Req(std::vector<std::string> args) { return Event{false, std::move(args), {}}; }
Event Err(std::string text) { return Event{true, {}, std::move(text)}; }

// The first (only) event of `input`, checked every way.
Event Single(const std::string& input, ParserLimits limits = {}) {
  const Run run = FeedEveryWay(input, limits);
  REQUIRE(run.events.size() == 1);
  return run.events[0];
}

ParserLimits Small() {
  ParserLimits l;
  l.max_inline_len = 16;
  l.max_bulk_len = 100;
  l.max_multibulk_len = 10;
  return l;
}

TEST_CASE("multibulk requests parse, every cut") {
  CHECK(Single("*1\r\n$4\r\nPING\r\n") == Req({"PING"}));
  CHECK(Single("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n") == Req({"SET", "k", ""}));
  // Binary payloads: NUL, CR, LF and "\r\n" inside bulks are data.
  const std::string bin = "a\0\r\nb\r"s;
  CHECK(Single("*2\r\n$3\r\nSET\r\n$6\r\n" + bin + "\r\n") == Req({"SET", bin}));
  CHECK(Single("*1\r\n$4\r\n\r\n\r\n\r\n") == Req({"\r\n\r\n"}));
}

TEST_CASE("empty requests are consumed with no args") {
  CHECK(Single("*0\r\n") == Req({}));
  CHECK(Single("*-1\r\n") == Req({}));
  CHECK(Single("*-5\r\n") == Req({}));
  CHECK(Single("\r\n") == Req({}));
  CHECK(Single("\n") == Req({}));
  CHECK(Single("  \t \r\n") == Req({}));
}

TEST_CASE("pipelined requests, mixed kinds, every cut") {
  const std::string input =
      "PING\r\n*1\r\n$4\r\nPING\r\n*0\r\nECHO hi\n*-1\r\n*2\r\n$4\r\nECHO\r\n$2\r\nyo\r\n"
      "GET \"a b\"\r\n*1\r\n$3\r\nGE";
  const Run run = FeedEveryWay(input);
  const std::vector<Event> want = {Req({"PING"}), Req({"PING"}),       Req({}),
                                   Req({"ECHO", "hi"}), Req({}), Req({"ECHO", "yo"}),
                                   Req({"GET", "a b"})};
  CHECK(run.events == want);
  CHECK(run.leftover == "*1\r\n$3\r\nGE"s.size());
}

TEST_CASE("multibulk args point into the input, no copies") {
  RequestParser parser;
  const std::string input = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  size_t consumed = 0;
  REQUIRE(parser.Parse(std::span<const char>(input), &consumed) == ParseStatus::kOk);
  CHECK(consumed == input.size());
  REQUIRE(parser.args().size() == 2);
  CHECK(parser.args()[0].data() == input.data() + 8);
  CHECK(parser.args()[1].data() == input.data() + 17);
}

TEST_CASE("resuming after the bytes moved uses the new address") {
  RequestParser parser;
  std::string first = "*2\r\n$3\r\nGET\r\n$3\r\nk";
  size_t consumed = 0;
  REQUIRE(parser.Parse(std::span<const char>(first), &consumed) == ParseStatus::kNeedMore);
  std::string second = first + "ey\r\n";
  first.assign(first.size(), 'X');  // the old bytes are gone
  REQUIRE(parser.Parse(std::span<const char>(second), &consumed) == ParseStatus::kOk);
  REQUIRE(parser.args().size() == 2);
  CHECK(parser.args()[0] == "GET");
  CHECK(parser.args()[0].data() == second.data() + 8);
  CHECK(parser.args()[1] == "key");
}

TEST_CASE("inline requests follow sdssplitargs") {
  CHECK(Single("set \"foo bar\" baz\r\n") == Req({"set", "foo bar", "baz"}));
  CHECK(Single("  ping   \t\r\n") == Req({"ping"}));
  CHECK(Single("a\tb\n") == Req({"a", "b"}));
  CHECK(Single("\"\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\\"z\"\n") == Req({"AJ\n\r\t\b\a\\\"z"}));
  CHECK(Single("\"\\xZZ\\q\"\n") == Req({"xZZq"}));  // not hex: '\x' is just 'x'
  CHECK(Single("'it\\'s'\n") == Req({"it's"}));
  CHECK(Single("'a\\nb\"'\n") == Req({"a\\nb\""}));  // no escapes in single quotes
  CHECK(Single("\"\" x\n") == Req({"", "x"}));
  CHECK(Single("foo\"bar baz\"\n") == Req({"foobar baz"}));
  CHECK(Single("a\"\"\n") == Req({"a"}));
  CHECK(Single("\"a\"\tb\n") == Req({"a", "b"}));
  // \v is a space after a closing quote and between words, but does not end a word.
  CHECK(Single("\"a\"\vb\n") == Req({"a", "b"}));
  CHECK(Single("a\vb \vc\n") == Req({"a\vb", "c"}));
  CHECK(Single("PING\r\r\n") == Req({"PING"}));
  CHECK(Single("PING\0junk\n"s) == Req({"PING"}));  // NUL ends the line's args
  CHECK(Single("$3\r\n") == Req({"$3"}));           // only '*' starts a multibulk
}

TEST_CASE("unbalanced quotes") {
  const std::string err = "ERR Protocol error: unbalanced quotes in request";
  for (const char* input : {"SET \"a\n", "SET 'a\r\n", "\"a\"b\n", "'a'b\n", "\"a\\\"\n",
                            "'a\\'\n", "\"a\\\n"}) {
    INFO(input);
    CHECK(Single(input) == Err(err));
  }
  // A NUL inside quotes ends the line for sdssplitargs, so the quote is unterminated.
  CHECK(Single("x \"a\0\"\n"s) == Err(err));
}

TEST_CASE("inline length limit is exact and independent of the cuts") {
  const ParserLimits l = Small();  // max_inline_len = 16
  CHECK(Single(std::string(16, 'x') + "\n", l) == Req({std::string(16, 'x')}));
  CHECK(Single(std::string(15, 'x') + "\r\n", l) == Req({std::string(15, 'x')}));
  const Run waiting = FeedEveryWay(std::string(16, 'x'), l);  // no newline yet: waits
  CHECK(waiting.events.empty());
  CHECK(waiting.leftover == 16);
}

TEST_CASE("inline too big") {
  const std::string err = "ERR Protocol error: too big inline request";
  CHECK(Single(std::string(17, 'x') + "\n", Small()) == Err(err));
  CHECK(Single(std::string(17, 'x'), Small()) == Err(err));
  // Default limit (64 KiB) as Redis: 65536 bytes wait, 65537 fail.
  CHECK(Feed(std::string(65536, 'x'), {}).events.empty());
  CHECK(Feed(std::string(65537, 'x'), {}).events == std::vector<Event>{Err(err)});
}

TEST_CASE("invalid multibulk length") {
  const std::string err = "ERR Protocol error: invalid multibulk length";
  for (const char* input : {"*\r\n", "*abc\r\n", "*01\r\n", "*+1\r\n", "* 1\r\n", "*1 \r\n",
                            "*-0\r\n", "*-\r\n", "*99999999999999999999\r\n"}) {
    INFO(input);
    CHECK(Single(input) == Err(err));
  }
  CHECK(Single("*11\r\n", Small()) == Err(err));
  CHECK(FeedEveryWay("*10\r\n", Small()).events.empty());  // at the limit: waits
}

TEST_CASE("too big count strings") {
  const ParserLimits l = Small();
  // The CR at offset 16 from the line start is still within the limit ...
  CHECK(Single("*" + std::string(15, '1') + "\r\n", l) ==
        Err("ERR Protocol error: invalid multibulk length"));
  // ... at offset 17 it is not, even when the whole line arrives at once.
  CHECK(Single("*" + std::string(16, '1') + "\r\n", l) ==
        Err("ERR Protocol error: too big mbulk count string"));
  CHECK(Single("*" + std::string(16, '1'), l) ==
        Err("ERR Protocol error: too big mbulk count string"));
  CHECK(Single("*1\r\n$" + std::string(16, '1'), l) ==
        Err("ERR Protocol error: too big bulk count string"));
  CHECK(Single("*1\r\n$" + std::string(15, '1') + "\r\n", l) ==
        Err("ERR Protocol error: invalid bulk length"));
  // Redis's own boundary with the default limit.
  const std::string large = "*" + std::string(65535, '0');
  CHECK(Feed(large, {}).events.empty());
  CHECK(Feed(large + "0", {}).events ==
        std::vector<Event>{Err("ERR Protocol error: too big mbulk count string")});
  CHECK(Feed(large + "\r", {}).events.empty());
  CHECK(Feed(large + "\r\n", {}).events ==
        std::vector<Event>{Err("ERR Protocol error: invalid multibulk length")});
}

TEST_CASE("expected '$'") {
  CHECK(Single("*1\r\nX\r\n") == Err("ERR Protocol error: expected '$', got 'X'"));
  CHECK(Single("*2\r\n$1\r\na\r\n:1\r\n") == Err("ERR Protocol error: expected '$', got ':'"));
  // CR and LF are shown as spaces, as Redis's error formatting does.
  CHECK(Single("*1\r\n\r\n") == Err("ERR Protocol error: expected '$', got ' '"));
  CHECK(Single("*1\r\n\n\r\n") == Err("ERR Protocol error: expected '$', got ' '"));
  CHECK(Single("*1\r\n\0\r\n"s) == Err("ERR Protocol error: expected '$', got '"));
  // Only a complete line is judged: without its CR the parser waits.
  CHECK(FeedEveryWay("*1\r\nXYZ").events.empty());
}

TEST_CASE("invalid bulk length") {
  const std::string err = "ERR Protocol error: invalid bulk length";
  for (const char* input : {"*1\r\n$-1\r\n", "*1\r\n$abc\r\n", "*1\r\n$\r\n", "*1\r\n$01\r\n",
                            "*1\r\n$+1\r\n", "*1\r\n$1x\r\n", "*1\r\n$18446744073709551616\r\n"}) {
    INFO(input);
    CHECK(Single(input) == Err(err));
  }
  CHECK(Single("*1\r\n$101\r\n", Small()) == Err(err));
  CHECK(FeedEveryWay("*1\r\n$100\r\n", Small()).events.empty());
}

TEST_CASE("Redis skips the two bytes after a CR without checking them") {
  CHECK(Single("*1\r\n$3\r\nfooXY") == Req({"foo"}));
  CHECK(Single("*1\rX$1\rYaZZ") == Req({"a"}));
}

TEST_CASE("errors stick until Reset") {
  RequestParser parser;
  size_t consumed = 7;
  const std::string bad = "*x\r\n";
  REQUIRE(parser.Parse(std::span<const char>(bad), &consumed) == ParseStatus::kError);
  CHECK(consumed == 0);
  const std::string good = "*1\r\n$4\r\nPING\r\n";
  CHECK(parser.Parse(std::span<const char>(good), &consumed) == ParseStatus::kError);
  CHECK(parser.error() == "ERR Protocol error: invalid multibulk length");
  parser.Reset();
  CHECK(parser.error().empty());
  REQUIRE(parser.Parse(std::span<const char>(good), &consumed) == ParseStatus::kOk);
  CHECK(consumed == good.size());
}

TEST_CASE("a half-parsed request is forgotten by Reset") {
  RequestParser parser;
  size_t consumed = 0;
  const std::string part = "*3\r\n$3\r\nSET\r\n";
  REQUIRE(parser.Parse(std::span<const char>(part), &consumed) == ParseStatus::kNeedMore);
  parser.Reset();
  const std::string ping = "PING\r\n";
  REQUIRE(parser.Parse(std::span<const char>(ping), &consumed) == ParseStatus::kOk);
  CHECK(parser.args() == std::vector<std::string_view>{"PING"});
}

TEST_CASE("large bulk: bytes_needed, one scan, no copy") {
  const size_t size = 10 * 1024 * 1024;
  std::string value(size, 'v');
  value[0] = '\r';
  value[size / 2] = '\0';
  const std::string header = "*2\r\n$3\r\nSET\r\n$" + std::to_string(size) + "\r\n";
  const std::string input = header + value + "\r\n";
  RequestParser parser;
  size_t consumed = 0;
  // The header alone: the parser knows the total now.
  REQUIRE(parser.Parse(std::span<const char>(input.data(), header.size()), &consumed) ==
          ParseStatus::kNeedMore);
  CHECK(parser.bytes_needed() == input.size());
  constexpr size_t kPiece = 16 * 1024;
  size_t have = header.size();
  ParseStatus st = ParseStatus::kNeedMore;
  while (st == ParseStatus::kNeedMore) {
    have = std::min(input.size(), have + kPiece);
    st = parser.Parse(std::span<const char>(input.data(), have), &consumed);
    if (st == ParseStatus::kNeedMore) CHECK(parser.bytes_needed() == input.size());
  }
  REQUIRE(st == ParseStatus::kOk);
  CHECK(consumed == input.size());
  CHECK(parser.bytes_needed() == 0);
  REQUIRE(parser.args().size() == 2);
  CHECK(parser.args()[1].size() == size);
  CHECK(parser.args()[1].data() == input.data() + header.size());
  CHECK(parser.args()[1] == value);
}

std::string BigArray(size_t n) {
  std::string input = "*" + std::to_string(n) + "\r\n";
  for (size_t i = 0; i < n; ++i) {
    const std::string s = std::to_string(i);
    input += "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  }
  return input;
}

void CheckBigArray(const RequestParser& parser, size_t n) {
  REQUIRE(parser.args().size() == n);
  bool all = true;
  for (size_t i = 0; i < n; ++i) all = all && parser.args()[i] == std::to_string(i);
  CHECK(all);
}

TEST_CASE("100,000-element array fed in chunks and byte by byte (linear)") {
  const size_t n = 100000;
  const std::string input = BigArray(n);
  for (size_t piece : {size_t{16 * 1024}, size_t{1000}, size_t{7}, size_t{1}}) {
    INFO("piece ", piece);
    RequestParser parser;
    size_t have = 0;
    size_t consumed = 0;
    size_t calls = 0;
    ParseStatus st = ParseStatus::kNeedMore;
    const auto start = std::chrono::steady_clock::now();
    // Byte by byte is ~800,000 calls: a parser that rescans from the start of the
    // request on each call would need ~3*10^11 steps and never finish here.
    const auto budget = std::chrono::seconds(20);  // linear takes well under a second
    bool over_budget = false;
    while (st == ParseStatus::kNeedMore && have < input.size() && !over_budget) {
      have = std::min(input.size(), have + piece);
      st = parser.Parse(std::span<const char>(input.data(), have), &consumed);
      if (++calls % 4096 == 0) over_budget = std::chrono::steady_clock::now() - start > budget;
    }
    REQUIRE_FALSE(over_budget);
    REQUIRE(st == ParseStatus::kOk);
    CHECK(have == input.size());
    CHECK(consumed == input.size());
    CheckBigArray(parser, n);
  }
}

TEST_CASE("1,000,000-element array in 16 KiB pieces") {
  const size_t n = 1000000;
  const std::string input = BigArray(n);
  RequestParser parser;
  size_t have = 0;
  size_t consumed = 0;
  ParseStatus st = ParseStatus::kNeedMore;
  while (st == ParseStatus::kNeedMore && have < input.size()) {
    have = std::min(input.size(), have + 16 * 1024);
    st = parser.Parse(std::span<const char>(input.data(), have), &consumed);
  }
  REQUIRE(st == ParseStatus::kOk);
  CHECK(consumed == input.size());
  CheckBigArray(parser, n);
}

TEST_CASE("a long inline line byte by byte is scanned once") {
  const std::string line = std::string(65535, 'x') + "\r\n";
  RequestParser parser;
  size_t consumed = 0;
  ParseStatus st = ParseStatus::kNeedMore;
  size_t have = 0;
  while (st == ParseStatus::kNeedMore && have < line.size()) {
    ++have;
    st = parser.Parse(std::span<const char>(line.data(), have), &consumed);
  }
  REQUIRE(st == ParseStatus::kOk);
  CHECK(consumed == line.size());
  REQUIRE(parser.args().size() == 1);
  CHECK(parser.args()[0].size() == 65535);
}

TEST_CASE("set_limits applies to the next request") {
  RequestParser parser;
  ParserLimits l;
  l.max_bulk_len = 3;
  parser.set_limits(l);
  size_t consumed = 0;
  const std::string input = "*1\r\n$4\r\nPING\r\n";
  CHECK(parser.Parse(std::span<const char>(input), &consumed) == ParseStatus::kError);
  CHECK(parser.error() == "ERR Protocol error: invalid bulk length");
}

}  // namespace
}  // namespace crescent::protocol

TEST_CASE("a large bulk can be received outside the input buffer") {
  using crescent::protocol::ParseStatus;
  using crescent::protocol::RequestParser;
  RequestParser parser;
  std::string value(100000, 'v');
  value[0] = 'A';
  value[99999] = 'Z';
  std::string header = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$100000\r\n";
  // The header and the first 1000 payload bytes have arrived.
  std::string input = header + value.substr(0, 1000);
  size_t consumed = 99;
  REQUIRE(parser.Parse(input, &consumed) == ParseStatus::kNeedMore);
  CHECK(consumed == 0);
  auto pending = parser.pending_bulk();
  REQUIRE(pending.has_value());
  CHECK(pending->index == 2);
  CHECK(pending->length == 100000);
  CHECK(pending->offset == header.size());
  CHECK(parser.parsed_arg(input, 0) == "SET");
  CHECK(parser.parsed_arg(input, 1) == "key");
  // The caller lands the payload elsewhere and truncates its input at the payload.
  std::string elsewhere = value;
  input.resize(pending->offset);
  parser.TakePendingBulk(elsewhere);
  CHECK(!parser.pending_bulk().has_value());
  // Nothing more until the CRLF after the payload arrives, a byte at a time.
  REQUIRE(parser.Parse(input, &consumed) == ParseStatus::kNeedMore);
  input += "\r";
  REQUIRE(parser.Parse(input, &consumed) == ParseStatus::kNeedMore);
  input += "\n*1\r\n$4\r\nPING\r\n";
  REQUIRE(parser.Parse(input, &consumed) == ParseStatus::kOk);
  REQUIRE(parser.args().size() == 3);
  CHECK(parser.args()[0] == "SET");
  CHECK(parser.args()[1] == "key");
  CHECK(parser.args()[2].data() == elsewhere.data());
  CHECK(parser.args()[2].size() == 100000);
  CHECK(consumed == header.size() + 2);
  // The next request parses normally from where this one ended.
  input.erase(0, consumed);
  REQUIRE(parser.Parse(input, &consumed) == ParseStatus::kOk);
  CHECK(parser.args() == std::vector<std::string_view>{"PING"});
}

TEST_CASE("an external bulk in the middle of a request") {
  using crescent::protocol::ParseStatus;
  using crescent::protocol::RequestParser;
  RequestParser parser;
  std::string input = "*4\r\n$3\r\nPUT\r\n$1\r\nk\r\n$5\r\nhel";
  size_t consumed = 0;
  REQUIRE(parser.Parse(input, &consumed) == ParseStatus::kNeedMore);
  auto pending = parser.pending_bulk();
  REQUIRE(pending);
  input.resize(pending->offset);
  std::string external = "hello";
  parser.TakePendingBulk(external);
  input += "\r\n$7\r\nHARDPIN\r\n";
  REQUIRE(parser.Parse(input, &consumed) == ParseStatus::kOk);
  CHECK(parser.args() == std::vector<std::string_view>{"PUT", "k", "hello", "HARDPIN"});
  CHECK(consumed == input.size());
}
